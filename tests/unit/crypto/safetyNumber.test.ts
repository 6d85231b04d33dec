import { beforeAll, describe, expect, it } from 'vitest';
import { cryptoReady, generateDeviceKeys, safetyNumber } from '$lib/crypto';

describe('safety numbers', () => {
  beforeAll(async () => {
    await cryptoReady();
  });

  it('are 12 groups of 5 digits, the same whichever side computes them', () => {
    const a = generateDeviceKeys().signPublic;
    const b = generateDeviceKeys().signPublic;
    const mine = safetyNumber(a, b);
    expect(mine).toHaveLength(12);
    for (const group of mine) expect(group).toMatch(/^\d{5}$/);
    expect(safetyNumber(b, a)).toEqual(mine);
  });

  it('change when either key changes, and half of the number stays with the unchanged key', () => {
    const a = generateDeviceKeys().signPublic;
    const b = generateDeviceKeys().signPublic;
    const c = generateDeviceKeys().signPublic;
    const before = safetyNumber(a, b);
    const after = safetyNumber(a, c);
    expect(after).not.toEqual(before);
    const halves = (n: string[]) => [n.slice(0, 6).join(''), n.slice(6).join('')];
    const shared = halves(before).filter((h) => halves(after).includes(h));
    expect(shared).toHaveLength(1);
  });

  it('differ for a key that differs in a single bit', () => {
    const a = generateDeviceKeys().signPublic;
    const b = generateDeviceKeys().signPublic;
    const flipped = b.slice();
    flipped[31] ^= 1;
    expect(safetyNumber(a, flipped)).not.toEqual(safetyNumber(a, b));
  });
});
