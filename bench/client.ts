/**
 * Client benchmarks in Chromium: pressing send until the message is durably queued in IndexedDB, and an offline
 * cold start until the thread list is visible. References measured in the same run: one bare strict-durability
 * IndexedDB write (the floor for "durably queued"), and an offline cold start of the static crisis page.
 */
import type { Page } from '@playwright/test';
import { benchContext, launchBrowser, percentile, ratio, report, startRelay } from './support';

const PORT = Number(process.env.BENCH_PORT ?? 4330);
const SENDS = 200;
const COLD_STARTS = 10;
const PASSPHRASE = 'bench passphrase for timing';

async function createAccountAndConversation(page: Page): Promise<string> {
  await page.goto('/');
  await page.getByLabel('Your name, as others will see it').fill('Bench Therapist');
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByLabel('Passphrase again').fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('button', { name: 'Create invite link' }).click();
  await page.getByRole('button', { name: 'Open conversation' }).click();
  await page.getByLabel('Message', { exact: true }).waitFor();
  await page.waitForFunction(
    async () => (await navigator.serviceWorker.ready) && !!navigator.serviceWorker.controller,
  );
  return page.url();
}

/** Press send `count` times; each time, the milliseconds until that message shows as durably queued. */
async function timeSends(page: Page, count: number): Promise<number[]> {
  return page.evaluate(async (count) => {
    const box = document.querySelector<HTMLTextAreaElement>('#compose')!;
    const list = document.querySelector('[data-testid="messages"]')!;
    const times: number[] = [];
    for (let i = 0; i < count; i++) {
      // The compose box clears once the previous send has finished; type the next one after that.
      while (box.value !== '') await new Promise((r) => requestAnimationFrame(r));
      const text = `bench message ${i} ${Math.random()}`;
      box.value = text;
      box.dispatchEvent(new Event('input', { bubbles: true }));
      await new Promise((r) => requestAnimationFrame(r));
      const button = document.querySelector<HTMLButtonElement>('form.compose button[type="submit"]')!;
      const queued = new Promise<number>((resolve) => {
        const check = () => {
          for (const item of list.querySelectorAll('[data-testid="message"]')) {
            if (!item.textContent?.includes(text)) continue;
            const state = item.querySelector('[data-testid="message-status"]')?.getAttribute('data-state');
            if (state && state !== 'saving') return true;
          }
          return false;
        };
        const observer = new MutationObserver(() => {
          if (check()) {
            observer.disconnect();
            resolve(performance.now());
          }
        });
        observer.observe(list, { subtree: true, childList: true, attributes: true, characterData: true });
      });
      const start = performance.now();
      button.click();
      times.push((await queued) - start);
    }
    return times;
  }, count);
}

/** The floor: one strict-durability IndexedDB put of a sealed-message-sized value, `count` times. */
async function timeBareStrictWrites(page: Page, count: number): Promise<number[]> {
  return page.evaluate(async (count) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('bench-reference', 1);
      request.onupgradeneeded = () => request.result.createObjectStore('rows');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const times: number[] = [];
    for (let i = 0; i < count; i++) {
      const value = crypto.getRandomValues(new Uint8Array(400));
      const start = performance.now();
      await new Promise<void>((resolve, reject) => {
        const tx = db.transaction('rows', 'readwrite', { durability: 'strict' });
        tx.objectStore('rows').put(value, i);
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error);
      });
      times.push(performance.now() - start);
    }
    db.close();
    indexedDB.deleteDatabase('bench-reference');
    return times;
  }, count);
}

async function main(): Promise<void> {
  const relay = await startRelay(PORT);
  const browser = await launchBrowser();
  try {
    const context = await benchContext(browser, PORT);
    const page = await context.newPage();
    page.on('crash', () => console.error('bench: the page crashed'));
    page.on('pageerror', (error) => console.error('bench: page error', error.message));
    const conversationUrl = await createAccountAndConversation(page);

    // Offline, as on a phone with no signal: what is measured is the local write, not the network.
    await context.setOffline(true);
    const reference = await timeBareStrictWrites(page, SENDS);
    const sends = await timeSends(page, SENDS);
    report('client.send_to_queued_p50', percentile(sends, 50), 'ms');
    report('client.send_to_queued_p99', percentile(sends, 99), 'ms');
    report('reference.strict_idb_put_p50', percentile(reference, 50), 'ms');
    report('reference.strict_idb_put_p99', percentile(reference, 99), 'ms');
    ratio('send_to_queued_p50', percentile(sends, 50), percentile(reference, 50));

    const shell: number[] = [];
    const unlockToList: number[] = [];
    const total: number[] = [];
    const crisis: number[] = [];
    for (let i = 0; i < COLD_STARTS; i++) {
      const cold = await context.newPage();
      await cold.goto('/crisis.html');
      crisis.push(await cold.evaluate(() => performance.now()));
      await cold.goto(conversationUrl.replace(/\/c\/.*/, '/'));
      await cold.getByRole('heading', { name: 'Unlock Hearth' }).waitFor();
      const shellAt = await cold.evaluate(() => performance.now());
      await cold.getByLabel('Passphrase').fill(PASSPHRASE);
      const submitAt = await cold.evaluate(() => performance.now());
      await cold.getByRole('button', { name: 'Unlock' }).click();
      await cold.getByTestId('conversation-list').waitFor();
      const listAt = await cold.evaluate(() => performance.now());
      shell.push(shellAt);
      unlockToList.push(listAt - submitAt);
      total.push(shellAt + (listAt - submitAt));
      await cold.close();
    }
    report('client.offline_cold_start_to_unlock_screen_p50', percentile(shell, 50), 'ms');
    report('client.offline_unlock_to_thread_list_p50', percentile(unlockToList, 50), 'ms');
    report('client.offline_cold_start_to_thread_list_p50', percentile(total, 50), 'ms');
    report('reference.offline_cold_start_static_page_p50', percentile(crisis, 50), 'ms');
    ratio('offline_cold_start_shell', percentile(shell, 50), percentile(crisis, 50));
  } finally {
    await browser.close();
    relay.stop();
  }
}

await main();
