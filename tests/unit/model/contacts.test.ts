import 'fake-indexeddb/auto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cryptoReady, newSymmetricKey } from '$lib/crypto';
import { Contacts } from '$lib/model/contacts';
import type { Contact } from '$lib/model/schemas';
import { RecordStore } from '$lib/sync/records';
import { containsBytes } from '../support/containsBytes';
import { freshDb } from '../support/testDb';

const dbs: ReturnType<typeof freshDb>[] = [];

beforeAll(async () => {
  await cryptoReady();
});

afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
});

const contact = (overrides: Partial<Contact> = {}): Contact => ({
  key: 'a'.repeat(64),
  box: 'b'.repeat(64),
  name: 'Dr. Ana Reyes',
  role: 'therapist',
  source: 'invited-me',
  at: 1_700_000_000_000,
  ...overrides,
});

describe('contacts', () => {
  it('are kept sealed on the device and read back after a restart', async () => {
    const db = freshDb();
    dbs.push(db);
    const key = newSymmetricKey();
    const contacts = new Contacts(new RecordStore(db, key));
    await contacts.load();
    expect(await contacts.remember(contact())).toBe(true);
    expect(
      await contacts.remember(contact({ key: 'c'.repeat(64), name: 'Ben Okafor', role: 'client' })),
    ).toBe(true);
    const row = await db.records.get('contacts');
    expect(containsBytes(row!.ciphertext, new TextEncoder().encode('Ana Reyes'))).toBe(false);

    const again = new Contacts(new RecordStore(db, key));
    await again.load();
    expect(again.list().map((c) => c.name)).toEqual(['Ben Okafor', 'Dr. Ana Reyes']);
    expect(again.has('a'.repeat(64))).toBe(true);
  });

  it('refresh a known contact’s name and keys but keep how they became one', async () => {
    const db = freshDb();
    dbs.push(db);
    const contacts = new Contacts(new RecordStore(db, newSymmetricKey()));
    await contacts.load();
    await contacts.remember(contact());
    expect(await contacts.remember(contact())).toBe(false);
    await contacts.remember(contact({ name: 'Dr. Ana Reyes-Lee', source: 'accepted-my-invite' }));
    expect(contacts.get('a'.repeat(64))).toMatchObject({ name: 'Dr. Ana Reyes-Lee', source: 'invited-me' });
  });
});
