import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from '../src/lib/protocol/limits';
import { toHex } from '../src/lib/protocol/hex';

// DER SubjectPublicKeyInfo header for an Ed25519 key; the raw 32-byte key follows it.
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const MAX_CACHED_KEYS = 10_000;

// Building a KeyObject costs more than the verification itself, and the same few device keys sign everything.
const keyCache = new Map<string, KeyObject>();

function keyObjectFor(publicKey: Uint8Array): KeyObject {
  const hex = toHex(publicKey);
  let key = keyCache.get(hex);
  if (key) return key;
  key = createPublicKey({
    key: Buffer.concat([ED25519_SPKI_PREFIX, publicKey]),
    format: 'der',
    type: 'spki',
  });
  if (keyCache.size >= MAX_CACHED_KEYS) {
    const oldest = keyCache.keys().next().value;
    if (oldest !== undefined) keyCache.delete(oldest);
  }
  keyCache.set(hex, key);
  return key;
}

/** True only if `signature` is a valid Ed25519 signature of `message` by `publicKey`; never throws. */
export function verifyEd25519(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== PUBLIC_KEY_BYTES || signature.length !== SIGNATURE_BYTES) return false;
  try {
    return verify(null, message, keyObjectFor(publicKey), signature);
  } catch {
    // A key that is not a valid curve point cannot have signed anything: that is a failed check, not an error.
    return false;
  }
}
