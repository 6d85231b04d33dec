import { bytesEqual } from '../../src/lib/protocol/hex';
import { PROTOCOL_VERSION } from '../../src/lib/protocol/limits';

/** A seeded PRNG (mulberry32): the same seed replays the same fuzz run. */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.int(256);
    return out;
  }
}

/** lib0's varuint encoding of any non-negative integer (including ones past 2^53 the relay must refuse). */
export function varUint(value: number | bigint): Uint8Array {
  let n = BigInt(value);
  const out: number[] = [];
  do {
    const low = Number(n & 0x7fn);
    n >>= 7n;
    out.push(n > 0n ? low | 0x80 : low);
  } while (n > 0n);
  return Uint8Array.from(out);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

type Mutation = (bytes: Uint8Array, rng: Prng) => Uint8Array;

const flipBits: Mutation = (bytes, rng) => {
  const out = Uint8Array.from(bytes);
  if (out.length === 0) return Uint8Array.of(rng.int(256));
  for (let i = 1 + rng.int(4); i > 0; i--) out[rng.int(out.length)] ^= 1 << rng.int(8);
  return out;
};

const truncate: Mutation = (bytes, rng) => bytes.slice(0, rng.int(bytes.length));

const extend: Mutation = (bytes, rng) => concat(bytes, rng.bytes(1 + rng.int(64)));

const wrongVersion: Mutation = (bytes, rng) => {
  const out = Uint8Array.from(bytes.length > 0 ? bytes : [0, 0]);
  out[0] = (PROTOCOL_VERSION + 1 + rng.int(255)) % 256;
  return out;
};

/** Keep the body, replace the type by a random number: known types with the wrong body, and unknown ones. */
const randomType: Mutation = (bytes, rng) => {
  const type = rng.next() < 0.5 ? rng.int(40) : rng.int(1 << (7 * (1 + rng.int(4))));
  return concat(Uint8Array.of(PROTOCOL_VERSION), varUint(type), bytes.subarray(2));
};

/** A varuint of 9-12 bytes (over the 8-byte cap) or past 2^53, inserted where a varuint may be read. */
const hugeVarUint: Mutation = (bytes, rng) => {
  const huge =
    rng.next() < 0.5
      ? concat(new Uint8Array(8 + rng.int(4)).fill(0xff), Uint8Array.of(0x7f))
      : varUint(2n ** 53n + BigInt(rng.int(1 << 20)));
  const at = 1 + rng.int(Math.max(1, bytes.length));
  return concat(bytes.subarray(0, at), huge, bytes.subarray(at));
};

const overwrite: Mutation = (bytes, rng) => {
  const out = Uint8Array.from(bytes);
  const start = rng.int(Math.max(1, out.length));
  const junk = rng.bytes(1 + rng.int(16));
  out.set(junk.subarray(0, Math.max(0, out.length - start)), start);
  return out.length === 0 ? junk : out;
};

const duplicateSlice: Mutation = (bytes, rng) => {
  const start = rng.int(Math.max(1, bytes.length));
  const end = start + rng.int(Math.max(1, bytes.length - start));
  return concat(bytes.subarray(0, end), bytes.subarray(start, end), bytes.subarray(end));
};

const MUTATIONS: Mutation[] = [
  flipBits,
  flipBits,
  flipBits,
  truncate,
  truncate,
  extend,
  wrongVersion,
  randomType,
  randomType,
  hugeVarUint,
  overwrite,
  duplicateSlice,
];

/** A mutation of `bytes` that is never the same bytes (a fuzz frame must never be the valid frame it came from). */
export function mutate(bytes: Uint8Array, rng: Prng): Uint8Array {
  let out = rng.pick(MUTATIONS)(bytes, rng);
  for (let i = rng.next() < 0.2 ? 1 : 0; i > 0; i--) out = rng.pick(MUTATIONS)(out, rng);
  while (bytesEqual(out, bytes)) out = extend(out, rng);
  return out;
}

/** Flip 1-4 bits of a valid envelope: every byte of it is either signed or structural, so none may be stored. */
export function flipEnvelope(envelope: Uint8Array, rng: Prng): Uint8Array {
  const out = flipBits(envelope, rng);
  while (bytesEqual(out, envelope)) out[rng.int(out.length)] ^= 1 << rng.int(8);
  return out;
}
