/**
 * Conversations benchmarks in Chromium, offline: from the moment the passphrase has opened the keys until the list
 * of 200 conversations is on screen, and from a tap on a conversation of 10,000 messages until its latest messages
 * are on screen (and until the whole conversation is loaded behind them). References measured in the same run: a
 * bare IndexedDB read of the rows the list is made from, and of the busiest conversation's envelopes.
 */
import 'fake-indexeddb/auto';
import type { Page } from '@playwright/test';
import { cryptoReady } from '../src/lib/crypto';
import { onRestoredDevice, timeBareRead, unlockToList } from './conversations/browser';
import { buildFixture, BIG_CLIENT } from './conversations/fixture';
import { percentile, ratio, report } from './support';

const PORT = Number(process.env.BENCH_PORT ?? 4332);
const ROOMS = 200;
const BIG_MESSAGES = 10_000;
const SMALL_MESSAGES = 30;
const RUNS = 5;
const PASSPHRASE = 'bench passphrase for timing';
const LONG = 300_000;

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

  await onRestoredDevice('conversations', PORT, fixture, PASSPHRASE, async (page) => {
    const toList: number[] = [];
    const clickToList: number[] = [];
    const allLoaded: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const run = await unlockToList(page, PASSPHRASE, ROOMS);
      toList.push(run.toList);
      clickToList.push(run.clickToList);
      allLoaded.push(await untilAllLoaded(page));
    }
    const first: number[] = [];
    const full: number[] = [];
    const again: number[] = [];
    let room = '';
    for (let i = 0; i < RUNS; i++) {
      await unlockToList(page, PASSPHRASE, ROOMS);
      // Tapped as soon as the list shows, while the conversations are still loading behind it.
      const opened = await openBig(page, fixture.bigLastText);
      first.push(opened.first);
      full.push(opened.full);
      room = page.url().split('/c/')[1] ?? '';
      await page.getByRole('link', { name: '← Conversations' }).click();
      await page.getByTestId('conversation-list').waitFor();
      again.push((await openBig(page, fixture.bigLastText)).first);
    }
    const bareList = await timeBareRead(page, { store: 'records', range: 'kinds' }, RUNS);
    const bareEnvelopes = await timeBareRead(page, { store: 'envelopes', range: 'room', room }, RUNS);

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
  });
}

await main();
