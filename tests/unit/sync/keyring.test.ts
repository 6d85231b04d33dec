import 'fake-indexeddb/auto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cryptoReady, DEFAULT_MEM_LIMIT, DEFAULT_OPS_LIMIT, WrongPassphraseError } from '$lib/crypto';
import type { HearthDb } from '$lib/store/db';
import { createVault, hasVault, NoAccountError, rewrapVault, unlockVault } from '$lib/sync/keyring';
import { RecordStore } from '$lib/sync/records';
import { containsBytes, rowBytes } from '../support/containsBytes';
import { readRawRows } from '../support/rawIndexedDb';
import { freshDb } from '../support/testDb';

const PASSPHRASE = 'kettle on the windowsill';

describe('the device vault in IndexedDB', () => {
  let db: HearthDb;

  beforeAll(async () => {
    await cryptoReady();
  });

  afterEach(async () => {
    await db?.delete();
  });

  it('has no account until one is created', async () => {
    db = freshDb();
    expect(await hasVault(db)).toBe(false);
    await expect(unlockVault(db, PASSPHRASE)).rejects.toBeInstanceOf(NoAccountError);
  });

  it('unlocks with the passphrase it was created with, giving back the same keys', async () => {
    db = freshDb();
    const created = await createVault(db, PASSPHRASE);
    expect(await hasVault(db)).toBe(true);
    const unlocked = await unlockVault(db, PASSPHRASE);
    expect(unlocked).toEqual(created);
    expect(unlocked.signSecret.length).toBe(64);
    expect(unlocked.boxSecret.length).toBe(32);
    expect(unlocked.storageKey.length).toBe(32);
  });

  it('uses the default Argon2id cost and stores it beside the wrapped keys', async () => {
    db = freshDb();
    await createVault(db, PASSPHRASE);
    const row = await db.vault.get('device');
    expect(row?.opsLimit).toBe(DEFAULT_OPS_LIMIT);
    expect(row?.memLimit).toBe(DEFAULT_MEM_LIMIT);
  });

  it('refuses a wrong passphrase and changes nothing', async () => {
    db = freshDb();
    const created = await createVault(db, PASSPHRASE);
    const before = await readRawRows(db.name, 'vault');
    await expect(unlockVault(db, 'kettle on the windowsil')).rejects.toBeInstanceOf(WrongPassphraseError);
    expect(await readRawRows(db.name, 'vault')).toEqual(before);
    expect(await unlockVault(db, PASSPHRASE)).toEqual(created);
  });

  it('never stores the secret keys or the passphrase in the clear', async () => {
    db = freshDb();
    const keyring = await createVault(db, PASSPHRASE);
    const [row] = await readRawRows(db.name, 'vault');
    const stored = rowBytes(row);
    expect(containsBytes(stored, keyring.signSecret.subarray(0, 32))).toBe(false);
    expect(containsBytes(stored, keyring.boxSecret)).toBe(false);
    expect(containsBytes(stored, keyring.storageKey)).toBe(false);
    expect(containsBytes(stored, new TextEncoder().encode(PASSPHRASE))).toBe(false);
    // The public halves are meant to be there: this shows the search can find what is present.
    expect(containsBytes(stored, keyring.signPublic)).toBe(true);
  });

  it('does not replace an existing account when asked to create another', async () => {
    db = freshDb();
    const first = await createVault(db, PASSPHRASE);
    await expect(createVault(db, 'a different passphrase')).rejects.toMatchObject({
      name: 'ConstraintError',
    });
    expect(await unlockVault(db, PASSPHRASE)).toEqual(first);
  });

  it('changes the passphrase by re-wrapping the same keys, leaving every record as it was', async () => {
    db = freshDb();
    const created = await createVault(db, PASSPHRASE);
    await new RecordStore(db, created.storageKey).put('profile', 'profile', { name: 'Sam' });
    const recordsBefore = await readRawRows(db.name, 'records');
    const [vaultBefore] = await readRawRows(db.name, 'vault');

    await rewrapVault(db, PASSPHRASE, 'a new passphrase for spring');

    await expect(unlockVault(db, PASSPHRASE)).rejects.toBeInstanceOf(WrongPassphraseError);
    expect(await unlockVault(db, 'a new passphrase for spring')).toEqual(created);
    // Only the small vault row changed (fresh salt and wrapping); records were not re-encrypted.
    expect(await readRawRows(db.name, 'records')).toEqual(recordsBefore);
    const [vaultAfter] = await readRawRows(db.name, 'vault');
    expect(vaultAfter).not.toEqual(vaultBefore);
    expect(containsBytes(rowBytes(vaultAfter), new TextEncoder().encode('a new passphrase for spring'))).toBe(
      false,
    );
  });

  it('changes nothing when the current passphrase given is wrong', async () => {
    db = freshDb();
    const created = await createVault(db, PASSPHRASE);
    const before = await readRawRows(db.name, 'vault');
    await expect(rewrapVault(db, 'not the passphrase at all', 'another one entirely')).rejects.toBeInstanceOf(
      WrongPassphraseError,
    );
    expect(await readRawRows(db.name, 'vault')).toEqual(before);
    expect(await unlockVault(db, PASSPHRASE)).toEqual(created);
  });
});
