import { na } from './sodium';

/**
 * Keys for linking a new device, derived from the one-time link secret that the new device shows on its screen
 * and the old device reads (typed, pasted or scanned). The relay never sees the secret: it only files the sealed
 * grant under `linkId` and hands it to whoever asks for it.
 */
export interface LinkKeys {
  linkId: Uint8Array;
  grantKey: Uint8Array;
}

export const LINK_SECRET_BYTES = 32;
const KDF_CONTEXT = 'hrthlink'; // crypto_kdf contexts are exactly 8 bytes

/** Derive the grant's address at the relay (#1) and the key that seals it (#2). */
export function deriveLinkKeys(secret: Uint8Array): LinkKeys {
  const sodium = na();
  return {
    linkId: sodium.crypto_kdf_derive_from_key(32, 1, KDF_CONTEXT, secret),
    grantKey: sodium.crypto_kdf_derive_from_key(32, 2, KDF_CONTEXT, secret),
  };
}

/**
 * Six digits both screens show, from the secret and the new device's keys: if a code was altered on its way
 * (other keys, another secret), the two screens disagree and the person stops.
 */
export function linkComparison(secret: Uint8Array, signPublic: Uint8Array, boxPublic: Uint8Array): string {
  const sodium = na();
  const input = new Uint8Array(secret.length + signPublic.length + boxPublic.length);
  input.set(secret, 0);
  input.set(signPublic, secret.length);
  input.set(boxPublic, secret.length + signPublic.length);
  const digest = sodium.crypto_generichash(8, input, null);
  let value = 0;
  for (const byte of digest) value = (value * 256 + byte) % 1_000_000;
  const digits = String(value).padStart(6, '0');
  return `${digits.slice(0, 3)} ${digits.slice(3)}`;
}
