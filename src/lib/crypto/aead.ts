import { DecryptError } from './errors';
import { na } from './sodium';

export const AEAD_KEY_BYTES = 32;
export const AEAD_NONCE_BYTES = 24;

/** A fresh random XChaCha20 nonce (192 bits: random nonces never collide in practice). */
export function newNonce(): Uint8Array {
  return na().randombytes_buf(AEAD_NONCE_BYTES);
}

/** A fresh random 32-byte symmetric key (room keys, the local storage key). */
export function newSymmetricKey(): Uint8Array {
  return na().crypto_aead_xchacha20poly1305_ietf_keygen();
}

/** XChaCha20-Poly1305 encrypt; `associatedData` is authenticated but not encrypted. */
export function encryptWithKey(
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  associatedData: Uint8Array,
): Uint8Array {
  return na().crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, associatedData, null, nonce, key);
}

/** XChaCha20-Poly1305 decrypt; throws `DecryptError` if the key, nonce, ciphertext or associated data differ. */
export function decryptWithKey(
  key: Uint8Array,
  nonce: Uint8Array,
  ciphertext: Uint8Array,
  associatedData: Uint8Array,
): Uint8Array {
  try {
    return na().crypto_aead_xchacha20poly1305_ietf_decrypt(null, ciphertext, associatedData, nonce, key);
  } catch {
    throw new DecryptError();
  }
}
