import { na } from './sodium';

/** Cryptographically secure random bytes. */
export function randomBytes(length: number): Uint8Array {
  return na().randombytes_buf(length);
}
