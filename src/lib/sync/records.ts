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
    return this.sealBytes(id, kind, new TextEncoder().encode(JSON.stringify(value)));
  }

  /** Seal a record that has a binary layout of its own (a search segment), sealed as it is. */
  sealBytes(id: string, kind: RecordRow['kind'], bytes: Uint8Array): RecordRow {
    const nonce = newNonce();
    return { id, kind, nonce, ciphertext: encryptWithKey(this.storageKey, nonce, bytes, ad(id)) };
  }

  async put(id: string, kind: RecordRow['kind'], value: unknown): Promise<void> {
    await this.db.records.put(this.seal(id, kind, value));
  }

  /** Seal and write several records in one transaction. */
  async putAll(entries: { id: string; kind: RecordRow['kind']; value: unknown }[]): Promise<void> {
    await this.db.records.bulkPut(entries.map((e) => this.seal(e.id, e.kind, e.value)));
  }

  /** Seal and write several binary records in one transaction. */
  async putAllBytes(entries: { id: string; kind: RecordRow['kind']; bytes: Uint8Array }[]): Promise<void> {
    await this.db.records.bulkPut(entries.map((e) => this.sealBytes(e.id, e.kind, e.bytes)));
  }

  /**
   * Binary records by id, opened (the caller parses them). Like `listReadable`, for a cache: those that do not open
   * are left out and their ids returned; ids with no record are left out.
   */
  async getManyBytes(
    ids: string[],
  ): Promise<{ values: { id: string; bytes: Uint8Array }[]; unreadable: string[] }> {
    const values: { id: string; bytes: Uint8Array }[] = [];
    const unreadable: string[] = [];
    for (const row of await this.db.records.bulkGet(ids)) {
      if (!row) continue;
      try {
        values.push({
          id: row.id,
          bytes: decryptWithKey(this.storageKey, row.nonce, row.ciphertext, ad(row.id)),
        });
      } catch {
        // The caller rebuilds it; a record that does not open says nothing about the rest of the store.
        unreadable.push(row.id);
      }
    }
    return { values, unreadable };
  }

  /** Delete records (in one transaction). */
  async remove(ids: string[]): Promise<void> {
    await this.db.records.bulkDelete(ids);
  }

  async get<T>(id: string, schema: z.ZodType<T>): Promise<T | undefined> {
    const row = await this.db.records.get(id);
    return row ? this.open(row, schema) : undefined;
  }

  async list<T>(kind: RecordRow['kind'], schema: z.ZodType<T>): Promise<T[]> {
    const rows = await this.db.records.where('kind').equals(kind).toArray();
    return rows.map((row) => this.open(row, schema));
  }

  /**
   * For records that are only a cache of something the device can rebuild: those that do not open or do not parse
   * (written by another version, or damaged) are left out and their ids returned, instead of failing the whole read.
   */
  async listReadable<T>(
    kind: RecordRow['kind'],
    schema: z.ZodType<T>,
  ): Promise<{ values: T[]; unreadable: string[] }> {
    const rows = await this.db.records.where('kind').equals(kind).toArray();
    const values: T[] = [];
    const unreadable: string[] = [];
    for (const row of rows) {
      const value = this.tryOpen(row, schema);
      if (value === undefined) unreadable.push(row.id);
      else values.push(value);
    }
    return { values, unreadable };
  }

  /** The ids of a kind's records, opening none: to read a large cache a part at a time. */
  async ids(kind: RecordRow['kind']): Promise<string[]> {
    return this.db.records.where('kind').equals(kind).primaryKeys();
  }

  /** One cached record, or undefined when it is missing, does not open, or does not parse (see `listReadable`). */
  async getReadable<T>(id: string, schema: z.ZodType<T>): Promise<T | undefined> {
    const row = await this.db.records.get(id);
    return row ? this.tryOpen(row, schema) : undefined;
  }

  private tryOpen<T>(row: RecordRow, schema: z.ZodType<T>): T | undefined {
    try {
      return this.open(row, schema);
    } catch {
      // The caller rebuilds it; a record that does not open says nothing about the rest of the store.
      return undefined;
    }
  }

  private open<T>(row: RecordRow, schema: z.ZodType<T>): T {
    const plaintext = decryptWithKey(this.storageKey, row.nonce, row.ciphertext, ad(row.id));
    return schema.parse(JSON.parse(new TextDecoder().decode(plaintext)));
  }
}

function ad(id: string): Uint8Array {
  return new TextEncoder().encode(`hearth-record-v1:${id}`);
}
