import type { Config } from '../config';
import type { Logger } from '../log';
import type { RelayStorage } from './RelayStorage';
import { openSqliteStorage } from './sqlite';

/**
 * The one place that picks the storage: PostgreSQL when DATABASE_URL is set, else SQLite under DATA_DIR. The
 * PostgreSQL client is loaded only when used: an embedded relay should not carry its memory.
 */
export async function openStorage(config: Config, log: Logger): Promise<RelayStorage> {
  if (config.databaseUrl) {
    const { openPostgresStorage } = await import('./postgres');
    return openPostgresStorage(config.databaseUrl, log);
  }
  return openSqliteStorage(config.dataDir);
}

/** Where the storage lives, for logs: never the credentials of a URL. */
export function describeStorage(config: Config): Record<string, string> {
  if (!config.databaseUrl) return { storage: 'sqlite', dataDir: config.dataDir };
  const url = new URL(config.databaseUrl);
  return { storage: 'postgres', database: `${url.host}${url.pathname}` };
}
