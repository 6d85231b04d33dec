import { DecryptError } from './errors';
import { na } from './sodium';

/**
 * The stream cipher a recovery backup is sealed with: libsodium's secretstream (XChaCha20-Poly1305), so each chunk
 * is authenticated in order, chunks cannot be reordered, dropped or repeated, and a file cut short is detected
 * because its last chunk carries the FINAL tag.
 */
export const BACKUP_STREAM_HEADER_BYTES = 24;
export const RECOVERY_KEY_BYTES = 32;

const RECOVERY_CONTEXT = new TextEncoder().encode('hearth-backup-recovery-key-v1');

/** A fresh recovery key: 256 random bits, shown to the person once. */
export function newRecoveryKey(): Uint8Array {
  return na().randombytes_buf(RECOVERY_KEY_BYTES);
}

/** The stream key for a backup protected by a recovery key (already full-entropy, so a keyed hash suffices). */
export function backupKeyFromRecoveryKey(recoveryKey: Uint8Array): Uint8Array {
  return na().crypto_generichash(32, RECOVERY_CONTEXT, recoveryKey);
}

export interface SealingStream {
  header: Uint8Array;
  push(chunk: Uint8Array, final: boolean): Uint8Array;
}

export function sealStream(key: Uint8Array): SealingStream {
  const sodium = na();
  const { state, header } = sodium.crypto_secretstream_xchacha20poly1305_init_push(key);
  return {
    header,
    push: (chunk, final) =>
      sodium.crypto_secretstream_xchacha20poly1305_push(
        state,
        chunk,
        null,
        final
          ? sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
          : sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE,
      ),
  };
}

export interface OpeningStream {
  /** Throws `DecryptError` for a wrong key or any altered, reordered or missing chunk. */
  pull(sealed: Uint8Array): { chunk: Uint8Array; final: boolean };
}

export function openStream(key: Uint8Array, header: Uint8Array): OpeningStream {
  const sodium = na();
  let state: ReturnType<typeof sodium.crypto_secretstream_xchacha20poly1305_init_pull>;
  try {
    state = sodium.crypto_secretstream_xchacha20poly1305_init_pull(header, key);
  } catch {
    throw new DecryptError();
  }
  return {
    pull(sealed) {
      const result = sodium.crypto_secretstream_xchacha20poly1305_pull(state, sealed, null);
      if (!result) throw new DecryptError();
      return {
        chunk: result.message,
        final: result.tag === sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL,
      };
    },
  };
}
