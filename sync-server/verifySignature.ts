import { crypto_sign_verify_detached } from 'sodium-native';
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from '../src/lib/protocol/limits';

/**
 * True only if `signature` is a valid Ed25519 signature of `message` by `publicKey`; never throws.
 *
 * libsodium's native build (sodium-native), the same library the devices use: measured here at about 45 µs a
 * check against about 97 µs for node:crypto's, and checking every append's signature is the relay's largest cost.
 */
export function verifyEd25519(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== PUBLIC_KEY_BYTES || signature.length !== SIGNATURE_BYTES) return false;
  try {
    return crypto_sign_verify_detached(signature, message, publicKey);
  } catch {
    // A key that is not a valid curve point cannot have signed anything: that is a failed check, not an error.
    return false;
  }
}
