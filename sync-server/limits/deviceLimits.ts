import { toHex } from '../../src/lib/protocol/hex';
import { MAX_CONNECTIONS_PER_DEVICE } from '../../src/lib/protocol/limits';
import type { Config } from '../config';
import { TokenBucket } from './tokenBucket';

export interface DeviceLimitSettings {
  envelopesPerSecond: number;
  envelopesBurst: number;
  maxConnections: number;
}

interface DeviceState {
  bucket: TokenBucket;
  connections: number;
}

/** Forget devices with no socket and a full bucket at most this often (a sweep walks every device). */
const SWEEP_EVERY_MS = 60_000;

/**
 * Per-device bounds that live in this relay process: the append rate (one token bucket per device signing key,
 * shared by all its sockets) and the number of sockets a device holds open. A device's state outlives its sockets
 * until its bucket is full again, so reconnecting does not refill it.
 */
export class DeviceLimits {
  private readonly devices = new Map<string, DeviceState>();
  private lastSweep: number;

  constructor(
    private readonly settings: DeviceLimitSettings,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.lastSweep = clock();
  }

  /** Take one append token for `signPublic`: 0 if allowed, else the ms to wait before retrying. */
  takeEnvelope(signPublic: Uint8Array): number {
    return this.state(signPublic).bucket.take(this.clock());
  }

  /** Count one more authenticated socket for the device, unless it already holds the maximum (then false). */
  acquireConnection(signPublic: Uint8Array): boolean {
    const state = this.state(signPublic);
    if (state.connections >= this.settings.maxConnections) return false;
    state.connections += 1;
    return true;
  }

  /** An authenticated socket of the device closed. */
  releaseConnection(signPublic: Uint8Array): void {
    const state = this.devices.get(toHex(signPublic));
    if (state && state.connections > 0) state.connections -= 1;
    this.sweep();
  }

  /** Devices currently tracked (for tests of the sweep and for metrics). */
  get size(): number {
    return this.devices.size;
  }

  private state(signPublic: Uint8Array): DeviceState {
    const key = toHex(signPublic);
    let state = this.devices.get(key);
    if (!state) {
      const { envelopesPerSecond, envelopesBurst } = this.settings;
      state = { bucket: new TokenBucket(envelopesPerSecond, envelopesBurst, this.clock()), connections: 0 };
      this.devices.set(key, state);
    }
    return state;
  }

  private sweep(): void {
    const now = this.clock();
    if (now - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = now;
    for (const [key, state] of this.devices) {
      if (state.connections === 0 && state.bucket.isFull(now)) this.devices.delete(key);
    }
  }
}

/** The relay's device limits from its configuration (the socket cap has no override: 5 is small enough to test). */
export function deviceLimitsFor(config: Config): DeviceLimits {
  return new DeviceLimits({
    envelopesPerSecond: config.rateEnvelopesPerSecond,
    envelopesBurst: config.rateEnvelopesBurst,
    maxConnections: MAX_CONNECTIONS_PER_DEVICE,
  });
}
