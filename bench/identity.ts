/**
 * Identity benchmarks in Chromium: unlocking with this build's Argon2id parameters, and restoring a recovery backup
 * that holds 10,000 messages on a fresh device. References measured in the same run: PBKDF2-SHA256 at 600,000
 * iterations through WebCrypto (a common password-hashing cost), and a bare strict IndexedDB write of the same
 * number of rows.
 */
import 'fake-indexeddb/auto';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import * as Y from 'yjs';
import { cryptoReady, DEFAULT_MEM_LIMIT, DEFAULT_OPS_LIMIT, toBase64Url } from '../src/lib/crypto';
import { formatRecoveryKey } from '../src/lib/model/recoveryKey';
import { concatBytes, toHex } from '../src/lib/protocol/hex';
import { HearthDb } from '../src/lib/store/db';
import { writeBackup } from '../src/lib/sync/backup';
import { sealUpdate } from '../src/lib/sync/envelopeSeal';
import { newRoom } from '../src/lib/sync/invites';
import { createVault } from '../src/lib/sync/keyring';
import { RecordStore } from '../src/lib/sync/records';
import { sealSnapshot } from '../src/lib/sync/snapshot';
import { benchContext, launchBrowser, percentile, ratio, report, startRelay } from './support';

const PORT = Number(process.env.BENCH_PORT ?? 4331);
const MESSAGES = 10_000;
/** Devices snapshot every 500 envelopes, so a device holding 10,000 has one at 9,500 and a tail after it. */
const SNAPSHOT_AT = 9_500;
const UNLOCKS = 7;
const RESTORES = 3;
const PASSPHRASE = 'bench passphrase for timing';

/**
 * The store of a device that has written 10,000 messages in one conversation, built with the app's own sync layer
 * (real keys, real sealed and signed envelopes), then backed up exactly as the app does.
 */
async function backupOf10kMessages(): Promise<{ file: Uint8Array; recoveryKey: string; lastText: string }> {
  const db = new HearthDb(`bench-${crypto.randomUUID()}`);
  const keyring = await createVault(db, PASSPHRASE);
  const me = toHex(keyring.signPublic);
  const { room, roomKey } = newRoom();
  const roomHex = toHex(room);
  const records = new RecordStore(db, keyring.storageKey);
  await records.put('profile', 'profile', { name: 'Bench Therapist', role: 'therapist', replyPromise: '' });
  await records.put(`room:${roomHex}`, 'room', {
    room: roomHex,
    epoch: 0,
    keys: { 0: toBase64Url(roomKey) },
    creator: toBase64Url(keyring.signPublic),
    inviteSecrets: [],
    createdAt: Date.now(),
    label: 'Bench client',
    inviteLink: '',
  });
  const doc = new Y.Doc();
  const updates: Uint8Array[] = [];
  doc.on('update', (update: Uint8Array) => updates.push(update));
  doc.getMap('people').set(me, { name: 'Bench Therapist', role: 'therapist', replyPromise: '' });
  let lastText = '';
  let snapshotState: Uint8Array | null = null;
  for (let n = 1; n < MESSAGES; n++) {
    lastText = `message ${n}: ${'a thought worth keeping, '.repeat(3)}`;
    doc
      .getArray('messages')
      .push([{ id: crypto.randomUUID(), by: me, n, text: lastText, at: Date.now() + n }]);
    if (updates.length === SNAPSHOT_AT) snapshotState = Y.encodeStateAsUpdate(doc);
  }
  const rows = updates.map((update, i) => {
    const sealed = sealUpdate({ room, author: keyring, epoch: 0, roomKey, clock: i + 1, update });
    return {
      room: roomHex,
      seq: i + 1,
      id: toHex(sealed.id),
      author: me,
      bytes: sealed.bytes,
      rejected: null,
    };
  });
  await db.envelopes.bulkPut(rows);
  await db.cursors.put({
    room: roomHex,
    seq: rows.length,
    clock: rows.length,
    authors: { [me]: rows.length },
  });
  if (snapshotState) {
    const bytes = sealSnapshot({
      room,
      author: keyring,
      epoch: 0,
      roomKey,
      upToSeq: SNAPSHOT_AT,
      state: snapshotState,
    });
    await db.snapshots.put({ room: roomHex, upToSeq: SNAPSHOT_AT, bytes });
  }
  const { parts, recoveryKey } = await writeBackup(db, keyring, { kind: 'recoveryKey' });
  await db.delete();
  const file = concatBytes(...parts);
  return { file, recoveryKey: formatRecoveryKey(recoveryKey as Uint8Array), lastText };
}

