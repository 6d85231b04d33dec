import AxeBuilder from '@axe-core/playwright';
import {
  expect,
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  type Page,
} from '@playwright/test';

export const THERAPIST_PASSPHRASE = 'correct horse battery staple';
export const CLIENT_PASSPHRASE = 'blue kettle on a quiet morning';

/** A fresh browser profile: its own IndexedDB, caches and service worker, like a separate phone. */
export async function newDevice(
  browser: Browser,
  options: BrowserContextOptions = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  return { context, page };
}

export async function createTherapistAccount(page: Page, name: string): Promise<void> {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Create your account' })).toBeVisible();
  await page.getByLabel('Your name, as others will see it').fill(name);
  await page.getByLabel('You usually reply').fill('within one working day');
  await page.getByLabel('Passphrase', { exact: true }).fill(THERAPIST_PASSPHRASE);
  await page.getByLabel('Passphrase again').fill(THERAPIST_PASSPHRASE);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('heading', { name: 'Conversations' })).toBeVisible();
}

/** Make an invite from the therapist's home screen and return the link. */
export async function createInvite(page: Page, label: string): Promise<string> {
  await page.getByLabel('Who is this for?').fill(label);
  await page.getByRole('button', { name: 'Create invite link' }).click();
  const link = page.getByTestId('invite-link');
  await expect(link).toHaveValue(/\/invite#v1\./);
  return link.inputValue();
}

/** Open an invite link on a fresh device, create the client's account, and land in the conversation. */
export async function joinAsClient(page: Page, link: string, name: string): Promise<void> {
  await page.goto(link);
  await expect(page.getByRole('heading', { name: 'Create your account' })).toBeVisible();
  await page.getByLabel('Your name, as others will see it').fill(name);
  await page.getByLabel('Passphrase', { exact: true }).fill(CLIENT_PASSPHRASE);
  await page.getByLabel('Passphrase again').fill(CLIENT_PASSPHRASE);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/c\/[0-9a-f]{32}$/);
  await expect(page.getByLabel('Message', { exact: true })).toBeVisible();
}

export async function openFirstConversation(page: Page): Promise<void> {
  await page.getByTestId('conversation-list').getByRole('link').first().click();
  await expect(page.getByLabel('Message', { exact: true })).toBeVisible();
}

export async function send(page: Page, text: string): Promise<void> {
  await page.getByLabel('Message', { exact: true }).fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
  await expect(page.getByLabel('Message', { exact: true })).toHaveValue('');
}

export function message(page: Page, text: string) {
  return page.getByTestId('message').filter({ hasText: text });
}

export async function expectState(page: Page, text: string, state: string): Promise<void> {
  await expect(message(page, text).getByTestId('message-status')).toHaveAttribute('data-state', state);
}

/** A therapist and a client on two fresh devices, joined in one conversation, both looking at it. */
export async function pairedDevices(
  browser: Browser,
  names = { therapist: 'Dr. Rowan Ellis', client: 'Sam Okafor' },
) {
  const therapist = await newDevice(browser);
  const client = await newDevice(browser);
  await createTherapistAccount(therapist.page, names.therapist);
  const link = await createInvite(therapist.page, 'first client');
  await joinAsClient(client.page, link, names.client);
  await openFirstConversation(therapist.page);
  await expect(therapist.page.getByRole('heading', { name: names.client })).toBeVisible();
  return { therapist, client, link };
}

/** Wait until the service worker controls the page, so the app will open with no network. */
export async function waitForServiceWorker(page: Page): Promise<void> {
  await page.waitForFunction(async () => {
    await navigator.serviceWorker.ready;
    return navigator.serviceWorker.controller !== null;
  });
}

export async function unlock(page: Page, passphrase: string): Promise<void> {
  await expect(page.getByRole('heading', { name: 'Unlock Hearth' })).toBeVisible();
  await page.getByLabel('Passphrase').fill(passphrase);
  await page.getByRole('button', { name: 'Unlock' }).click();
}

