import { expect, test } from '@playwright/test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { E2E_DATA_DIR } from '../../playwright.config';
import { countIndexedDbValues, expectState, findInIndexedDb, message, pairedDevices, send } from './support';

/** Every file the relay keeps (the SQLite database, its WAL and shared memory), searched byte for byte. */
function findInRelayFiles(needles: string[]): string[] {
  const files = readdirSync(E2E_DATA_DIR).map((name) => join(E2E_DATA_DIR, name));
  expect(files.length).toBeGreaterThan(0);
  const found = new Set<string>();
  for (const file of files) {
    const bytes = readFileSync(file);
    for (const needle of needles) {
      if (bytes.includes(Buffer.from(needle, 'utf8')) || bytes.includes(Buffer.from(needle, 'utf16le'))) {
        found.add(needle);
      }
    }
  }
  return [...found];
}

test('@foundation no plaintext of messages, names or topics reaches the relay or either IndexedDB', async ({
  browser,
}) => {
  const names = { therapist: 'Dr. Canary Therapist Zq', client: 'Client Canary Person Xv' };
  const { therapist, client } = await pairedDevices(browser, names);
  const canary = `canary-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const reply = `reply-canary-${Math.random().toString(36).slice(2)}`;

  await send(client.page, `My secret is ${canary}`);
  await expect(message(therapist.page, canary)).toBeVisible();
  await send(therapist.page, `Noted: ${reply}`);
  await expectState(therapist.page, reply, 'read');

  const topic = `Messages with ${names.therapist}`;
  await expect(therapist.page.getByText(topic)).toBeVisible();
  const needles = [canary, reply, names.therapist, names.client, topic, 'first client'];

  // The searches must have something to search: both devices hold rows and the relay holds a database.
  expect(await countIndexedDbValues(client.page)).toBeGreaterThan(5);
  expect(await countIndexedDbValues(therapist.page)).toBeGreaterThan(5);
  expect(findInRelayFiles(['hearth'])).toEqual([]);

  expect(findInRelayFiles(needles)).toEqual([]);
  expect(await findInIndexedDb(client.page, needles)).toEqual([]);
  expect(await findInIndexedDb(therapist.page, needles)).toEqual([]);

  // The search itself works: text stored in the clear in IndexedDB is found.
  await client.page.evaluate(async (probe) => {
    await new Promise<void>((resolve, reject) => {
      const request = indexedDB.open('search-probe', 1);
      request.onupgradeneeded = () => request.result.createObjectStore('s');
      request.onsuccess = () => {
        const tx = request.result.transaction('s', 'readwrite');
        tx.objectStore('s').put({ nested: [new TextEncoder().encode(probe)] }, 'k');
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error);
      };
    });
  }, 'probe-plaintext');
  expect(await findInIndexedDb(client.page, ['probe-plaintext'])).toEqual(['probe-plaintext']);

  await therapist.context.close();
  await client.context.close();
});
