/**
 * What the benchmarks that start from a restored device do in the browser: restore a backup offline, unlock and time
 * until the conversations list is on screen, and read the app's IndexedDB bare, as a reference.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { benchContext, launchBrowser, startRelay } from '../support';
import type { Fixture } from './fixture';

const LONG = 300_000;

/**
 * Start the relay on `port` and Chromium, restore the fixture's backup on a fresh device, offline, and run
 * `measure` on its page; the browser and the relay are stopped after it, whatever happens.
 */
export async function onRestoredDevice(
  bench: string,
  port: number,
  fixture: Pick<Fixture, 'file' | 'recoveryKey'>,
  passphrase: string,
  measure: (page: Page) => Promise<void>,
): Promise<void> {
  const file = join(mkdtempSync(join(tmpdir(), `hearth-bench-${bench}-`)), 'backup.hearth');
  writeFileSync(file, fixture.file);

  const relay = await startRelay(port);
  const browser = await launchBrowser();
  try {
    const context = await benchContext(browser, port);
    const page = await context.newPage();
    page.on('pageerror', (error) => console.error('bench: page error', error.message));
    await restoreOffline(page, { file, recoveryKey: fixture.recoveryKey, passphrase });
    await measure(page);
  } finally {
    await browser.close();
    relay.stop();
  }
}

/** Restore a backup on a fresh device, offline, and wait until every conversation has been opened once. */
export async function restoreOffline(
  page: Page,
  backup: { file: string; recoveryKey: string; passphrase: string },
): Promise<void> {
  await page.goto('/');
  await page.waitForFunction(async () => {
    await navigator.serviceWorker.ready;
    return navigator.serviceWorker.controller !== null;
  });
  await page.context().setOffline(true);
  await page.getByText('Restore from a backup file').click();
  await page.getByLabel('Backup file').setInputFiles(backup.file);
  await page.getByLabel('Recovery key').fill(backup.recoveryKey);
  await page.getByLabel('New passphrase for this device').fill(backup.passphrase);
  await page.getByLabel('New passphrase again').fill(backup.passphrase);
  await page.getByRole('button', { name: 'Restore' }).click();
  await page
    .locator('[data-testid="conversation-list"]:not([data-loading="true"])')
    .waitFor({ timeout: LONG });
  // What the device keeps about each conversation for next time is written shortly after it changes.
  await page.waitForTimeout(2_000);
}

/**
 * Load the app afresh (offline: the service worker serves it), unlock, and time until the list shows `rooms` rows:
 * from the moment the passphrase has opened the keys, and from the click on Unlock.
 */
export async function unlockToList(
  page: Page,
  passphrase: string,
  rooms: number,
): Promise<{ toList: number; clickToList: number }> {
  await page.goto('/');
  await page.getByLabel('Passphrase').fill(passphrase);
  return page.evaluate(
    ({ rooms, timeout }) =>
      new Promise<{ toList: number; clickToList: number }>((resolve, reject) => {
        const button = [...document.querySelectorAll('button')].find((b) => b.textContent === 'Unlock');
        if (!button) return reject(new Error('no Unlock button'));
        const timer = setTimeout(() => reject(new Error('the list never showed')), timeout);
        const observer = new MutationObserver(() => {
          const items = document.querySelectorAll('[data-testid="conversation-list"] > li');
          if (items.length < rooms) return;
          observer.disconnect();
          clearTimeout(timer);
          // On screen: once the frame that shows it has been painted.
          requestAnimationFrame(() =>
            setTimeout(() => {
              const at = performance.now();
              const unlocked = performance.getEntriesByName('hearth:vault-unlocked')[0];
              resolve({ toList: at - (unlocked?.startTime ?? NaN), clickToList: at - start });
            }, 0),
          );
        });
        observer.observe(document.body, { subtree: true, childList: true });
        const start = performance.now();
        button.click();
      }),
    { rooms, timeout: LONG },
  );
}

/** A bare IndexedDB read, in this page, of rows of the app's database: no decryption, no rendering. */
export async function timeBareRead(
  page: Page,
  what: { store: string; range: 'kinds' | 'room'; room?: string },
  runs: number,
): Promise<number[]> {
  return page.evaluate(
    async ({ what, runs }) => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open('hearth');
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      const getAll = (source: IDBObjectStore | IDBIndex, range: IDBKeyRange) =>
        new Promise<unknown[]>((resolve, reject) => {
          const request = source.getAll(range);
          request.onsuccess = () => resolve(request.result);
          request.onerror = () => reject(request.error);
        });
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        const start = performance.now();
        const store = db.transaction(what.store, 'readonly').objectStore(what.store);
        if (what.range === 'kinds') {
          const kind = store.index('kind');
          await Promise.all([
            getAll(kind, IDBKeyRange.only('room')),
            getAll(kind, IDBKeyRange.only('summary')),
          ]);
        } else {
          await getAll(store, IDBKeyRange.bound([what.room, 0], [what.room, Infinity]));
        }
        times.push(performance.now() - start);
      }
      db.close();
      return times;
    },
    { what, runs },
  );
}
