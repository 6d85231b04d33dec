import { SIGN_DOMAIN } from '../../src/lib/protocol/domains';
import type { FrameOf } from '../../src/lib/protocol/frames';
import { authSignedBytes, withDomain } from '../../src/lib/protocol/signedPayloads';
import { MAX_CONNECTIONS_PER_DEVICE } from '../../src/lib/protocol/limits';
import { CLOSE_TOO_MANY_CONNECTIONS } from '../connection';
import { closeRevokedSession } from '../deviceSockets';
import { bytesEqual } from '../../src/lib/protocol/hex';
import type { RelayContext } from '../context';
import { keyTag } from '../log';
import { RelayError } from '../relayError';
import type { AuthedDevice, Session } from '../session';
import type { DeviceKeys } from '../storage/RelayStorage';
import { verifyEd25519 } from '../verifySignature';

/** Close code for a failed AUTH (after ERROR auth_failed). */
export const CLOSE_AUTH_FAILED = 4001;

/**
 * AUTH: a signature over this socket's challenge proves the device key → READY, acting for its identity (itself, or
 * the identity that certified it); a bad one → auth_failed, close 4001; a revoked key → device_revoked, close 4004; a device already holding MAX_CONNECTIONS_PER_DEVICE sockets → too_many_connections, close 4003.
 */
export async function handleAuth(session: Session, frame: FrameOf<'auth'>, ctx: RelayContext): Promise<void> {
  const challenge = session.challenge;
  if (session.device || !challenge) {
    throw new RelayError('already_authenticated', 'this socket is already authenticated');
  }
  const tag = keyTag(frame.signPublic);
  const signed = withDomain(SIGN_DOMAIN.auth, authSignedBytes(challenge, frame.signPublic, frame.boxPublic));
  if (!verifyEd25519(frame.signPublic, signed, frame.signature)) {
    session.log.info({ device: tag }, 'auth failed');
    session.sendError('auth_failed', 'the signature does not match the challenge and keys');
    session.close(CLOSE_AUTH_FAILED, 'auth failed');
    return;
  }
  const standing = await ctx.storage.deviceStanding(frame.signPublic);
  if (standing?.revokedAt != null) {
    session.log.info({ device: tag }, 'auth refused: device revoked');
    closeRevokedSession(session);
    return;
  }
  const linked = standing !== undefined && !bytesEqual(standing.identity.signPublic, frame.signPublic);
  if (linked && !bytesEqual(standing.boxPublic, frame.boxPublic)) {
    // A linked device's box key is the one its certificate names; another would not match what members check.
    session.log.info({ device: tag }, 'auth failed: box key differs from the certified one');
    session.sendError('auth_failed', 'a linked device must authenticate with its certified box key');
    session.close(CLOSE_AUTH_FAILED, 'auth failed');
    return;
  }
  const device = linked
    ? linkedDevice(frame.signPublic, frame.boxPublic, standing.identity, tag)
    : ownDevice(frame.signPublic, frame.boxPublic, tag);
  await ctx.storage.upsertDevice(device, Date.now());
  if (!session.isOpen) return;
  const acquired = await ctx.deviceLimits.acquireConnection(device.signPublic, session.id);
  // The socket's close releases its slot only once it is authenticated; one that closed while the slot was being
  // taken (the count may be shared through Redis) gives it back here. No await from here to authenticated().
  if (!session.isOpen) {
    if (acquired) ctx.deviceLimits.releaseConnection(device.signPublic, session.id);
    return;
  }
  // This process's DeviceSockets holds the same sockets the count above does: it refuses only what that refused.
  if (!acquired || !session.authenticated(device)) {
    if (acquired) ctx.deviceLimits.releaseConnection(device.signPublic, session.id);
    session.log.info({ device: tag }, 'auth refused: too many connections');
    session.sendError(
      'too_many_connections',
      `a device may hold at most ${MAX_CONNECTIONS_PER_DEVICE} sockets; close one and reconnect`,
    );
    session.close(CLOSE_TOO_MANY_CONNECTIONS, 'too many connections');
    return;
  }
  // A revocation closes only the sockets in DeviceSockets, which this one has just joined: one that committed since
  // the standing was read above (while the device was stored and its slot taken, through Redis if shared) closed
  // nothing here. Any later one closes this socket.
  if ((await ctx.storage.deviceStanding(device.signPublic))?.revokedAt != null) {
    session.log.info({ device: tag }, 'auth refused: device revoked');
    closeRevokedSession(session);
    return;
  }
  session.log.info({ device: tag }, 'auth ok');
  session.send({ type: 'ready' });
}

/** A device that is its own identity. */
function ownDevice(signPublic: Uint8Array, boxPublic: Uint8Array, tag: string): AuthedDevice {
  const [sign, box] = copiesInOneBuffer(signPublic, boxPublic);
  return { signPublic: sign, boxPublic: box, identity: { signPublic: sign, boxPublic: box }, tag };
}

/** A linked device, acting for the identity that certified it. */
function linkedDevice(
  signPublic: Uint8Array,
  boxPublic: Uint8Array,
  identity: DeviceKeys,
  tag: string,
): AuthedDevice {
  const [sign, box, identitySign, identityBox] = copiesInOneBuffer(
    signPublic,
    boxPublic,
    identity.signPublic,
    identity.boxPublic,
  );
  return {
    signPublic: sign,
    boxPublic: box,
    identity: { signPublic: identitySign, boxPublic: identityBox },
    tag,
  };
}

/**
 * Copies of `parts`, views into one buffer of their own. An authenticated device's keys live as long as its socket:
 * views into the AUTH frame would keep the whole socket read it came in alive (frames sent along with it included),
 * and a storage row's bytes may be views into a larger buffer too.
 */
function copiesInOneBuffer(...parts: Uint8Array[]): Uint8Array[] {
  const buffer = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  return parts.map((part) => {
    buffer.set(part, offset);
    offset += part.length;
    return buffer.subarray(offset - part.length, offset);
  });
}
