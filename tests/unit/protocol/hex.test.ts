import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../src/lib/protocol/hex';

describe('hex', () => {
  it('writes every byte value as two lowercase digits and reads it back', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const hex = toHex(all);
    expect(hex).toBe(Buffer.from(all).toString('hex'));
    expect(fromHex(hex)).toEqual(all);
  });

  it('writes no bytes as the empty string, and a view as its own bytes only', () => {
    expect(toHex(new Uint8Array(0))).toBe('');
    expect(toHex(new Uint8Array([0, 1, 2, 255, 4]).subarray(2, 4))).toBe('02ff');
  });
});