async function timeUnlocks(page: Page): Promise<number[]> {
  await page.goto('/');
  await page.getByLabel('Your name, as others will see it').fill('Bench Therapist');
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByLabel('Passphrase again').fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByText('Signed in as').waitFor();
  const times: number[] = [];
  for (let i = 0; i < UNLOCKS; i++) {
    await page.reload();
    await page.getByLabel('Passphrase').fill(PASSPHRASE);
    const start = Date.now();
    await page.getByRole('button', { name: 'Unlock' }).click();
    await page.getByText('Signed in as').waitFor();
    times.push(Date.now() - start);
  }
  return times;
}

async function timePbkdf2(page: Page): Promise<number[]> {
  return page.evaluate(async (runs) => {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      const key = await crypto.subtle.importKey(
        'raw',
        new TextEncoder().encode('bench passphrase'),
        'PBKDF2',
        false,
        ['deriveBits'],
      );
      await crypto.subtle.deriveBits(
        {
          name: 'PBKDF2',
          hash: 'SHA-256',
          salt: crypto.getRandomValues(new Uint8Array(16)),
          iterations: 600_000,
        },
        key,
        256,
      );
      times.push(performance.now() - start);
    }
    return times;
  }, UNLOCKS);
}

/** A bare strict-durability IndexedDB write of `count` rows of the given size, in batches of 500. */
async function timeBareRows(page: Page, count: number, bytes: number): Promise<number> {
  return page.evaluate(
    async ({ count, bytes }) => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const open = indexedDB.open(`bench-rows-${Math.random()}`, 1);
        open.onupgradeneeded = () => open.result.createObjectStore('rows', { keyPath: 'seq' });
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
      const start = performance.now();
      for (let from = 0; from < count; from += 500) {
        await new Promise<void>((resolve, reject) => {
          const tx = db.transaction('rows', 'readwrite', { durability: 'strict' });
          for (let seq = from; seq < Math.min(count, from + 500); seq++) {
            tx.objectStore('rows').put({ seq, bytes: crypto.getRandomValues(new Uint8Array(bytes)) });
          }
          tx.oncomplete = () => resolve();
          tx.onerror = () => reject(tx.error);
        });
      }
      const elapsed = performance.now() - start;
      db.close();
      return elapsed;
    },
    { count, bytes },
  );
}

async function main(): Promise<void> {
  await cryptoReady();
  const backup = await backupOf10kMessages();
  const file = join(mkdtempSync(join(tmpdir(), 'hearth-bench-backup-')), 'backup.hearth');
  writeFileSync(file, backup.file);

  const relay = await startRelay(PORT);
  const browser = await launchBrowser();
  try {
    const context = await benchContext(browser, PORT);
    const page = await context.newPage();
    const unlocks = await timeUnlocks(page);
    const pbkdf2 = await timePbkdf2(page);
    report('identity.argon2id_ops_limit', DEFAULT_OPS_LIMIT, 'passes');
    report('identity.argon2id_mem_limit', DEFAULT_MEM_LIMIT / 1024 / 1024, 'MiB');
    report('identity.unlock_to_home_p50', percentile(unlocks, 50), 'ms');
    report('identity.unlock_to_home_max', Math.max(...unlocks), 'ms');
    report('reference.pbkdf2_sha256_600k_p50', percentile(pbkdf2, 50), 'ms');
    ratio('unlock_vs_pbkdf2_600k', percentile(unlocks, 50), percentile(pbkdf2, 50));
    await context.close();

    report('identity.backup_messages', MESSAGES, 'messages');
    report('identity.backup_file_size', backup.file.length / 1024 / 1024, 'MiB');
    const restores: number[] = [];
    const opens: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < RESTORES; i++) {
      const fresh = await benchContext(browser, PORT);
      const phone = await fresh.newPage();
      await phone.goto('/');
      await phone.getByText('Restore from a backup file').click();
      await phone.getByLabel('Backup file').setInputFiles(file);
      await phone.getByLabel('Recovery key').fill(backup.recoveryKey);
      await phone.getByLabel('New passphrase for this device').fill(PASSPHRASE);
      await phone.getByLabel('New passphrase again').fill(PASSPHRASE);
      const start = Date.now();
      await phone.getByRole('button', { name: 'Restore' }).click();
      await phone.getByTestId('conversation-list').waitFor({ timeout: 120_000 });
      restores.push(Date.now() - start);
      const openStart = Date.now();
      await phone.getByTestId('conversation-list').getByRole('link').first().click();
      await phone.getByText(backup.lastText).waitFor({ timeout: 120_000 });
      opens.push(Date.now() - openStart);
      bare.push(await timeBareRows(phone, MESSAGES, 300));
      await fresh.close();
    }
    report('identity.restore_10000_messages_to_thread_list_p50', percentile(restores, 50), 'ms');
    report('identity.restore_then_open_conversation_p50', percentile(opens, 50), 'ms');
    report('reference.strict_idb_write_10000_rows_p50', percentile(bare, 50), 'ms');
    ratio('restore_10000_vs_bare_rows', percentile(restores, 50), percentile(bare, 50));
  } finally {
    await browser.close();
    relay.stop();
  }
}

await main();
