/** The bounds every relay process applies to each device. */
export interface DeviceLimitSettings {
  envelopesPerSecond: number;
  envelopesBurst: number;
  maxConnections: number;
  /** Scaled out: how long a socket counts after its relay last refreshed it (a crashed relay's sockets lapse). */
  socketTtlMs: number;
}

/** Append tokens taken from a device's shared bucket: how many, and when none, the ms until there will be one. */
export interface Lease {
  granted: number;
  retryAfterMs: number;
}

/**
 * Per-device counts kept where every relay process sees them (Redis, `redisLimits.ts`). A call that cannot reach
 * them answers `undefined` (or, for the ones that answer nothing, does nothing): the caller then counts in its own
 * process, so an outage of the shared store never stops a device.
 */
export interface SharedLimits {
  /** How often the caller should `refreshSockets` its live sockets, so they never lapse while open. */
  readonly refreshEveryMs: number;
  /** Count socket `connection` of this process for `device` (hex), unless the device holds the maximum (false). */
  acquireSocket(device: string, connection: number): Promise<boolean | undefined>;
  releaseSocket(device: string, connection: number): void;
  /** Keep this process's live sockets counted (and count again any that lapsed while the store was unreachable). */
  refreshSockets(sockets: Array<[device: string, connections: number[]]>): void;
  /** Take up to `want` append tokens from the device's shared bucket. */
  leaseTokens(device: string, want: number): Promise<Lease | undefined>;
  /** Put back leased tokens this process did not use. */
  returnTokens(device: string, count: number): void;
  /** Close the link (after releasing what this process holds). */
  close(): Promise<void>;
}
