import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { toHex } from '../../../src/lib/protocol/hex';
import { DeviceLimits, type DeviceLimitSettings } from '../../../sync-server/limits/deviceLimits';
import { rateKey, RedisLimits, socketsKey } from '../../../sync-server/limits/redisLimits';
import { SCALE_OUT_SKIP_REASON } from '../../helpers/relayBackends';
import { TEST_REDIS_URL } from '../../helpers/scaleOutServices';

// Two DeviceLimits over one real Redis, as two relay processes hold them.

const settings: DeviceLimitSettings = {
  // One token per 1000 s: nothing refills while a test runs.
  envelopesPerSecond: 0.001,
  envelopesBurst: 8,
  maxConnections: 3,
  socketTtlMs: 30_000,
};
const log = pino({ level: 'silent' });
const opened: DeviceLimits[] = [];
const devices: Uint8Array[] = [];
const redis = SCALE_OUT_SKIP_REASON === null ? new Redis(TEST_REDIS_URL) : null;

afterEach(async () => {
  for (const limits of opened.splice(0)) await limits.close();
  const keys = devices.splice(0).flatMap((d) => [socketsKey(toHex(d)), rateKey(toHex(d))]);
  if (keys.length > 0) await redis?.del(...keys);
});

afterAll(() => redis?.disconnect());

async function relayLimits(): Promise<DeviceLimits> {
  const limits = new DeviceLimits(settings, undefined, await RedisLimits.open(TEST_REDIS_URL, settings, log));
  opened.push(limits);
  return limits;
}

function newDevice(): Uint8Array {
  const device = new Uint8Array(randomBytes(32));
  devices.push(device);
  return device;
}

async function takeAll(limits: DeviceLimits, device: Uint8Array, count: number): Promise<number[]> {
  const waits: number[] = [];
  for (let i = 0; i < count; i++) waits.push(await limits.takeEnvelope(device));
  return waits;
}

describe.skipIf(SCALE_OUT_SKIP_REASON !== null)('@relay device limits shared through Redis', () => {
  it('give the tokens one relay leased and did not use back to the shared bucket when the lease lapses', async () => {
    const [a, b] = [await relayLimits(), await relayLimits()];
    const device = newDevice();
    expect(await a.takeEnvelope(device)).toBe(0);
    // A leased more than the one token it used, so B finds less than the rest of the burst...
    const fromB = await takeAll(b, device, settings.envelopesBurst);
    const taken = fromB.filter((wait) => wait === 0).length;
    expect(taken).toBeLessThan(settings.envelopesBurst - 1);
    expect(fromB.slice(taken).every((wait) => wait > 0)).toBe(true);

    // ...until A's lease lapses and A gives back what it did not use: then a third relay has exactly the rest.
    const unused = settings.envelopesBurst - 1 - taken;
    for (let attempt = 0; Number(await redis!.hget(rateKey(toHex(device)), 'tokens')) < unused; attempt++) {
      if (attempt >= 100) throw new Error('the unused tokens never came back');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const fromC = await takeAll(await relayLimits(), device, unused + 1);
    expect(fromC.slice(0, unused)).toEqual(new Array(unused).fill(0));
    expect(fromC[unused]).toBeGreaterThan(0);
    expect(await a.takeEnvelope(device)).toBeGreaterThan(0);
  });

  it("free a stopping relay's sockets at once for the device's sockets elsewhere", async () => {
    const [a, b] = [await relayLimits(), await relayLimits()];
    const device = newDevice();
    expect(await a.acquireConnection(device, 1)).toBe(true);
    expect(await a.acquireConnection(device, 2)).toBe(true);
    expect(await b.acquireConnection(device, 1)).toBe(true);
    expect(await b.acquireConnection(device, 2)).toBe(false);

    await a.close();
    expect(await b.acquireConnection(device, 2)).toBe(true);
    expect(await b.acquireConnection(device, 3)).toBe(true);
    expect(await b.acquireConnection(device, 4)).toBe(false);
  });
});