/** Texts of the messages shown, in order. */
export async function shownTexts(page: Page): Promise<string[]> {
  return page.getByTestId('message').locator('.text').allInnerTexts();
}

/**
 * Search every IndexedDB database of the page's origin, every object store, every key and value (strings and
 * bytes, however deeply nested) for each needle. Returns the needles that were found.
 */
export async function findInIndexedDb(page: Page, needles: string[]): Promise<string[]> {
  return page.evaluate(async (needles) => {
    const encoded = needles.map((n) => new TextEncoder().encode(n));
    const found = new Set<string>();
    const containsBytes = (hay: Uint8Array, needle: Uint8Array) => {
      outer: for (let i = 0; i + needle.length <= hay.length; i++) {
        for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
        return true;
      }
      return false;
    };
    const visit = (value: unknown, depth: number): void => {
      if (depth > 20 || value === null || value === undefined) return;
      if (typeof value === 'string') {
        needles.forEach((n) => value.includes(n) && found.add(n));
      } else if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
        const bytes =
          value instanceof ArrayBuffer
            ? new Uint8Array(value)
            : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
        encoded.forEach((e, i) => containsBytes(bytes, e) && found.add(needles[i]));
        // Also look for the text as UTF-16, in case anything stored strings as raw code units.
      } else if (Array.isArray(value)) {
        value.forEach((v) => visit(v, depth + 1));
      } else if (value instanceof Map) {
        value.forEach((v, k) => {
          visit(k, depth + 1);
          visit(v, depth + 1);
        });
      } else if (typeof value === 'object') {
        Object.entries(value as object).forEach(([k, v]) => {
          visit(k, depth + 1);
          visit(v, depth + 1);
        });
      } else {
        visit(String(value), depth + 1);
      }
    };
    const databases = await indexedDB.databases();
    for (const info of databases) {
      if (!info.name) continue;
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open(info.name as string);
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      for (const storeName of Array.from(db.objectStoreNames)) {
        const tx = db.transaction(storeName, 'readonly');
        const store = tx.objectStore(storeName);
        const [keys, values] = await Promise.all([
          new Promise<unknown[]>((resolve) => {
            const r = store.getAllKeys();
            r.onsuccess = () => resolve(r.result as unknown[]);
          }),
          new Promise<unknown[]>((resolve) => {
            const r = store.getAll();
            r.onsuccess = () => resolve(r.result as unknown[]);
          }),
        ]);
        visit(keys, 0);
        visit(values, 0);
      }
      db.close();
    }
    return [...found];
  }, needles);
}

/** How many IndexedDB values there are in all, so a search over nothing cannot pass by accident. */
export async function countIndexedDbValues(page: Page): Promise<number> {
  return page.evaluate(async () => {
    let total = 0;
    for (const info of await indexedDB.databases()) {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open(info.name as string);
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      for (const storeName of Array.from(db.objectStoreNames)) {
        total += await new Promise<number>((resolve) => {
          const r = db.transaction(storeName, 'readonly').objectStore(storeName).count();
          r.onsuccess = () => resolve(r.result);
        });
      }
      db.close();
    }
    return total;
  });
}

/** Open the safety number dialog with `contact` and read the number (it stays open). */
export async function readSafetyNumber(page: Page, contact: string): Promise<string> {
  await page.getByRole('button', { name: new RegExp(`^(Verify ${contact}|Safety number)$`) }).click();
  const dialog = page.getByRole('dialog', { name: `Safety number with ${contact}` });
  await expect(dialog.getByRole('img', { name: 'Safety number as a QR code' })).toBeVisible();
  const number = (await dialog.getByTestId('safety-number').innerText()).replace(/\s+/g, ' ').trim();
  expect(number).toMatch(/^(\d{5} ){11}\d{5}$/);
  return number;
}

/** No WCAG 2.1 AA problems on the page as it stands, and nothing wider than its viewport. */
export async function expectAccessible(page: Page): Promise<void> {
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  expect(results.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow).toBeLessThanOrEqual(0);
}
