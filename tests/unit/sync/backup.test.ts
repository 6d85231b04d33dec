import 'fake-indexeddb/auto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { cryptoReady } from '$lib/crypto';
import type { HearthDb } from '$lib/store/db';
import { BackupError, backupProtection, restoreBackup, writeBackup } from '$lib/sync/backup';
import { createVault, unlockVault } from '$lib/sync/keyring';
import { RecordStore } from '$lib/sync/records';
import { containsBytes } from '../support/containsBytes';
import { readRawRows } from '../support/rawIndexedDb';
import { freshDb } from '../support/testDb';

const PASSPHRASE = 'old phone passphrase';
const NEW_PASSPHRASE = 'new phone passphrase';

function join(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

async function populated(db: HearthDb, envelopes: number) {
  const keyring = await createVault(db, PASSPHRASE);
  await new RecordStore(db, keyring.storageKey).put('profile', 'profile', { name: 'Backup Canary Person' });
  await db.envelopes.bulkPut(
    Array.from({ length: envelopes }, (_, i) => ({
      room: 'ab'.repeat(16),
      seq: i + 1,
      id: i.toString(16).padStart(32, '0'),
      author: 'cd'.repeat(32),
      bytes: crypto.getRandomValues(new Uint8Array(200)),
      rejected: null,
    })),
  );
  await db.cursors.put({
    room: 'ab'.repeat(16),
    seq: envelopes,
    clock: 3,
    authors: { ['cd'.repeat(32)]: envelopes },
  });
  return keyring;
}

describe('recovery backups', () => {
  const dbs: HearthDb[] = [];
  const track = (db: HearthDb) => (dbs.push(db), db);

  beforeAll(async () => {
    await cryptoReady();
  });

  afterEach(async () => {
    for (const db of dbs.splice(0)) await db.delete();
  });

  it('restore the same keys and every stored row on a new device, under its new passphrase', async () => {
    const old = track(freshDb());
    const keyring = await populated(old, 1_234);
    const progress: number[] = [];
    const { parts, recoveryKey } = await writeBackup(old, keyring, { kind: 'recoveryKey' }, (p) =>
      progress.push(p.done),
    );
    expect(recoveryKey).toHaveLength(32);
    expect(progress.at(-1)).toBe(1_234 + 2);
    const file = join(parts);
    expect(backupProtection(file)).toBe('recoveryKey');
    // Nothing of the keys or the record is readable in the file.
    expect(containsBytes(file, keyring.storageKey)).toBe(false);
    expect(containsBytes(file, keyring.signSecret.subarray(0, 32))).toBe(false);
    expect(containsBytes(file, new TextEncoder().encode('Backup Canary Person'))).toBe(false);

    const fresh = track(freshDb());
    const restored = await restoreBackup(
      fresh,
      file,
      { kind: 'recoveryKey', recoveryKey: recoveryKey as Uint8Array },
      NEW_PASSPHRASE,
    );
    expect(restored).toEqual(keyring);
    expect(await unlockVault(fresh, NEW_PASSPHRASE)).toEqual(keyring);
    for (const table of ['records', 'envelopes', 'cursors']) {
      expect(await readRawRows(fresh.name, table)).toEqual(await readRawRows(old.name, table));
    }
    expect(
      await new RecordStore(fresh, restored.storageKey).get('profile', z.object({ name: z.string() })),
    ).toEqual({
      name: 'Backup Canary Person',
    });
  });

  it('can be protected by the passphrase instead', async () => {
    const old = track(freshDb());
    const keyring = await populated(old, 3);
    const { parts, recoveryKey } = await writeBackup(old, keyring, {
      kind: 'passphrase',
      passphrase: PASSPHRASE,
    });
    expect(recoveryKey).toBeNull();
    const file = join(parts);
    expect(backupProtection(file)).toBe('passphrase');
    const fresh = track(freshDb());
    await expect(
      restoreBackup(fresh, file, { kind: 'passphrase', passphrase: 'not it at all' }, NEW_PASSPHRASE),
    ).rejects.toMatchObject({ code: 'wrong_secret' });
    expect(await fresh.vault.count()).toBe(0);
    expect(
      await restoreBackup(fresh, file, { kind: 'passphrase', passphrase: PASSPHRASE }, NEW_PASSPHRASE),
    ).toEqual(keyring);
  });

  it('refuses a wrong key, an altered or cut-short file, and a device that already has an account, writing nothing', async () => {
    const old = track(freshDb());
    const keyring = await populated(old, 1_200);
    const { parts, recoveryKey } = await writeBackup(old, keyring, { kind: 'recoveryKey' });
    const file = join(parts);
    const secret = { kind: 'recoveryKey' as const, recoveryKey: recoveryKey as Uint8Array };
    const fresh = track(freshDb());

    const wrong = { kind: 'recoveryKey' as const, recoveryKey: new Uint8Array(32) };
    await expect(restoreBackup(fresh, file, wrong, NEW_PASSPHRASE)).rejects.toMatchObject({
      code: 'wrong_secret',
    });

    const altered = file.slice();
    altered[altered.length - 100] ^= 1;
    await expect(restoreBackup(fresh, altered, secret, NEW_PASSPHRASE)).rejects.toMatchObject({
      code: 'damaged',
    });

    const cut = file.slice(0, file.length - 3_000);
    await expect(restoreBackup(fresh, cut, secret, NEW_PASSPHRASE)).rejects.toMatchObject({
      code: 'damaged',
    });

    await expect(
      restoreBackup(fresh, new TextEncoder().encode('hello'), secret, NEW_PASSPHRASE),
    ).rejects.toBeInstanceOf(BackupError);
    expect(await fresh.vault.count()).toBe(0);
    expect(await fresh.envelopes.count()).toBe(0);

    await expect(restoreBackup(old, file, secret, NEW_PASSPHRASE)).rejects.toMatchObject({
      code: 'device_not_empty',
    });
  });
});
