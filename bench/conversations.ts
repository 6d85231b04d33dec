/**
 * Conversations benchmarks in Chromium, offline: from the moment the passphrase has opened the keys until the list
 * of 200 conversations is on screen, and from a tap on a conversation of 10,000 messages until its latest messages
 * are on screen (and until the whole conversation is loaded behind them). References measured in the same run: a
 * bare IndexedDB read of the rows the list is made from, and of the busiest conversation's envelopes.
 */
import 'fake-indexeddb/auto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { cryptoReady } from '../src/lib/crypto';
import { buildFixture, BIG_CLIENT, type Fixture } from './conversations/fixture';
import { benchContext, launchBrowser, percentile, ratio, report, startRelay } from './support';

const PORT = Number(process.env.BENCH_PORT ?? 4332);
const ROOMS = 200;
const BIG_MESSAGES = 10_000;
const SMALL_MESSAGES = 30;
const RUNS = 5;
const PASSPHRASE = 'bench passphrase for timing';
const LONG = 300_000;

/** Restore the fixture on a fresh device, offline, and wait until every conversation has been opened once. */
async function restore(page: Page, fixture: Fixture, file: string): Promise<void> {
  await page.goto('/');
  await page.waitForFunction(async () => {
    await navigator.serviceWorker.ready;
    return navigator.serviceWorker.controller !== null;
  });
  await page.context().setOffline(true);
  await page.getByText('Restore from a backup file').click();
  await page.getByLabel('Backup file').setInputFiles(file);
  await page.getByLabel('Recovery key').fill(fixture.recoveryKey);
  await page.getByLabel('New passphrase for this device').fill(PASSPHRASE);
  await page.getByLabel('New passphrase again').fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Restore' }).click();
  await page
    .locator('[data-testid="conversation-list"]:not([data-loading="true"])')
    .waitFor({ timeout: LONG });
  // What the device keeps about each conversation for next time is written shortly after it changes.
  await page.waitForTimeout(2_000);
}

/** Load the app afresh (offline: the service worker serves it), unlock, and time until the whole list shows. */
async function unlockToList(page: Page): Promise<{ toList: number; clickToList: number }> {
  await page.goto('/');
  await page.getByLabel('Passphrase').fill(PASSPHRASE);
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
    { rooms: ROOMS, timeout: LONG },
  );
}

/** Time until every conversation is loaded in the background, counted from the moment the keys opened. */
async function untilAllLoaded(page: Page): Promise<number> {
  await page
    .locator('[data-testid="conversation-list"]:not([data-loading="true"])')
    .waitFor({ timeout: LONG });
  return page.evaluate(() => {
    const unlocked = performance.getEntriesByName('hearth:vault-unlocked')[0];
    const loaded = performance.getEntriesByName('hearth:conversations-loaded').at(-1);
    return (loaded?.startTime ?? NaN) - (unlocked?.startTime ?? NaN);
  });
}

/**
 * Tap the busiest conversation in the list; time until its newest message is on screen, and until the whole
 * conversation is loaded behind it (the messages list stops saying it is loading).
 */
async function openBig(page: Page, lastText: string): Promise<{ first: number; full: number }> {
  return page.evaluate(
    ({ name, lastText, timeout }) =>
      new Promise<{ first: number; full: number }>((resolve, reject) => {
        const link = [
          ...document.querySelectorAll<HTMLAnchorElement>('[data-testid="conversation-list"] a'),
        ].find((a) => a.textContent?.includes(name));
        if (!link) return reject(new Error(`no conversation with ${name}`));
        const timer = setTimeout(() => reject(new Error('the conversation never showed')), timeout);
        let first = NaN;
        let shown = false;
        /** When the frame that shows the change has been painted. */
        const painted = (then: (at: number) => void) =>
          requestAnimationFrame(() => setTimeout(() => then(performance.now() - start), 0));
        const check = () => {
          const list = document.querySelector('[data-testid="messages"]');
          if (!list) return;
          const messages = list.querySelectorAll('[data-testid="message"]');
          const newest = messages[messages.length - 1];
          if (!shown && newest?.textContent?.includes(lastText)) {
            shown = true;
            painted((at) => (first = at));
          }
          if (!shown || list.getAttribute('data-loading') === 'true') return;
          observer.disconnect();
          clearTimeout(timer);
          painted((full) => {
            // Both may land in the same frame; the first paint is never after the full one.
            first = Number.isNaN(first) ? full : Math.min(first, full);
            resolve({ first, full });
          });
        };
        const observer = new MutationObserver(check);
        observer.observe(document.body, {
          subtree: true,
          childList: true,
          attributes: true,
          characterData: true,
        });
        const start = performance.now();
        link.click();
      }),
    { name: BIG_CLIENT, lastText, timeout: LONG },
  );
}

