import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import {
  AUTH_TIMEOUT_MS,
  MAX_ROOMS_PER_DEVICE,
  MAX_VERIFY_THREADS,
  PUSH_COALESCE_MS,
  RATE_ENVELOPES_BURST,
  RATE_ENVELOPES_PER_SECOND,
  SHARED_SOCKET_TTL_MS,
} from '../src/lib/protocol/limits';
import { SNAPSHOT_GRACE_SECONDS } from './blobs/snapshotSweeper';
import { DatabaseUrl, redactUrl, RedisUrl, SECRET_VARIABLES } from './serviceUrls';

/**
 * The repository root (the nearest folder up with a package.json): BUILD_DIR resolves against it, so `npm start`
 * works from any working directory, whether this runs from sync-server/ or from the bundle under dist/.
 */
export const REPO_ROOT = findRepoRoot(path.dirname(fileURLToPath(import.meta.url)));

function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(from, '..');
  }
}

// An empty variable (`PORT=`) means "not set", as in most shells' and CI systems' intent.
const unsetIfEmpty = (value: unknown) => (value === '' ? undefined : value);

/**
 * The contact a push service may use about this relay's notifications (RFC 8292 `sub`): a mailto: address or an
 * https: URL, as web-push accepts. Operators should set their own; some push services refuse a localhost one.
 */
const VapidSubject = z
  .string()
  .refine(
    (value) => /^mailto:[^@\s]+@[^@\s]+$/.test(value) || /^https:\/\/[^\s/]+/.test(value),
    'expected mailto:someone@example.org or an https: URL',
  );

const Flag = z.enum(['true', 'false']).transform((value) => value === 'true');

const Env = z.object({
  PORT: z.preprocess(unsetIfEmpty, z.coerce.number().int().min(0).max(65535).default(8080)),
  HOST: z.preprocess(unsetIfEmpty, z.string().min(1).default('0.0.0.0')),
  DATA_DIR: z.preprocess(unsetIfEmpty, z.string().min(1).default('./data')),
  BUILD_DIR: z.preprocess(unsetIfEmpty, z.string().min(1).default('build')),
  LOG_LEVEL: z.preprocess(
    unsetIfEmpty,
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ),
  AUTH_TIMEOUT_MS: z.preprocess(
    unsetIfEmpty,
    z.coerce.number().int().min(1).max(600_000).default(AUTH_TIMEOUT_MS),
  ),
  DATABASE_URL: z.preprocess(unsetIfEmpty, DatabaseUrl.optional()),
  REDIS_URL: z.preprocess(unsetIfEmpty, RedisUrl.optional()),
  // Overrides of limits.ts for tests (a slow bucket to hit, or a fast one for a fuzz or crash burst); production
  // runs with the named defaults.
  RATE_ENVELOPES_PER_SECOND: z.preprocess(
    unsetIfEmpty,
    z.coerce.number().positive().max(1_000_000).default(RATE_ENVELOPES_PER_SECOND),
  ),
  RATE_ENVELOPES_BURST: z.preprocess(
    unsetIfEmpty,
    z.coerce.number().int().min(1).max(1_000_000).default(RATE_ENVELOPES_BURST),
  ),
  MAX_ROOMS_PER_DEVICE: z.preprocess(
    unsetIfEmpty,
    z.coerce.number().int().min(1).max(1_000_000).default(MAX_ROOMS_PER_DEVICE),
  ),
  // With REDIS_URL: a short one lets a test see a killed relay's sockets stop counting. Live sockets are refreshed
  // every third of it, so a very short one would be mostly refreshing.
  SHARED_SOCKET_TTL_MS: z.preprocess(
    unsetIfEmpty,
    z.coerce
      .number()
      .int()
      .min(1_000, 'expected at least 1000 ms (each relay refreshes its sockets every third of it)')
      .max(600_000, "expected at most 600000 ms (a crashed relay holds its devices' slots this long)")
      .default(SHARED_SOCKET_TTL_MS),
  ),
  VAPID_SUBJECT: z.preprocess(unsetIfEmpty, VapidSubject.default('mailto:admin@localhost')),
  // Tests and local development only: lets a device register an http:// push endpoint on a loopback host.
  PUSH_ALLOW_INSECURE_ENDPOINTS: z.preprocess(unsetIfEmpty, Flag.default(false)),
  PUSH_COALESCE_MS: z.preprocess(
    unsetIfEmpty,
    z.coerce.number().int().min(0).max(86_400_000).default(PUSH_COALESCE_MS),
  ),
  // How long a replaced snapshot stays downloadable (a device may be part-way through fetching it) before it is deleted.
  SNAPSHOT_GRACE_SECONDS: z.preprocess(
    unsetIfEmpty,
    z.coerce
      .number()
      .int()
      .min(1)
      .max(30 * 86_400)
      .default(SNAPSHOT_GRACE_SECONDS),
  ),
  // Append signatures are checked on this many worker threads (0: on the main thread). One core stays for the
  // main thread, which does the socket work and the commits.
  VERIFY_THREADS: z.preprocess(
    unsetIfEmpty,
    z.coerce
      .number()
      .int()
      .min(0)
      .max(MAX_VERIFY_THREADS)
      .default(Math.min(MAX_VERIFY_THREADS, Math.max(1, availableParallelism() - 1))),
  ),
});

