import { decryptWithKey, encryptWithKey, newNonce } from './aead';
import { DecryptError, WrongPassphraseError } from './errors';
import { na } from './sodium';

/**
 * Argon2id parameters, stored beside the wrapped keyring so they can be raised later without locking anyone out.
 * 4 passes over 128 MiB: unlocking takes about half a second in Chromium on these machines (`npm run bench`,
 * identity.unlock_to_home_p50), slow enough to make each guess costly in time and memory, quick enough not to keep
 * a person waiting. 128 MiB stays well within what a low-end phone's browser can allocate.
 */
export interface VaultParams {
  salt: Uint8Array;
  opsLimit: number;
  memLimit: number;
}

export const DEFAULT_OPS_LIMIT = 4;
export const DEFAULT_MEM_LIMIT = 128 * 1024 * 1024;

/** Fresh parameters with a random salt. */
export function newVaultParams(opsLimit = DEFAULT_OPS_LIMIT, memLimit = DEFAULT_MEM_LIMIT): VaultParams {
  const sodium = na();
  return { salt: sodium.randombytes_buf(sodium.crypto_pwhash_SALTBYTES), opsLimit, memLimit };
}

/** Derive the 32-byte vault key from a passphrase with Argon2id (crypto_pwhash, ALG_ARGON2ID13). */
export function deriveVaultKey(passphrase: string, params: VaultParams): Uint8Array {
  const sodium = na();
  return sodium.crypto_pwhash(
    32,
    passphrase.normalize('NFKC'),
    params.salt,
    params.opsLimit,
    params.memLimit,
    sodium.crypto_pwhash_ALG_ARGON2ID13,
  );
}

export interface WrappedSecret {
  nonce: Uint8Array;
  ciphertext: Uint8Array;
}

const WRAP_CONTEXT = new TextEncoder().encode('hearth-vault-v1');

/** Wrap the keyring under the vault key. */
export function wrapKeyring(vaultKey: Uint8Array, keyring: Uint8Array): WrappedSecret {
  const nonce = newNonce();
  return { nonce, ciphertext: encryptWithKey(vaultKey, nonce, keyring, WRAP_CONTEXT) };
}

/** Unwrap the keyring; a wrong passphrase (so a wrong vault key) gives `WrongPassphraseError`. */
export function unwrapKeyring(vaultKey: Uint8Array, wrapped: WrappedSecret): Uint8Array {
  try {
    return decryptWithKey(vaultKey, wrapped.nonce, wrapped.ciphertext, WRAP_CONTEXT);
  } catch (error) {
    if (error instanceof DecryptError) throw new WrongPassphraseError();
    throw error;
  }
}
