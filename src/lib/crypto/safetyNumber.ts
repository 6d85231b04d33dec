import { na } from './sodium';

const DOMAIN = new TextEncoder().encode('hearth-safety-v1\0');
/** Hashing each key many times makes finding a key whose number collides with a given one far more costly. */
const ITERATIONS = 5200;
const GROUPS_PER_KEY = 6;

/** Keys already worked out: the number is shown on every render of a conversation, and costs 5,200 hashes a key. */
const digitsByKey = new Map<string, string[]>();
const REMEMBERED_KEYS = 256;

/** Six groups of five digits standing for one identity key. */
function keyDigits(signPublic: Uint8Array): string[] {
  const id = signPublic.join(',');
  const known = digitsByKey.get(id);
  if (known) return known;
  const digits = computeKeyDigits(signPublic);
  if (digitsByKey.size >= REMEMBERED_KEYS) digitsByKey.clear();
  digitsByKey.set(id, digits);
  return digits;
}

function computeKeyDigits(signPublic: Uint8Array): string[] {
  const sodium = na();
  let digest = sodium.crypto_generichash(64, new Uint8Array([...DOMAIN, ...signPublic]), null);
  for (let i = 1; i < ITERATIONS; i++) {
    digest = sodium.crypto_generichash(64, new Uint8Array([...digest, ...signPublic]), null);
  }
  const groups: string[] = [];
  for (let g = 0; g < GROUPS_PER_KEY; g++) {
    let value = 0;
    for (const byte of digest.subarray(g * 5, g * 5 + 5)) value = (value * 256 + byte) % 100000;
    groups.push(String(value).padStart(5, '0'));
  }
  return groups;
}

/**
 * The safety number of a conversation between two identity keys: 12 groups of 5 digits, the same on both sides
 * (each key's half, in sorted order), and different if either key is different. People compare it in person or on a
 * call; a relay that slipped in its own key would change it.
 */
export function safetyNumber(a: Uint8Array, b: Uint8Array): string[] {
  const halves = [keyDigits(a), keyDigits(b)].sort((x, y) => (x.join('') < y.join('') ? -1 : 1));
  return [...halves[0], ...halves[1]];
}
