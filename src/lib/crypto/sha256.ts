import { na } from './sodium';

/**
 * SHA-256 through WebCrypto (browsers and Node 20 both have it): the address a blob is stored under. Not a
 * libsodium operation, but kept here so every primitive the client uses is named in one folder.
 */
export async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  // A copy: WebCrypto takes only ArrayBuffer-backed views, and the caller's view may be a window on a larger one.
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(bytes)));
}

/** SHA-256 through libsodium, synchronously: for hashing small records (membership log entries) in pure code. */
export function sha256Sync(bytes: Uint8Array): Uint8Array {
  return na().crypto_hash_sha256(bytes);
}
