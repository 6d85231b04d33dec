import { beforeAll, describe, expect, it } from 'vitest';
import {
  cryptoReady,
  deriveVaultKey,
  newVaultParams,
  randomBytes,
  unwrapKeyring,
  WrongPassphraseError,
  wrapKeyring,
  type VaultParams,
} from '$lib/crypto';
import { flipByte } from '../support/containsBytes';

// Small Argon2id parameters keep the suite quick; the production defaults are exercised in keyring.test.ts.
const quickParams = (): VaultParams => newVaultParams(1, 8 * 1024 * 1024);

describe('passphrase vault (Argon2id + AEAD)', () => {
  beforeAll(async () => {
    await cryptoReady();
  });

  it('derives the same 32-byte key from the same passphrase and parameters', () => {
    const params = quickParams();
    const first = deriveVaultKey('correct horse battery staple', params);
    const second = deriveVaultKey('correct horse battery staple', { ...params, salt: params.salt.slice() });
    expect(first.length).toBe(32);
    expect(second).toEqual(first);
  });

  it('derives different keys for a different passphrase, salt or cost', () => {
    const params = quickParams();
    const key = deriveVaultKey('correct horse battery staple', params);
    expect(deriveVaultKey('correct horse battery stapler', params)).not.toEqual(key);
    expect(deriveVaultKey('correct horse battery staple', quickParams())).not.toEqual(key);
    expect(deriveVaultKey('correct horse battery staple', { ...params, opsLimit: 2 })).not.toEqual(key);
  });

  it('treats a passphrase typed with composed or decomposed accents as the same passphrase', () => {
    const params = quickParams();
    const composed = 'caf\u00e9 au lait'; // é as one code point
    const decomposed = 'cafe\u0301 au lait'; // e followed by a combining accent
    expect(deriveVaultKey(decomposed, params)).toEqual(deriveVaultKey(composed, params));
  });

  it('gives every vault a fresh salt', () => {
    expect(quickParams().salt).not.toEqual(quickParams().salt);
  });

  it('unwraps the keyring it wrapped', () => {
    const vaultKey = deriveVaultKey('a long enough passphrase', quickParams());
    const keyring = randomBytes(129);
    const wrapped = wrapKeyring(vaultKey, keyring);
    expect(wrapped.ciphertext).not.toEqual(keyring);
    expect(unwrapKeyring(vaultKey, wrapped)).toEqual(keyring);
  });

  it('refuses a wrong passphrase with WrongPassphraseError', () => {
    const params = quickParams();
    const wrapped = wrapKeyring(deriveVaultKey('the right passphrase', params), randomBytes(129));
    const wrongKey = deriveVaultKey('the wrong passphrase', params);
    expect(() => unwrapKeyring(wrongKey, wrapped)).toThrow(WrongPassphraseError);
  });

  it('refuses an altered wrapped keyring rather than returning altered keys', () => {
    const vaultKey = deriveVaultKey('a long enough passphrase', quickParams());
    const wrapped = wrapKeyring(vaultKey, randomBytes(129));
    expect(() =>
      unwrapKeyring(vaultKey, { ...wrapped, ciphertext: flipByte(wrapped.ciphertext, 5) }),
    ).toThrow(WrongPassphraseError);
    expect(() => unwrapKeyring(vaultKey, { ...wrapped, nonce: flipByte(wrapped.nonce, 0) })).toThrow(
      WrongPassphraseError,
    );
  });
});
