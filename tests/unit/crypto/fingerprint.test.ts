import { beforeAll, describe, expect, it } from 'vitest';
import { cryptoReady, formatFingerprint, generateDeviceKeys, keyFingerprint } from '$lib/crypto';

describe('key fingerprints', () => {
  beforeAll(async () => {
    await cryptoReady();
  });

  it('is 32 bytes and the same for the same key', () => {
    const keys = generateDeviceKeys();
    const fingerprint = keyFingerprint(keys.signPublic);
    expect(fingerprint.length).toBe(32);
    expect(keyFingerprint(keys.signPublic.slice())).toEqual(fingerprint);
  });

  it('reads aloud as 12 groups of 5 digits', () => {
    const formatted = formatFingerprint(keyFingerprint(generateDeviceKeys().signPublic));
    expect(formatted).toMatch(/^\d{5}( \d{5}){11}$/);
  });

  it('formats the same fingerprint the same way every time', () => {
    const fingerprint = keyFingerprint(generateDeviceKeys().signPublic);
    expect(formatFingerprint(fingerprint.slice())).toBe(formatFingerprint(fingerprint));
  });

  it('gives different keys different digits', () => {
    const a = formatFingerprint(keyFingerprint(generateDeviceKeys().signPublic));
    const b = formatFingerprint(keyFingerprint(generateDeviceKeys().signPublic));
    expect(a).not.toBe(b);
  });

  it('does not repeat its first half in its second (every digit a person compares carries information)', () => {
    const groups = formatFingerprint(keyFingerprint(generateDeviceKeys().signPublic)).split(' ');
    expect(groups.slice(6)).not.toEqual(groups.slice(0, 6));
  });

  it('changes when any one byte of the fingerprint changes, the last ones included', () => {
    const fingerprint = keyFingerprint(generateDeviceKeys().signPublic);
    const before = formatFingerprint(fingerprint);
    for (let i = 0; i < fingerprint.length; i++) {
      const changed = fingerprint.slice();
      changed[i] ^= 0x01;
      expect(formatFingerprint(changed), `byte ${i}`).not.toBe(before);
    }
  });
});
