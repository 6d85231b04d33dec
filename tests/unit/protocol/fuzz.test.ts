import { describe, expect, it } from 'vitest';
import { ERROR_CODES, ProtocolError, type ErrorCode } from '$lib/protocol/errors';
import { decodeFrame, encodeFrame, FRAME, type Frame } from '$lib/protocol/frames';
import { PROTOCOL_VERSION } from '$lib/protocol/limits';
import { randomBytesFrom, randomInt, seededRandom } from '../support/prng';
import { SAMPLE_FRAMES } from '../support/sampleFrames';

const CASES = 5_000;
const SEED = 0x5eed_f00d;

const valid = (Object.values(SAMPLE_FRAMES) as Frame[]).map((frame) => encodeFrame(frame));

/** One fuzz input: pure noise, a plausible header over noise, or a valid frame with a few mutations. */
function fuzzCase(random: () => number): Uint8Array {
  const pick = () => valid[randomInt(random, valid.length)];
  switch (randomInt(random, 6)) {
    case 0:
      return randomBytesFrom(random, randomInt(random, 200));
    case 1: {
      // Past the version and type checks, so the body decoders see the noise.
      const types = Object.values(FRAME);
      const header = [PROTOCOL_VERSION, types[randomInt(random, types.length)]];
      return new Uint8Array([...header, ...randomBytesFrom(random, randomInt(random, 300))]);
    }
    case 2: {
      const out = pick().slice();
      const flips = 1 + randomInt(random, 4);
      for (let i = 0; i < flips; i++) out[randomInt(random, out.length)] = randomInt(random, 256);
      return out;
    }
    case 3: {
      const source = pick();
      const at = randomInt(random, source.length + 1);
      const inserted = randomBytesFrom(random, 1 + randomInt(random, 8));
      return new Uint8Array([...source.subarray(0, at), ...inserted, ...source.subarray(at)]);
    }
    case 4: {
      const source = pick();
      const at = randomInt(random, source.length);
      const removed = 1 + randomInt(random, 8);
      return new Uint8Array([...source.subarray(0, at), ...source.subarray(at + removed)]);
    }
    default: {
      // The head of one frame spliced onto the tail of another.
      const a = pick();
      const b = pick();
      return new Uint8Array([
        ...a.subarray(0, randomInt(random, a.length)),
        ...b.subarray(randomInt(random, b.length)),
      ]);
    }
  }
}

describe('frame decoding under random input', () => {
  it(`only ever returns a well-formed frame or throws ProtocolError, over ${CASES} seeded cases`, () => {
    const random = seededRandom(SEED);
    const outcomes = new Map<ErrorCode | 'decoded', number>();
    for (let i = 0; i < CASES; i++) {
      const input = fuzzCase(random);
      let frame: Frame;
      try {
        frame = decodeFrame(input);
      } catch (error) {
        if (!(error instanceof ProtocolError)) {
          throw new Error(`case ${i} (seed ${SEED}) threw ${String(error)} for [${input.join(',')}]`, {
            cause: error,
          });
        }
        expect(ERROR_CODES).toContain(error.code);
        outcomes.set(error.code, (outcomes.get(error.code) ?? 0) + 1);
        continue;
      }
      outcomes.set('decoded', (outcomes.get('decoded') ?? 0) + 1);
      expect(Object.keys(FRAME)).toContain(frame.type);
      // Whatever was accepted is a frame we can send on unchanged: re-encoding it decodes to the same frame.
      expect(decodeFrame(encodeFrame(frame)), `case ${i}`).toEqual(frame);
    }
    // The fuzz must reach past the header checks into the body decoders, and accept some mutants
    // (a flipped byte inside a key is still a well-formed frame), or it tested nothing.
    expect(outcomes.get('decoded') ?? 0).toBeGreaterThan(CASES / 50);
    expect(outcomes.get('malformed_frame') ?? 0).toBeGreaterThan(CASES / 10);
    expect(outcomes.get('unknown_version') ?? 0).toBeGreaterThan(0);
  });
});
