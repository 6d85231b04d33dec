import 'fake-indexeddb/auto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { cryptoReady, DecryptError, newSymmetricKey } from '$lib/crypto';
import type { HearthDb } from '$lib/store/db';
import { RecordStore } from '$lib/sync/records';
import { containsBytes, rowBytes } from '../support/containsBytes';
import { readRawRows } from '../support/rawIndexedDb';
import { freshDb } from '../support/testDb';

const Profile = z.object({ name: z.string(), note: z.string() });
const SECRET_NOTE = 'panic attacks since the accident';

describe('encrypted records', () => {
  let db: HearthDb;

  beforeAll(async () => {
    await cryptoReady();
  });

  afterEach(async () => {
    await db?.delete();
  });

  it('reads back what was written', async () => {
    db = freshDb();
    const store = new RecordStore(db, newSymmetricKey());
    const value = { name: 'Sam', note: SECRET_NOTE };
    await store.put('profile', 'profile', value);
    expect(await store.get('profile', Profile)).toEqual(value);
    expect(await store.get('missing', Profile)).toBeUndefined();
  });

  it('lists the records of one kind only', async () => {
    db = freshDb();
    const store = new RecordStore(db, newSymmetricKey());
    await store.put('room:a', 'room', { name: 'A', note: '1' });
    await store.put('room:b', 'room', { name: 'B', note: '2' });
    await store.put('profile', 'profile', { name: 'Me', note: '' });
    const rooms = await store.list('room', Profile);
    expect(rooms.map((r) => r.name).sort()).toEqual(['A', 'B']);
  });

  it('replaces a record written again under the same id', async () => {
    db = freshDb();
    const store = new RecordStore(db, newSymmetricKey());
    await store.put('profile', 'profile', { name: 'Sam', note: 'old' });
    await store.put('profile', 'profile', { name: 'Sam', note: 'new' });
    expect(await store.get('profile', Profile)).toEqual({ name: 'Sam', note: 'new' });
    expect(await store.list('profile', Profile)).toHaveLength(1);
  });

  it('keeps only ciphertext in the IndexedDB row', async () => {
    db = freshDb();
    const store = new RecordStore(db, newSymmetricKey());
    await store.put('profile', 'profile', { name: 'Sam', note: SECRET_NOTE });
    const rows = await readRawRows(db.name, 'records');
    expect(rows).toHaveLength(1);
    const stored = rowBytes(rows[0]);
    expect(containsBytes(stored, new TextEncoder().encode(SECRET_NOTE))).toBe(false);
    expect(containsBytes(stored, new TextEncoder().encode('Sam'))).toBe(false);
    // The id is cleartext by design, which shows the search reads every column.
    expect(containsBytes(stored, new TextEncoder().encode('profile'))).toBe(true);
  });

  it('cannot open records with another storage key', async () => {
    db = freshDb();
    await new RecordStore(db, newSymmetricKey()).put('profile', 'profile', { name: 'Sam', note: '' });
    await expect(new RecordStore(db, newSymmetricKey()).get('profile', Profile)).rejects.toBeInstanceOf(
      DecryptError,
    );
  });

  it('refuses a row moved under another id', async () => {
    db = freshDb();
    const store = new RecordStore(db, newSymmetricKey());
    await store.put('room:a', 'room', { name: 'A', note: '' });
    const row = await db.records.get('room:a');
    if (!row) throw new Error('row not written');
    await db.records.put({ ...row, id: 'room:b' });
    await expect(store.get('room:b', Profile)).rejects.toBeInstanceOf(DecryptError);
  });

  it('refuses a record whose contents do not match the schema', async () => {
    db = freshDb();
    const store = new RecordStore(db, newSymmetricKey());
    await store.put('profile', 'profile', { name: 42 });
    await expect(store.get('profile', Profile)).rejects.toBeInstanceOf(z.ZodError);
  });
});
