import { randomBytes } from 'node:crypto';
import { Redis, type Result } from 'ioredis';
import type { Logger } from '../log';
import { withTimeout } from '../withTimeout';
import { ACQUIRE_SOCKET, LEASE_TOKENS, REFRESH_SOCKETS, RETURN_TOKENS } from './limitScripts';
import type { DeviceLimitSettings, Lease, SharedLimits } from './sharedLimits';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    hearthAcquireSocket(key: string, member: string, max: number, ttlMs: number): Result<number, Context>;
    hearthRefreshSockets(key: string, ttlMs: number, ...members: string[]): Result<number, Context>;
    hearthLeaseTokens(
      key: string,
      perSecond: number,
      burst: number,
      want: number,
    ): Result<[number, number], Context>;
    hearthReturnTokens(key: string, perSecond: number, burst: number, count: number): Result<number, Context>;
  }
}

/** Every key of the shared limits starts so; a change of their layout gets a new version. */
export const LIMITS_KEY_PREFIX = 'hearth:limits:v1';
/** The sorted set of a device's live sockets on every relay (device: its signing key in hex). */
export const socketsKey = (device: string): string => `${LIMITS_KEY_PREFIX}:sockets:${device}`;
/** The hash holding a device's shared append bucket. */
export const rateKey = (device: string): string => `${LIMITS_KEY_PREFIX}:rate:${device}`;

const CONNECT_TIMEOUT_MS = 10_000;
/** Longest an append or an AUTH waits on Redis before this process counts alone. */
const COMMAND_TIMEOUT_MS = 500;
/** After a failed call, count alone for this long before asking Redis again (a hung Redis costs one wait, not each). */
const RETRY_AFTER_MS = 5_000;
const QUIT_TIMEOUT_MS = 2_000;

/**
 * The device limits shared by every relay process through Redis, on a link of their own: unlike the fan-out's, it
 * never queues a command while disconnected, so a limit check fails at once and the relay counts in its process.
 */
export class RedisLimits implements SharedLimits {
  readonly refreshEveryMs: number;
  /** Names this process's sockets among a device's members, as the fan-out's origin names its messages. */
  private readonly origin = randomBytes(8).toString('hex');
  private retryAt = 0;
  private unreachable = false;
  private closing = false;

  private constructor(
    private readonly link: Redis,
    private readonly settings: DeviceLimitSettings,
    private readonly log: Logger,
  ) {
    this.refreshEveryMs = Math.floor(settings.socketTtlMs / 3);
  }

  /** Connect before the relay takes its first socket; rejects if Redis is unreachable. */
  static async open(url: string, settings: DeviceLimitSettings, log: Logger): Promise<RedisLimits> {
    const link = new Redis(url, {
      lazyConnect: true,
      connectTimeout: CONNECT_TIMEOUT_MS,
      connectionName: 'hearth-relay-limits',
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: COMMAND_TIMEOUT_MS,
    });
    link.defineCommand('hearthAcquireSocket', { numberOfKeys: 1, lua: ACQUIRE_SOCKET });
    link.defineCommand('hearthRefreshSockets', { numberOfKeys: 1, lua: REFRESH_SOCKETS });
    link.defineCommand('hearthLeaseTokens', { numberOfKeys: 1, lua: LEASE_TOKENS });
    link.defineCommand('hearthReturnTokens', { numberOfKeys: 1, lua: RETURN_TOKENS });
    const limits = new RedisLimits(link, settings, log);
    link.on('error', (error: Error) => limits.failed(error));
    link.on('ready', () => (limits.retryAt = 0));
    try {
      await withTimeout(link.connect(), CONNECT_TIMEOUT_MS, 'connect to redis');
    } catch (error) {
      link.disconnect();
      throw error;
    }
    return limits;
  }

  async acquireSocket(device: string, connection: number): Promise<boolean | undefined> {
    const { maxConnections, socketTtlMs } = this.settings;
    const key = socketsKey(device);
    const member = this.member(connection);
    const taken = await this.attempt(() =>
      this.link.hearthAcquireSocket(key, member, maxConnections, socketTtlMs),
    );
    return taken === undefined ? undefined : taken === 1;
  }

  releaseSocket(device: string, connection: number): void {
    // Unreachable: the member lapses within socketTtlMs, as a crashed relay's do.
    void this.attempt(() => this.link.zrem(socketsKey(device), this.member(connection)));
  }

  refreshSockets(sockets: Array<[device: string, connections: number[]]>): void {
    if (sockets.length === 0) return;
    void this.attempt(async () => {
      const pipeline = this.link.pipeline();
      for (const [device, connections] of sockets) {
        const members = connections.map((connection) => this.member(connection));
        pipeline.hearthRefreshSockets(socketsKey(device), this.settings.socketTtlMs, ...members);
      }
      for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
    });
  }

  async leaseTokens(device: string, want: number): Promise<Lease | undefined> {
    const { envelopesPerSecond, envelopesBurst } = this.settings;
    const answer = await this.attempt(() =>
      this.link.hearthLeaseTokens(rateKey(device), envelopesPerSecond, envelopesBurst, want),
    );
    return answer && { granted: answer[0], retryAfterMs: answer[1] };
  }

  returnTokens(device: string, count: number): void {
    const { envelopesPerSecond, envelopesBurst } = this.settings;
    void this.attempt(() =>
      this.link.hearthReturnTokens(rateKey(device), envelopesPerSecond, envelopesBurst, count),
    );
  }

  /** Send what is queued, then close the link (cut it if Redis does not answer in time). */
  async close(): Promise<void> {
    this.closing = true;
    await withTimeout(this.link.quit(), QUIT_TIMEOUT_MS, 'redis quit').catch(() => this.link.disconnect());
  }

  private member(connection: number): string {
    return `${this.origin}:${connection}`;
  }

  /** `command`'s answer, or undefined when Redis cannot give one now (the caller then counts in this process). */
  private async attempt<T>(command: () => Promise<T>): Promise<T | undefined> {
    if (this.closing) return undefined;
    if (this.link.status !== 'ready') {
      this.failed(new Error(`link ${this.link.status}`));
      return undefined;
    }
    if (performance.now() < this.retryAt) return undefined;
    try {
      const answer = await command();
      if (this.unreachable) {
        this.unreachable = false;
        this.log.warn('redis reachable again; device limits are shared across relays');
      }
      return answer;
    } catch (error) {
      this.failed(error as Error);
      return undefined;
    }
  }

  /** Log the first failure of an outage, and only its message: ioredis puts a command's arguments (keys) on errors. */
  private failed(error: Error): void {
    this.retryAt = performance.now() + RETRY_AFTER_MS;
    if (this.unreachable || this.closing) return;
    this.unreachable = true;
    this.log.error({ reason: error.message }, 'redis unreachable; counting device limits in this process');
  }
}