/** A bare IndexedDB read, in this page, of rows of the app's database: no decryption, no rendering. */
async function timeBareRead(
  page: Page,
  what: { store: string; index?: string; range: 'kinds' | 'room'; room?: string },
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
    { what, runs: RUNS },
  );
}

async function main(): Promise<void> {
  await cryptoReady();
  const buildStart = performance.now();
  const fixture = await buildFixture({
    rooms: ROOMS,
    bigMessages: BIG_MESSAGES,
    smallMessages: SMALL_MESSAGES,
    passphrase: PASSPHRASE,
  });
  report('conversations.fixture_build', (performance.now() - buildStart) / 1000, 's');
  report('conversations.rooms', ROOMS, 'conversations');
  report('conversations.envelopes', fixture.envelopes, 'envelopes');
  const file = join(mkdtempSync(join(tmpdir(), 'hearth-bench-conversations-')), 'backup.hearth');
  writeFileSync(file, fixture.file);

  const relay = await startRelay(PORT);
  const browser = await launchBrowser();
  try {
    const context = await benchContext(browser, PORT);
    const page = await context.newPage();
    page.on('pageerror', (error) => console.error('bench: page error', error.message));
    await restore(page, fixture, file);

    const toList: number[] = [];
    const clickToList: number[] = [];
    const allLoaded: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const run = await unlockToList(page);
      toList.push(run.toList);
      clickToList.push(run.clickToList);
      allLoaded.push(await untilAllLoaded(page));
    }
    const first: number[] = [];
    const full: number[] = [];
    const again: number[] = [];
    let room = '';
    for (let i = 0; i < RUNS; i++) {
      await unlockToList(page);
      // Tapped as soon as the list shows, while the conversations are still loading behind it.
      const opened = await openBig(page, fixture.bigLastText);
      first.push(opened.first);
      full.push(opened.full);
      room = page.url().split('/c/')[1] ?? '';
      await page.getByRole('link', { name: '← Conversations' }).click();
      await page.getByTestId('conversation-list').waitFor();
      again.push((await openBig(page, fixture.bigLastText)).first);
    }
    const bareList = await timeBareRead(page, { store: 'records', range: 'kinds' });
    const bareEnvelopes = await timeBareRead(page, { store: 'envelopes', range: 'room', room });

    report('conversations.unlocked_to_list_p50', percentile(toList, 50), 'ms');
    report('conversations.unlocked_to_list_max', Math.max(...toList), 'ms');
    report('conversations.unlock_click_to_list_p50', percentile(clickToList, 50), 'ms');
    report('conversations.unlocked_to_all_loaded_p50', percentile(allLoaded, 50), 'ms');
    report(`conversations.open_${BIG_MESSAGES}_messages_p50`, percentile(first, 50), 'ms');
    report(`conversations.open_${BIG_MESSAGES}_messages_max`, Math.max(...first), 'ms');
    report(`conversations.open_${BIG_MESSAGES}_messages_fully_loaded_p50`, percentile(full, 50), 'ms');
    report(`conversations.reopen_${BIG_MESSAGES}_messages_p50`, percentile(again, 50), 'ms');
    report('reference.idb_read_list_rows_p50', percentile(bareList, 50), 'ms');
    report(`reference.idb_read_${BIG_MESSAGES}_message_envelopes_p50`, percentile(bareEnvelopes, 50), 'ms');
    ratio('unlocked_to_list_vs_idb_read', percentile(toList, 50), percentile(bareList, 50));
    ratio(`open_${BIG_MESSAGES}_messages_vs_idb_read`, percentile(first, 50), percentile(bareEnvelopes, 50));
  } finally {
    await browser.close();
    relay.stop();
  }
}

await main();
