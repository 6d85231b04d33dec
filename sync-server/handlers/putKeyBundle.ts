import { SIGN_DOMAIN } from '../../src/lib/protocol/domains';
import type { FrameOf } from '../../src/lib/protocol/frames';
import { bytesEqual, toHex } from '../../src/lib/protocol/hex';
import { decodeKeyBundle } from '../../src/lib/protocol/keyBundle';
import { withDomain } from '../../src/lib/protocol/signedPayloads';
import type { RelayContext } from '../context';
import { publishMembers } from '../publishMembers';
import { RelayError } from '../relayError';
import type { AuthedDevice, Session } from '../session';
import { verifyEd25519 } from '../verifySignature';

/**
 * PUT_KEY_BUNDLE: a member device files the room key of the room's current epoch, sealed to member devices and
 * signed by itself → KEY_BUNDLE_STORED(room, epoch), then every live subscriber gets KEY_BUNDLE. The first bundle
 * of an epoch wins (a byte-identical retry is answered again); any other gets key_bundle_conflict, and an epoch
 * the room has left gets epoch_stale. Also not_a_member, bad_signature, key_bundle_invalid (ref room once known).
 */
export async function handlePutKeyBundle(
  session: Session,
  device: AuthedDevice,
  frame: FrameOf<'putKeyBundle'>,
  ctx: RelayContext,
): Promise<void> {
  const { bundle, body } = decodeKeyBundle(frame.bundle);
  const { room, epoch } = bundle;
  // The append bucket bounds this too: each change or bundle costs the relay a signature check and a transaction.
  const retryAfterMs = await ctx.deviceLimits.takeEnvelope(device.signPublic);
  if (retryAfterMs > 0) {
    throw new RelayError('rate_limited', `over the device's rate; retry in ${retryAfterMs} ms`, room);
  }
  if (!bytesEqual(bundle.signer, device.signPublic)) {
    throw new RelayError('key_bundle_invalid', 'a key bundle is signed by the device that files it', room);
  }
  if (!verifyEd25519(bundle.signer, withDomain(SIGN_DOMAIN.keyBundle, body), bundle.signature)) {
    throw new RelayError('bad_signature', 'the key bundle signature does not verify', room);
  }
  if (!(await ctx.storage.isMember(room, device.identity.signPublic))) {
    throw new RelayError('not_a_member', 'this device is not a member of the room', room);
  }
  // The relay cannot check the sealed keys, but it can keep them from anyone outside the room.
  const members = new Set((await ctx.storage.listMembers(room)).map((m) => toHex(m.signPublic)));
  if (bundle.shares.some((share) => !members.has(toHex(share.identity)))) {
    throw new RelayError('key_bundle_invalid', 'a key bundle is sealed only to members of the room', room);
  }
  const outcome = await ctx.storage.putKeyBundle(
    { room, epoch, signer: bundle.signer, bundle: frame.bundle },
    Date.now(),
  );
  if (outcome === 'stale') throw new RelayError('epoch_stale', 'the room has moved to a later epoch', room);
  if (outcome === 'conflict') {
    throw new RelayError('key_bundle_conflict', 'another device filed this epoch first', room);
  }
  if (outcome !== 'stored') {
    const why = outcome === 'no_log' ? 'the room has no membership log' : "the epoch is past the room's";
    throw new RelayError('key_bundle_invalid', why, room);
  }
  session.send({ type: 'keyBundleStored', room, epoch });
  publishMembers(room, ctx);
}
