import { SIGN_DOMAIN } from '../src/lib/protocol/domains';
import { revokeSignedBytes, withDomain } from '../src/lib/protocol/signedPayloads';
import type { RelayContext } from './context';
import { publishDevicesOf } from './publishMembers';
import { verifyEd25519 } from './verifySignature';

/** True if `signature` is `signer`'s hearth-revoke-v1 signature revoking `device` at `at`. */
export function revocationVerifies(
  signer: Uint8Array,
  device: Uint8Array,
  at: number,
  signature: Uint8Array,
): boolean {
  return verifyEd25519(signer, withDomain(SIGN_DOMAIN.revoke, revokeSignedBytes(device, at)), signature);
}

/**
 * Record a verified revocation, end the device's sockets in this process, and tell the rooms of its identity (their
 * subscribers on every relay learn of it, and sockets of the device elsewhere close when they hear it).
 */
export async function applyRevocation(
  device: Uint8Array,
  at: number,
  signature: Uint8Array,
  ctx: RelayContext,
): Promise<void> {
  const identity = await ctx.storage.revokeDevice(device, at, signature, Date.now());
  ctx.deviceSockets.closeRevoked(device);
  await publishDevicesOf(identity, ctx);
}
