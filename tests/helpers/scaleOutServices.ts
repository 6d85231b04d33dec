import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';

/** The PostgreSQL database tests create their throwaway databases from (override: TEST_DATABASE_URL). */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
/** The Redis the scale-out tests share (override: TEST_REDIS_URL). */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';

const PROBE_TIMEOUT_MS = 3_000;

/**
 * Whether PostgreSQL and Redis answer. In CI (`CI=true`) an unreachable service is an error, thrown here so the
 * suite fails loudly instead of skipping; elsewhere the answer says why the suite is skipped.
 */
export async function scaleOutServices(): Promise<
  { available: true } | { available: false; reason: string }
> {
  const problems = (await Promise.all([probePostgres(), probeRedis()])).filter(
    (p): p is string => p !== null,
  );
  if (problems.length === 0) return { available: true };
  const reason = problems.join('; ');
  if (process.env.CI === 'true') {
    throw new Error(`CI=true but the scale-out services are unreachable: ${reason}`);
  }
  console.warn(`skipping PostgreSQL/Redis relay tests: ${reason} (set TEST_DATABASE_URL / TEST_REDIS_URL)`);
  return { available: false, reason };
}

async function probePostgres(): Promise<string | null> {
  const client = new pg.Client({
    connectionString: TEST_DATABASE_URL,
    connectionTimeoutMillis: PROBE_TIMEOUT_MS,
  });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return `PostgreSQL at ${hostOf(TEST_DATABASE_URL)}: ${(error as Error).message}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function probeRedis(): Promise<string | null> {
  const redis = new Redis(TEST_REDIS_URL, {
    lazyConnect: true,
    connectTimeout: PROBE_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined); // reported through connect()'s rejection below
  try {
    await redis.connect();
    await redis.ping();
    return null;
  } catch (error) {
    return `Redis at ${hostOf(TEST_REDIS_URL)}: ${(error as Error).message}`;
  } finally {
    redis.disconnect();
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(unparseable URL)';
  }
}

export interface TestDatabase {
  /** DATABASE_URL of the fresh, empty database. */
  url: string;
  /** Drop it (relays using it should be stopped first; remaining sessions are cut). */
  drop(): Promise<void>;
}

/** A fresh database `hearth_test_<random>` next to TEST_DATABASE_URL's, so runs never see each other's rows. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `hearth_test_${randomBytes(6).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
