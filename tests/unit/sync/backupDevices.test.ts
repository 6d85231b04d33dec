import 'fake-indexeddb/auto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { cryptoReady, generateDeviceKeys, newRecoveryKey } from '$lib/crypto';
import { concatBytes } from '$lib/protocol/hex';
import type { HearthDb } from '$lib/store/db';
import { BackupError, restoreBackup, writeBackup } from '$lib/sync/backup';
import { createLinkedVault, createVault, unlockVault } from '$lib/sync/keyring';
import { RecordStore } from '$lib/sync/records';
import { freshDb } from '../support/testDb';

const PASSPHRASE = 'kettle on the windowsill';
const NEW_PASSPHRASE = 'a different kettle entirely';

describe('recovery backups of linked and first devices', () => {
  const dbs: HearthDb[] = [];
  const open = () => {
    const db = freshDb();
    dbs.push(db);
    return db;
  };

  beforeAll(async () => {
    await cryptoReady();
  });

  afterEach(async () => {
    for (const db of dbs.splice(0)) await db.delete();
  });

  it('restores a linked device as the same linked device, acting for the same identity', async () => {
    const phone = generateDeviceKeys();
    const laptop = open();
    const keyring = await createLinkedVault(laptop, PASSPHRASE, generateDeviceKeys(), {
      signPublic: phone.signPublic,
      boxPublic: phone.boxPublic,
    });
    await new RecordStore(laptop, keyring.storageKey).put('profile', 'profile', { name: 'Dr. Rowan Ellis' });
    const { parts, recoveryKey } = await writeBackup(laptop, keyring, { kind: 'recoveryKey' });

    const replacement = open();
    const restored = await restoreBackup(
      replacement,
      concatBytes(...parts),
      { kind: 'recoveryKey', recoveryKey: recoveryKey! },
      NEW_PASSPHRASE,
    );
    expect(restored).toEqual(keyring);
    const unlocked = await unlockVault(replacement, NEW_PASSPHRASE);
    expect(unlocked.linked).toBe(true);
    expect(unlocked.identity).toEqual({ signPublic: phone.signPublic, boxPublic: phone.boxPublic });
    expect(unlocked.signPublic).toEqual(keyring.signPublic);
    const profile = await new RecordStore(replacement, unlocked.storageKey).get(
      'profile',
      z.object({ name: z.string() }),
    );
    expect(profile).toEqual({ name: 'Dr. Rowan Ellis' });
  });

  it('restores a first device as a first device, whose own keys are the identity', async () => {
    const phone = open();
    const keyring = await createVault(phone, PASSPHRASE);
    const { parts } = await writeBackup(phone, keyring, { kind: 'passphrase', passphrase: PASSPHRASE });

    const replacement = open();
    await restoreBackup(
      replacement,
      concatBytes(...parts),
      { kind: 'passphrase', passphrase: PASSPHRASE },
      NEW_PASSPHRASE,
    );
    const unlocked = await unlockVault(replacement, NEW_PASSPHRASE);
    expect(unlocked).toEqual(keyring);
    expect(unlocked.linked).toBe(false);
    expect(unlocked.identity.signPublic).toEqual(unlocked.signPublic);
  });

  it('refuses the wrong recovery key and leaves no account behind', async () => {
    const phone = open();
    const keyring = await createVault(phone, PASSPHRASE);
    const { parts } = await writeBackup(phone, keyring, { kind: 'recoveryKey' });

    const replacement = open();
    const attempt = restoreBackup(
      replacement,
      concatBytes(...parts),
      { kind: 'recoveryKey', recoveryKey: newRecoveryKey() },
      NEW_PASSPHRASE,
    );
    await expect(attempt).rejects.toBeInstanceOf(BackupError);
    await expect(attempt).rejects.toMatchObject({ code: 'wrong_secret' });
    expect(await replacement.vault.count()).toBe(0);
  });
});
