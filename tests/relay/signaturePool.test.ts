// The app's type check also reads the tests; this one reaches sodium-native, whose types the relay declares itself.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- a declaration file, not a module to import
/// <reference path="../../sync-server/types/sodium-native.d.ts" />
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../sync-server/log';
import { INLINE_BELOW, SignaturePool, type SignatureCheck } from '../../sync-server/signaturePool';
import { makeSigner, randomBytesOf } from '../helpers/relayClient';

const log = createLogger('silent');
const pools: SignaturePool[] = [];

afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.close()));
});

function pool(threads: number): SignaturePool {
  const made = new SignaturePool(threads, log);
  pools.push(made);
  return made;
}

/** `count` checks of messages in three parts; every third is forged, and one has a key of the wrong length. */
function checks(count: number): { checks: SignatureCheck[]; expected: boolean[] } {
  const signer = makeSigner();
  const forger = makeSigner();
  const made: SignatureCheck[] = [];
  const expected: boolean[] = [];
  for (let i = 0; i < count; i++) {
    const message = [randomBytesOf(5), randomBytesOf(40 + i), randomBytesOf(300)];
    const forged = i % 3 === 2;
    const signature = (forged ? forger : signer).sign(Buffer.concat(message));
    const shortKey = i === 7;
    made.push({ publicKey: shortKey ? signer.publicKey.subarray(1) : signer.publicKey, message, signature });
    expected.push(!forged && !shortKey);
  }
  return { checks: made, expected };
}

describe('@relay signature pool', () => {
  it.each([
    ['on two threads', 2, 100],
    ['on one thread', 1, 40],
    ['on the calling thread (no threads)', 0, 40],
    ['on the calling thread (a batch too small to send)', 2, INLINE_BELOW - 1],
  ])('answers each check in order %s', async (_name, threads, count) => {
    const { checks: batch, expected } = checks(count);
    expect(await pool(threads).check(batch)).toEqual(expected);
  });

  it('answers batches asked at once each with their own results', async () => {
    const shared = pool(2);
    const batches = [checks(30), checks(50), checks(17)];
    const answers = await Promise.all(batches.map((b) => shared.check(b.checks)));
    expect(answers).toEqual(batches.map((b) => b.expected));
  });
});
