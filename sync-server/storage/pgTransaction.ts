import type pg from 'pg';
import { StorageError } from './StorageError';

/** Run storage work; any failure becomes a StorageError (the relay answers `storage_failed`). */
export async function guardStorage<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw new StorageError(error);
  }
}

/** Run `work` in one transaction on one pooled connection; any failure rolls back and becomes a StorageError. */
export function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return guardStorage(async () => {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      // A connection whose rollback fails is in an unknown state: release it as broken so the pool drops it.
      await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      throw error;
    } finally {
      client.release(broken);
    }
  });
}