export interface Config {
  port: number;
  host: string;
  /** Absolute; SQLite's file lives here. */
  dataDir: string;
  /** Absolute; the built PWA. */
  buildDir: string;
  logLevel: string;
  authTimeoutMs: number;
  /** Set: PostgreSQL storage (scale-out) instead of SQLite under dataDir. */
  databaseUrl: string | undefined;
  /** Set: fan-out across relay processes through Redis pub/sub instead of in-process only. */
  redisUrl: string | undefined;
  /** Append token bucket per device: refill per second and capacity. */
  rateEnvelopesPerSecond: number;
  rateEnvelopesBurst: number;
  maxRoomsPerDevice: number;
  /** With redisUrl: how long a relay's sockets count against their devices after it last refreshed them. */
  sharedSocketTtlMs: number;
  /** The VAPID `sub` claim: who push services can contact about this relay. */
  vapidSubject: string;
  /** Accept http:// push endpoints on loopback hosts (tests); production requires https://. */
  pushAllowInsecureEndpoints: boolean;
  /** At most one push per device in this many ms. */
  pushCoalesceMs: number;
  /** Worker threads checking append signatures; 0 checks them on the main thread. */
  verifyThreads: number;
  /** A replaced snapshot's blob is deleted this long after it was replaced. */
  snapshotGraceMs: number;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: string[] };

/** Read the relay's settings from the environment; every invalid variable yields one line in `problems`. */
export function loadConfig(env: NodeJS.ProcessEnv, cwd = process.cwd()): ConfigResult {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = issue.path.join('.');
      const raw = env[name] ?? '';
      const shown = SECRET_VARIABLES.has(name) ? redactUrl(raw) : raw;
      return `Invalid ${name}=${JSON.stringify(shown)}: ${issue.message}`;
    });
    return { ok: false, problems };
  }
  const e = parsed.data;
  return {
    ok: true,
    config: {
      port: e.PORT,
      host: e.HOST,
      dataDir: path.resolve(cwd, e.DATA_DIR),
      buildDir: path.resolve(REPO_ROOT, e.BUILD_DIR),
      logLevel: e.LOG_LEVEL,
      authTimeoutMs: e.AUTH_TIMEOUT_MS,
      databaseUrl: e.DATABASE_URL,
      redisUrl: e.REDIS_URL,
      rateEnvelopesPerSecond: e.RATE_ENVELOPES_PER_SECOND,
      rateEnvelopesBurst: e.RATE_ENVELOPES_BURST,
      maxRoomsPerDevice: e.MAX_ROOMS_PER_DEVICE,
      sharedSocketTtlMs: e.SHARED_SOCKET_TTL_MS,
      vapidSubject: e.VAPID_SUBJECT,
      pushAllowInsecureEndpoints: e.PUSH_ALLOW_INSECURE_ENDPOINTS,
      pushCoalesceMs: e.PUSH_COALESCE_MS,
      verifyThreads: e.VERIFY_THREADS,
      snapshotGraceMs: e.SNAPSHOT_GRACE_SECONDS * 1000,
    },
  };
}
