import type { Config } from '../config';
import type { Logger } from '../log';
import type { BlobStorage } from './BlobStorage';
import { openSqliteBlobStorage } from './sqlite';

/**
 * Pick blob storage by the same rule as storage/openStorage.ts: PostgreSQL when DATABASE_URL is set (every relay
 * sees every blob), else a SQLite file beside hearth.sqlite under DATA_DIR.
 */
export async function openBlobStorage(config: Config, log: Logger): Promise<BlobStorage> {
  if (config.databaseUrl) {
    const { openPostgresBlobStorage } = await import('./postgres');
    return openPostgresBlobStorage(config.databaseUrl, log);
  }
  return openSqliteBlobStorage(config.dataDir);
}
