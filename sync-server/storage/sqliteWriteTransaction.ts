import type Database from 'better-sqlite3';

/**
 * `work` as a write transaction that takes SQLite's write lock at BEGIN (BEGIN IMMEDIATE). A deferred transaction
 * that reads before it writes fails at once with SQLITE_BUSY if another connection (a second relay process on the
 * same file) committed since its read began, and busy_timeout cannot help it; an immediate one waits for the lock.
 */
export function writeTransaction<T>(db: Database.Database, work: () => T): () => T {
  return db.transaction(work).immediate;
}
