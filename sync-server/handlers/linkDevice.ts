import { SIGN_DOMAIN } from '../../src/lib/protocol/domains';
import type { FrameOf } from '../../src/lib/protocol/frames';
import { bytesEqual } from '../../src/lib/protocol/hex';
import { GRANT_TTL_MS, MAX_DEVICES_PER_IDENTITY } from '../../src/lib/protocol/limits';
import { deviceCertSignedBytes, withDomain } from '../../src/lib/protocol/signedPayloads';
import type { RelayContext } from '../context';
import { publishDevicesOf } from '../publishMembers';
import { RelayError } from '../relayError';
import type { AuthedDevice, Session } from '../session';
import { verifyEd25519 } from '../verifySignature';

/**
 * LINK_DEVICE: an identity (never a linked device) certifies new device keys and files the sealed grant for them
 * under `linkId` → DEVICE_LINKED; the identity's rooms then hear of the new device (DEVICES).
 */
export async function handleLinkDevice(
  session: Session,
  device: AuthedDevice,
  frame: FrameOf<'linkDevice'>,
  ctx: RelayContext,
): Promise<void> {
  const ref = frame.signPublic;
  if (!bytesEqual(device.signPublic, device.identity.signPublic)) {
    throw new RelayError('not_identity', 'only the first device of an account can link devices', ref);
  }
  const signed = withDomain(
    SIGN_DOMAIN.device,
    deviceCertSignedBytes(device.signPublic, frame.signPublic, frame.boxPublic, frame.createdAt),
  );
  if (!verifyEd25519(device.signPublic, signed, frame.certificate)) {
    throw new RelayError('bad_certificate', 'the certificate is not this identity’s signature', ref);
  }
  if (bytesEqual(frame.signPublic, device.signPublic)) {
    throw new RelayError('device_exists', 'an identity cannot link its own key', ref);
  }
  const now = Date.now();
  const outcome = await ctx.storage.linkDevice(
    {
      identity: device.identity,
      signPublic: frame.signPublic,
      boxPublic: frame.boxPublic,
      createdAt: frame.createdAt,
      certificate: frame.certificate,
      linkId: frame.linkId,
      grant: frame.grant,
      grantExpiresAt: now + GRANT_TTL_MS,
    },
    now,
  );
  if (outcome === 'exists') throw new RelayError('device_exists', 'this device key is already in use', ref);
  if (outcome === 'too_many') {
    throw new RelayError('too_many_devices', `at most ${MAX_DEVICES_PER_IDENTITY} linked devices`, ref);
  }
  session.log.info({ device: device.tag }, 'device linked');
  session.send({ type: 'deviceLinked', signPublic: frame.signPublic });
  await publishDevicesOf(device.identity.signPublic, ctx);
}
