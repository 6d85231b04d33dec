import type { FrameOf } from '../../src/lib/protocol/frames';
import { bytesEqual } from '../../src/lib/protocol/hex';
import type { RelayContext } from '../context';
import { RelayError } from '../relayError';
import { applyRevocation, revocationVerifies } from '../revocation';
import type { AuthedDevice, Session } from '../session';

/**
 * REVOKE_DEVICE: a device revokes itself, or an identity revokes one of its linked devices, with a hearth-revoke-v1
 * signature by the socket's own key → DEVICE_REVOKED; the revoked device's sockets close (4004). Idempotent.
 */
export async function handleRevokeDevice(
  session: Session,
  device: AuthedDevice,
  frame: FrameOf<'revokeDevice'>,
  ctx: RelayContext,
): Promise<void> {
  const ref = frame.device;
  const self = bytesEqual(frame.device, device.signPublic);
  if (!self) {
    const isIdentity = bytesEqual(device.signPublic, device.identity.signPublic);
    const target = isIdentity ? await ctx.storage.deviceStanding(frame.device) : undefined;
    // Same answer for a stranger's key and an unknown one: nothing about other accounts leaks.
    if (!target || !bytesEqual(target.identity.signPublic, device.signPublic)) {
      throw new RelayError('not_identity', 'a device can remove only itself or its own linked devices', ref);
    }
  }
  if (!revocationVerifies(device.signPublic, frame.device, frame.at, frame.signature)) {
    throw new RelayError('bad_signature', 'the revocation signature does not verify', ref);
  }
  await applyRevocation(frame.device, frame.at, frame.signature, ctx);
  // A device revoking itself has just been closed (device_revoked says it all); anyone else gets the confirmation.
  session.send({ type: 'deviceRevoked', device: frame.device });
}
