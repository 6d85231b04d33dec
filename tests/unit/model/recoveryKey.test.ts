import { describe, expect, it } from 'vitest';
import { formatRecoveryKey, parseRecoveryKey } from '$lib/model/recoveryKey';

describe('recovery keys as written down', () => {
  it('round-trip through 13 groups of four, forgiving case, spaces and look-alike letters', () => {
    for (let i = 0; i < 50; i++) {
      const key = crypto.getRandomValues(new Uint8Array(32));
      const text = formatRecoveryKey(key);
      expect(text).toMatch(/^([0-9A-HJKMNP-TV-Z]{4}-){12}[0-9A-HJKMNP-TV-Z]{4}$/);
      expect(parseRecoveryKey(text)).toEqual(key);
      expect(parseRecoveryKey(text.toLowerCase().replaceAll('-', ' '))).toEqual(key);
      expect(parseRecoveryKey(text.replaceAll('0', 'O').replaceAll('1', 'l'))).toEqual(key);
    }
  });

  it('refuses a key with a group missing or a character that is not in the alphabet', () => {
    const text = formatRecoveryKey(new Uint8Array(32).fill(7));
    expect(() => parseRecoveryKey(text.slice(0, -5))).toThrow(/not a whole recovery key/);
    expect(() => parseRecoveryKey(`${text.slice(0, -1)}U`)).toThrow(/not a whole recovery key/);
  });
});
