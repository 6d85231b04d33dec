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

/** A revocation names the device that may no longer write, and when it was revoked (ms, u64 big-endian). */
export function revokeSignedBytes(device: Uint8Array, at: number): Uint8Array {
  const when = new Uint8Array(8);
  new DataView(when.buffer).setBigUint64(0, BigInt(at));
  return concatBytes(device, when);
}

/**
 * What is actually signed: the domain prefix, a zero byte, then the payload. The zero byte keeps a domain that
 * is a prefix of another from ever producing the same bytes.
 */
export function withDomain(domain: string, payload: Uint8Array): Uint8Array {
  return concatBytes(new TextEncoder().encode(domain), new Uint8Array([0]), payload);
}
