import { expect, test } from '@playwright/test';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import {
  createTherapistAccount,
  newDevice,
  THERAPIST_PASSPHRASE,
  unlock,
  waitForServiceWorker,
} from './support';

const WORKER = 'build/service-worker.js';

test('@foundation a newly deployed version is offered with a reload prompt, not applied silently', async ({
  browser,
}) => {
  const { context, page } = await newDevice(browser);
  await createTherapistAccount(page, 'Dr. Ada Lind');
  await waitForServiceWorker(page);

  const original = readFileSync(WORKER);
  try {
    // "Deploy" a new version: any byte change to the worker script makes the browser install it beside the old.
    appendFileSync(WORKER, `\n// deployed ${Date.now()}\n`);
    await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.update());

    const prompt = page.getByRole('status').filter({ hasText: 'A new version of Hearth is ready' });
    await expect(prompt).toBeVisible();
    // Until the person chooses, the running version stays: the app is still unlocked and usable.
    await expect(page.getByRole('heading', { name: 'Conversations' })).toBeVisible();

    await prompt.getByRole('button', { name: 'Reload' }).click();
    await unlock(page, THERAPIST_PASSPHRASE);
    await expect(page.getByRole('heading', { name: 'Conversations' })).toBeVisible();
    await expect(prompt).toBeHidden();
  } finally {
    writeFileSync(WORKER, original);
  }
  await context.close();
});
