import { describe, expect, it } from 'vitest';
import { DeviceLimits } from '../../../sync-server/limits/deviceLimits';
import { TokenBucket } from '../../../sync-server/limits/tokenBucket';
import { DeviceSockets } from '../../../sync-server/deviceSockets';
import type { Session } from '../../../sync-server/session';

describe('@relay token bucket', () => {
  it('allows a burst of its capacity, then one event per refill interval, and says how long to wait', () => {
    const bucket = new TokenBucket(10, 3, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([0, 0, 0]);
    expect(bucket.take(0)).toBe(100);
    expect(bucket.take(40)).toBe(60);
    expect(bucket.take(100)).toBe(0);
    expect(bucket.take(100)).toBe(100);
  });

  it('never holds more than its capacity however long it rests', () => {
    const bucket = new TokenBucket(10, 2, 0);
    expect(bucket.isFull(1_000_000)).toBe(true);
    expect([bucket.take(1_000_000), bucket.take(1_000_000)]).toEqual([0, 0]);
    expect(bucket.take(1_000_000)).toBeGreaterThan(0);
  });
});

describe('@relay device limits', () => {
  const settings = { envelopesPerSecond: 1, envelopesBurst: 2, maxConnections: 2, socketTtlMs: 30_000 };
  const key = (n: number) => new Uint8Array(32).fill(n);

  it('shares one bucket between all sockets of a device and keeps devices apart', async () => {
    const limits = new DeviceLimits(settings, () => 0);
    expect(await limits.acquireConnection(key(1), 1)).toBe(true);
    expect(await limits.acquireConnection(key(1), 2)).toBe(true);
    expect([await limits.takeEnvelope(key(1)), await limits.takeEnvelope(key(1))]).toEqual([0, 0]);
    expect(await limits.takeEnvelope(key(1))).toBe(1000);
    expect(await limits.takeEnvelope(key(2))).toBe(0);
  });

  it('refuses a socket over the cap and frees a slot when one closes', async () => {
    const limits = new DeviceLimits(settings, () => 0);
    expect(await limits.acquireConnection(key(1), 1)).toBe(true);
    expect(await limits.acquireConnection(key(1), 2)).toBe(true);
    expect(await limits.acquireConnection(key(1), 3)).toBe(false);
    limits.releaseConnection(key(1), 1);
    expect(await limits.acquireConnection(key(1), 4)).toBe(true);
  });

  it('frees a slot only for a socket it counted', async () => {
    const limits = new DeviceLimits(settings, () => 0);
    expect(await limits.acquireConnection(key(1), 1)).toBe(true);
    expect(await limits.acquireConnection(key(1), 2)).toBe(true);
    limits.releaseConnection(key(1), 3);
    expect(await limits.acquireConnection(key(1), 4)).toBe(false);
  });

  it('does not refill a drained bucket when the device reconnects, and forgets idle devices once refilled', async () => {
    let now = 0;
    const limits = new DeviceLimits(settings, () => now);
    await limits.acquireConnection(key(1), 1);
    await limits.takeEnvelope(key(1));
    await limits.takeEnvelope(key(1));
    limits.releaseConnection(key(1), 1);
    await limits.acquireConnection(key(1), 2);
    expect(await limits.takeEnvelope(key(1))).toBeGreaterThan(0);
    limits.releaseConnection(key(1), 2);
    now = 120_000;
    limits.releaseConnection(key(2), 3);
    expect(limits.size).toBe(0);
  });
});

describe('@relay device sockets', () => {
  const key = (n: number) => new Uint8Array(32).fill(n);

  /** A socket as DeviceSockets sees it: it only ever tells one it was revoked. */
  function socket(): Session & { revoked: boolean } {
    const fake = {
      revoked: false,
      sendError: () => {},
      close: () => {
        fake.revoked = true;
      },
    };
    return fake as unknown as Session & { revoked: boolean };
  }

  it('refuses a socket over the cap and frees a slot when one closes', () => {
    const sockets = new DeviceSockets(2);
    const [a, b, c] = [socket(), socket(), socket()];
    expect(sockets.add(key(1), a)).toBe(true);
    expect(sockets.add(key(1), b)).toBe(true);
    expect(sockets.add(key(1), c)).toBe(false);
    expect(sockets.add(key(2), c)).toBe(true);
    sockets.remove(key(1), a);
    expect(sockets.add(key(1), a)).toBe(true);
  });

  it('closes every socket of a revoked device and no other', () => {
    const sockets = new DeviceSockets(5);
    const [a, b, other] = [socket(), socket(), socket()];
    sockets.add(key(1), a);
    sockets.add(key(1), b);
    sockets.add(key(2), other);
    sockets.closeRevoked(key(1));
    expect([a.revoked, b.revoked, other.revoked]).toEqual([true, true, false]);
  });
});
