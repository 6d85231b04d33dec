import { concatBytes } from './hex';

/**
 * The exact bytes each kind of signature covers (without its domain prefix, which the signer adds). Shared by the
 * client, which signs, and the relay, which checks, so the two can never drift.
 */

/** An envelope signature covers its canonical header and its ciphertext. */
export function envelopeSignedBytes(headerBytes: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  return concatBytes(headerBytes, ciphertext);
}

/** An auth response proves the device holds its signing key, for this challenge, with this box key. */
export function authSignedBytes(
  challenge: Uint8Array,
  signPublic: Uint8Array,
  boxPublic: Uint8Array,
): Uint8Array {
  return concatBytes(challenge, signPublic, boxPublic);
}

/** An invite claim binds the invite to the device that claims it, with the key only the link holder has. */
export function claimSignedBytes(
  inviteId: Uint8Array,
  signPublic: Uint8Array,
  boxPublic: Uint8Array,
): Uint8Array {
  return concatBytes(inviteId, signPublic, boxPublic);
}

/**
 * What is actually signed: the domain prefix, a zero byte, then the payload. The zero byte keeps a domain that
 * is a prefix of another from ever producing the same bytes.
 */
export function withDomain(domain: string, payload: Uint8Array): Uint8Array {
  return concatBytes(new TextEncoder().encode(domain), new Uint8Array([0]), payload);
}

const domainPrefixes = new Map<string, Uint8Array>();

/**
 * What an envelope signature covers, as parts to check without joining them: their concatenation is exactly
 * `withDomain(domain, envelopeSignedBytes(headerBytes, ciphertext))`.
 */
export function envelopeSignedParts(
  domain: string,
  headerBytes: Uint8Array,
  ciphertext: Uint8Array,
): Uint8Array[] {
  let prefix = domainPrefixes.get(domain);
  if (!prefix) {
    prefix = withDomain(domain, new Uint8Array(0));
    domainPrefixes.set(domain, prefix);
  }
  return [prefix, headerBytes, ciphertext];
}

/** A u64 big-endian (times in ms since the epoch, well inside 2^53). */
export function u64BigEndian(value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError('u64 out of range');
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(value));
  return out;
}

/**
 * A device certificate: the identity vouches that these device keys act for it from `createdAt`. Signed by the
 * identity's signing key under `hearth-device-v1`.
 */
export function deviceCertSignedBytes(
  identity: Uint8Array,
  deviceSignPublic: Uint8Array,
  deviceBoxPublic: Uint8Array,
  createdAt: number,
): Uint8Array {
  return concatBytes(identity, deviceSignPublic, deviceBoxPublic, u64BigEndian(createdAt));
}

/**
 * A revocation: from `at` on, `device` may no longer authenticate or write. Signed under `hearth-revoke-v1` by the
 * device itself (sign out and erase) or by its identity (removed from another device).
 */
export function revokeSignedBytes(device: Uint8Array, at: number): Uint8Array {
  return concatBytes(device, u64BigEndian(at));
}
