import fs from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import { makeDataDir, startRelay, type RunningRelay } from './relayProcess';
import { createTestDatabase, scaleOutServices, TEST_REDIS_URL } from './scaleOutServices';

/** One storage that any number of relays (one after another, or side by side) can be started over. */
export interface BackendStorage {
  /** Start a relay over this storage (with `extraEnv`), each with its own DATA_DIR unless SQLite needs the same. */
  start(extraEnv?: Record<string, string>): Promise<RunningRelay>;
  /** Stop every relay started here and delete the storage. */
  dispose(): Promise<void>;
}

export interface RelayBackend {
  name: 'sqlite' | 'postgres';
  /** Why this backend's tests are skipped, if they are (never in CI: see scaleOutServices). */
  skipReason: string | null;
  prepare(): Promise<BackendStorage>;
}

/** What `relayForSuite` has prepared and started; read inside tests, once `beforeAll` has run. */
export interface SuiteRelay {
  storage: BackendStorage;
  relay: RunningRelay;
}

/**
 * For the enclosing describe: storage of `backend` prepared and one relay started over it before the tests, the
 * storage and every relay started over it disposed after them.
 */
export function relayForSuite(backend: RelayBackend): SuiteRelay {
  const suite = {} as SuiteRelay;
  beforeAll(async () => {
    suite.storage = await backend.prepare();
    suite.relay = await suite.storage.start();
  });
  afterAll(async () => {
    await suite.storage?.dispose();
  });
  return suite;
}

const services = await scaleOutServices();

export const SCALE_OUT_SKIP_REASON = services.available ? null : services.reason;

/** SQLite under one DATA_DIR (the default relay), and PostgreSQL in a fresh database per prepare(). */
export const RELAY_BACKENDS: RelayBackend[] = [
  { name: 'sqlite', skipReason: null, prepare: prepareSqlite },
  { name: 'postgres', skipReason: SCALE_OUT_SKIP_REASON, prepare: preparePostgres },
];

async function prepareSqlite(): Promise<BackendStorage> {
  const dataDir = makeDataDir();
  const relays: RunningRelay[] = [];
  return {
    async start(extraEnv = {}) {
      const relay = await startRelay({ dataDir, env: extraEnv });
      relays.push(relay);
      return relay;
    },
    async dispose() {
      for (const relay of relays) await relay.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** PostgreSQL storage, and Redis fan-out so relays on it behave as a scaled-out deployment. */
export async function preparePostgres(): Promise<BackendStorage> {
  const database = await createTestDatabase();
  const relays: RunningRelay[] = [];
  return {
    async start(extraEnv = {}) {
      const relay = await startRelay({
        env: { DATABASE_URL: database.url, REDIS_URL: TEST_REDIS_URL, ...extraEnv },
      });
      relays.push(relay);
      return relay;
    },
    async dispose() {
      for (const relay of relays) {
        await relay.stop();
        relay.removeData();
      }
      await database.drop();
    },
  };
}
