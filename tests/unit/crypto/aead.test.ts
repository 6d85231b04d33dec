import { beforeAll, describe, expect, it } from 'vitest';
import {
  AEAD_NONCE_BYTES,
  cryptoReady,
  decryptWithKey,
  DecryptError,
  encryptWithKey,
  newNonce,
  newSymmetricKey,
} from '$lib/crypto';
import { containsBytes, flipByte } from '../support/containsBytes';

const text = (s: string) => new TextEncoder().encode(s);

describe('AEAD (XChaCha20-Poly1305)', () => {
  beforeAll(async () => {
    await cryptoReady();
  });

  const sealed = () => {
    const key = newSymmetricKey();
    const nonce = newNonce();
    const plaintext = text('I had a hard week and would like to talk on Thursday.');
    const ad = text('header bytes');
    return { key, nonce, plaintext, ad, ciphertext: encryptWithKey(key, nonce, plaintext, ad) };
  };

  it('decrypts what it encrypted, with the same key, nonce and associated data', () => {
    const { key, nonce, plaintext, ad, ciphertext } = sealed();
    expect(decryptWithKey(key, nonce, ciphertext, ad)).toEqual(plaintext);
  });

  it('hides the plaintext and adds a 16-byte tag', () => {
    const { plaintext, ciphertext } = sealed();
    expect(ciphertext.length).toBe(plaintext.length + 16);
    expect(containsBytes(ciphertext, plaintext)).toBe(false);
  });

  it('encrypts an empty plaintext to a tag that still authenticates', () => {
    const key = newSymmetricKey();
    const nonce = newNonce();
    const ciphertext = encryptWithKey(key, nonce, new Uint8Array(), text('ad'));
    expect(decryptWithKey(key, nonce, ciphertext, text('ad'))).toEqual(new Uint8Array());
    expect(() => decryptWithKey(key, nonce, ciphertext, text('other'))).toThrow(DecryptError);
  });

  it('makes fresh keys and nonces of the right size each time', () => {
    expect(newNonce().length).toBe(AEAD_NONCE_BYTES);
    expect(newSymmetricKey().length).toBe(32);
    expect(newNonce()).not.toEqual(newNonce());
    expect(newSymmetricKey()).not.toEqual(newSymmetricKey());
  });

  it('refuses to decrypt with a different key', () => {
    const { nonce, ad, ciphertext } = sealed();
    expect(() => decryptWithKey(newSymmetricKey(), nonce, ciphertext, ad)).toThrow(DecryptError);
  });

  it('refuses a ciphertext with any one byte altered', () => {
    const { key, nonce, ad, ciphertext } = sealed();
    for (let i = 0; i < ciphertext.length; i++) {
      expect(() => decryptWithKey(key, nonce, flipByte(ciphertext, i), ad)).toThrow(DecryptError);
    }
  });

  it('refuses a ciphertext cut short', () => {
    const { key, nonce, ad, ciphertext } = sealed();
    expect(() => decryptWithKey(key, nonce, ciphertext.subarray(0, ciphertext.length - 1), ad)).toThrow(
      DecryptError,
    );
    expect(() => decryptWithKey(key, nonce, new Uint8Array(), ad)).toThrow(DecryptError);
  });

  it('refuses when the associated data was altered', () => {
    const { key, nonce, ad, ciphertext } = sealed();
    expect(() => decryptWithKey(key, nonce, ciphertext, flipByte(ad, 0))).toThrow(DecryptError);
    expect(() => decryptWithKey(key, nonce, ciphertext, new Uint8Array())).toThrow(DecryptError);
  });

  it('refuses when the nonce was altered', () => {
    const { key, nonce, ad, ciphertext } = sealed();
    expect(() => decryptWithKey(key, flipByte(nonce, AEAD_NONCE_BYTES - 1), ciphertext, ad)).toThrow(
      DecryptError,
    );
  });

  it('reports failure with the stable decrypt_failed code', () => {
    const { nonce, ad, ciphertext } = sealed();
    let caught: unknown;
    try {
      decryptWithKey(newSymmetricKey(), nonce, ciphertext, ad);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DecryptError);
    expect((caught as DecryptError).code).toBe('decrypt_failed');
  });
});
