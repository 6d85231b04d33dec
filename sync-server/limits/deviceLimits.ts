import { toHex } from '../../src/lib/protocol/hex';
import { MAX_CONNECTIONS_PER_DEVICE } from '../../src/lib/protocol/limits';
import type { Config } from '../config';
import type { Logger } from '../log';
import type { DeviceLimitSettings, SharedLimits } from './sharedLimits';
import { TokenBucket } from './tokenBucket';
import { TokenLease } from './tokenLease';

export type { DeviceLimitSettings } from './sharedLimits';

interface DeviceState {
  /** Made at the device's first append: a device that only reads holds none. */
  bucket: TokenBucket | undefined;
  /** Ids of the device's authenticated sockets in this process. */
  sockets: Set<number>;
  /** Scaled out: this process's tokens from the device's shared bucket, also made at its first append. */
  lease: TokenLease | undefined;
}

/** Forget devices with no socket and a full bucket at most this often (a sweep walks every device). */
const SWEEP_EVERY_MS = 60_000;

/**
 * Per-device bounds: the append rate (one token bucket per device signing key, shared by all its sockets) and the
 * number of sockets a device holds open. A device's state outlives its sockets until its bucket is full again, so
 * reconnecting does not refill it.
 *
 * In one process these counts are the limits. Scaled out (`shared`, Redis), the relays count a device's sockets
 * together, and its appends draw on one shared bucket; this process's own counts stay the cheap first check (a
 * device over a limit here is over it everywhere), and they alone decide while Redis cannot be reached.
 */
export class DeviceLimits {
  private readonly devices = new Map<string, DeviceState>();
  private lastSweep: number;
  private readonly heartbeat: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly settings: DeviceLimitSettings,
    private readonly clock: () => number = () => performance.now(),
    private readonly shared?: SharedLimits,
  ) {
    this.lastSweep = clock();
    if (shared) {
      // Keeps this process's sockets counted; if it dies, they lapse within socketTtlMs.
      this.heartbeat = setInterval(() => shared.refreshSockets(this.liveSockets()), shared.refreshEveryMs);
      this.heartbeat.unref();
    }
  }

  /** Take one append token for `signPublic`: 0 if allowed, else the ms to wait before retrying. */
  async takeEnvelope(signPublic: Uint8Array): Promise<number> {
    const state = this.state(signPublic);
    const now = this.clock();
    const { envelopesPerSecond, envelopesBurst } = this.settings;
    state.bucket ??= new TokenBucket(envelopesPerSecond, envelopesBurst, now);
    if (this.shared) state.lease ??= new TokenLease(toHex(signPublic), this.shared, this.clock);
    const wait = state.bucket.take(now);
    if (wait > 0 || !state.lease) return wait;
    const sharedWait = await state.lease.take();
    // undefined: Redis is unreachable, and this process's bucket, which allowed the append, decides alone.
    if (!sharedWait) return 0;
    state.bucket.giveBack();
    return sharedWait;
  }

  /**
   * Count socket `connection` (its id in this process) for the device, unless the device already holds the maximum
   * (then false).
   */
  async acquireConnection(signPublic: Uint8Array, connection: number): Promise<boolean> {
    const max = this.settings.maxConnections;
    if (this.state(signPublic).sockets.size >= max) return false;
    const shared = await this.shared?.acquireSocket(toHex(signPublic), connection);
    if (shared === false) return false;
    // Read again after the wait: another socket of the device may have been counted meanwhile.
    const state = this.state(signPublic);
    if (shared === undefined && state.sockets.size >= max) return false;
    state.sockets.add(connection);
    return true;
  }

  /** Socket `connection` of the device, counted by acquireConnection, closed. */
  releaseConnection(signPublic: Uint8Array, connection: number): void {
    const key = toHex(signPublic);
    const state = this.devices.get(key);
    if (state?.sockets.delete(connection) && !this.closed) this.shared?.releaseSocket(key, connection);
    this.sweep();
  }

  /** Devices currently tracked (for tests of the sweep and for metrics). */
  get size(): number {
    return this.devices.size;
  }

  /** Stop refreshing, and hand this process's sockets and unused tokens back to the shared counts (shutdown). */
  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    if (!this.shared || this.closed) return;
    this.closed = true;
    for (const [key, state] of this.devices) {
      for (const connection of state.sockets) this.shared.releaseSocket(key, connection);
      state.lease?.end();
    }
    await this.shared.close();
  }

  private liveSockets(): Array<[string, number[]]> {
    const live: Array<[string, number[]]> = [];
    for (const [key, state] of this.devices) if (state.sockets.size > 0) live.push([key, [...state.sockets]]);
    return live;
  }

  private state(signPublic: Uint8Array): DeviceState {
    const key = toHex(signPublic);
    let state = this.devices.get(key);
    if (!state) {
      state = { bucket: undefined, sockets: new Set(), lease: undefined };
      this.devices.set(key, state);
    }
    return state;
  }

  private sweep(): void {
    const now = this.clock();
    if (now - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = now;
    for (const [key, state] of this.devices) {
      const idle = state.sockets.size === 0 && !state.lease?.busy;
      if (idle && (state.bucket?.isFull(now) ?? true)) this.devices.delete(key);
    }
  }
}

/** The relay's settings for device limits (the socket cap has no override: 5 is small enough to test). */
export function deviceLimitSettings(config: Config): DeviceLimitSettings {
  return {
    envelopesPerSecond: config.rateEnvelopesPerSecond,
    envelopesBurst: config.rateEnvelopesBurst,
    maxConnections: MAX_CONNECTIONS_PER_DEVICE,
    socketTtlMs: config.sharedSocketTtlMs,
  };
}

/**
 * The relay's device limits: shared with the other relays through Redis when REDIS_URL is set (the Redis code is
 * loaded only then), else in this process. Rejects if Redis is unreachable at start.
 */
export async function openDeviceLimits(config: Config, log: Logger): Promise<DeviceLimits> {
  const settings = deviceLimitSettings(config);
  if (!config.redisUrl) return new DeviceLimits(settings);
  const { RedisLimits } = await import('./redisLimits');
  return new DeviceLimits(settings, undefined, await RedisLimits.open(config.redisUrl, settings, log));
}
