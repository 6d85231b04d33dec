import { toHex } from '../../src/lib/protocol/hex';
import type { Config } from '../config';
import { TokenBucket } from './tokenBucket';

export interface DeviceLimitSettings {
  envelopesPerSecond: number;
  envelopesBurst: number;
}

/** Forget full buckets at most this often (a sweep walks every bucket). */
const SWEEP_EVERY_MS = 60_000;

/**
 * The append rate per device in this relay process: one token bucket per device signing key, shared by all its
 * sockets, made at the device's first append (a device that only reads holds none). A bucket outlives the device's
 * sockets until it is full again, so reconnecting does not refill it; a full one is forgotten, which changes nothing.
 * The number of sockets a device holds is bounded by DeviceSockets.
 */
export class DeviceLimits {
  private readonly buckets = new Map<string, TokenBucket>();
  private lastSweep: number;

  constructor(
    private readonly settings: DeviceLimitSettings,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.lastSweep = clock();
  }

  /** Take one append token for `signPublic`: 0 if allowed, else the ms to wait before retrying. */
  takeEnvelope(signPublic: Uint8Array): number {
    const now = this.clock();
    this.sweep(now);
    const key = toHex(signPublic);
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(this.settings.envelopesPerSecond, this.settings.envelopesBurst, now);
      this.buckets.set(key, bucket);
    }
    return bucket.take(now);
  }

  /** Devices with a bucket now (for tests of the sweep and for metrics). */
  get size(): number {
    return this.buckets.size;
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = now;
    for (const [key, bucket] of this.buckets) {
      if (bucket.isFull(now)) this.buckets.delete(key);
    }
  }
}

/** The relay's device limits from its configuration. */
export function deviceLimitsFor(config: Config): DeviceLimits {
  return new DeviceLimits({
    envelopesPerSecond: config.rateEnvelopesPerSecond,
    envelopesBurst: config.rateEnvelopesBurst,
  });
}
