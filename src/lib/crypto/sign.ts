import { na } from './sodium';

/** Ed25519 detached signature over `message` (callers add the domain prefix first). */
export function signDetached(message: Uint8Array, signSecret: Uint8Array): Uint8Array {
  return na().crypto_sign_detached(message, signSecret);
}

/** True only if `signature` is `signPublic`'s Ed25519 signature over exactly `message`. */
export function verifyDetached(signature: Uint8Array, message: Uint8Array, signPublic: Uint8Array): boolean {
  if (signature.length !== 64 || signPublic.length !== 32) return false;
  try {
    return na().crypto_sign_verify_detached(signature, message, signPublic);
  } catch {
    // libsodium throws on keys that are not valid curve points: that is a failed verification, not a crash.
    return false;
  }
}
