import type { z } from 'zod';
import { decryptWithKey, encryptWithKey, newNonce } from '../crypto';
import type { HearthDb, RecordRow } from '../store/db';

/**
 * Encrypted JSON records: the profile, each room's keys, names and topic. Sealed under the storage key with
 * the record id as associated data, so a row cannot be swapped for another. Read back through a zod schema.
 */
export class RecordStore {
  constructor(
    private readonly db: HearthDb,
    private readonly storageKey: Uint8Array,
  ) {}

  /** Seal a record for writing (usable inside a caller's transaction). */
  seal(id: string, kind: RecordRow['kind'], value: unknown): RecordRow {
    const nonce = newNonce();
    const plaintext = new TextEncoder().encode(JSON.stringify(value));
    return { id, kind, nonce, ciphertext: encryptWithKey(this.storageKey, nonce, plaintext, ad(id)) };
  }

  async put(id: string, kind: RecordRow['kind'], value: unknown): Promise<void> {
    await this.db.records.put(this.seal(id, kind, value));
  }

  async get<T>(id: string, schema: z.ZodType<T>): Promise<T | undefined> {
    const row = await this.db.records.get(id);
    return row ? this.open(row, schema) : undefined;
  }

  async list<T>(kind: RecordRow['kind'], schema: z.ZodType<T>): Promise<T[]> {
    const rows = await this.db.records.where('kind').equals(kind).toArray();
    return rows.map((row) => this.open(row, schema));
  }

  private open<T>(row: RecordRow, schema: z.ZodType<T>): T {
    const plaintext = decryptWithKey(this.storageKey, row.nonce, row.ciphertext, ad(row.id));
    return schema.parse(JSON.parse(new TextDecoder().decode(plaintext)));
  }
}

function ad(id: string): Uint8Array {
  return new TextEncoder().encode(`hearth-record-v1:${id}`);
}
