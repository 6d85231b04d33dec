/** The database failed (disk full, locked, closed...): the request may succeed if retried later. */
export class StorageError extends Error {
  constructor(cause: unknown) {
    super('storage operation failed', { cause });
    this.name = 'StorageError';
  }
}
