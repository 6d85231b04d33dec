import { beforeAll, describe, expect, it } from 'vitest';
import { cryptoReady, generateDeviceKeys, randomBytes, signDetached, verifyDetached } from '$lib/crypto';
import { flipByte } from '../support/containsBytes';

const message = new TextEncoder().encode('hearth-update-v1\0header and ciphertext');

describe('Ed25519 detached signatures', () => {
  beforeAll(async () => {
    await cryptoReady();
  });

  it('verifies a signature made with the matching secret key', () => {
    const keys = generateDeviceKeys();
    const signature = signDetached(message, keys.signSecret);
    expect(signature.length).toBe(64);
    expect(verifyDetached(signature, message, keys.signPublic)).toBe(true);
  });

  it('refuses the signature over a message with one byte altered', () => {
    const keys = generateDeviceKeys();
    const signature = signDetached(message, keys.signSecret);
    for (let i = 0; i < message.length; i++) {
      expect(verifyDetached(signature, flipByte(message, i), keys.signPublic)).toBe(false);
    }
  });

  it('refuses a signature with one byte altered', () => {
    const keys = generateDeviceKeys();
    const signature = signDetached(message, keys.signSecret);
    expect(verifyDetached(flipByte(signature, 0), message, keys.signPublic)).toBe(false);
    expect(verifyDetached(flipByte(signature, 63, 0x80), message, keys.signPublic)).toBe(false);
  });

  it('refuses a signature checked against another device key', () => {
    const signer = generateDeviceKeys();
    const other = generateDeviceKeys();
    const signature = signDetached(message, signer.signSecret);
    expect(verifyDetached(signature, message, other.signPublic)).toBe(false);
  });

  it('returns false rather than throwing for garbage keys and signatures', () => {
    const keys = generateDeviceKeys();
    const signature = signDetached(message, keys.signSecret);
    // Not a curve point, the all-zero key, wrong lengths: each is a failed check, never a crash.
    const garbageKeys = [
      new Uint8Array(32).fill(0xff),
      new Uint8Array(32),
      randomBytes(31),
      randomBytes(33),
      new Uint8Array(),
    ];
    for (const key of garbageKeys) {
      expect(() => verifyDetached(signature, message, key)).not.toThrow();
      expect(verifyDetached(signature, message, key)).toBe(false);
    }
    for (const badSignature of [new Uint8Array(), randomBytes(63), randomBytes(65), new Uint8Array(64)]) {
      expect(verifyDetached(badSignature, message, keys.signPublic)).toBe(false);
    }
  });
});
