import { expect, test, type Page } from '@playwright/test';
import {
  createInvite,
  createTherapistAccount,
  findInIndexedDb,
  newDevice,
  pairedDevices,
  send,
  THERAPIST_PASSPHRASE,
  unlock,
  waitForServiceWorker,
} from './support';

async function openSettings(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Menu' }).click();
  await page.getByRole('link', { name: 'Settings', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Settings', exact: true })).toBeVisible();
}

async function expectLockedAndBlank(page: Page, secrets: string[]): Promise<void> {
  await expect(page.getByRole('heading', { name: 'Unlock Hearth' })).toBeVisible();
  const body = await page.locator('body').innerText();
  for (const secret of secrets) expect(body).not.toContain(secret);
  expect(await page.title()).not.toMatch(new RegExp(secrets.join('|')));
  // Help stays one tap away while locked.
  await page.getByRole('button', { name: 'Get help now' }).click();
  await expect(page.getByRole('dialog')).toContainText(/not for emergencies/i);
  await page.keyboard.press('Escape');
}

test('@identity the app locks itself after the chosen idle time, shows nothing while locked, and Lock now works', async ({
  browser,
}) => {
  const { context, page } = await newDevice(browser);
  await page.clock.install();
  await createTherapistAccount(page, 'Dr. Ines Kovac');
  await createInvite(page, 'Lock canary Priya');
  await expect(page.getByText('Lock canary Priya').first()).toBeVisible();

  await openSettings(page);
  await page.getByLabel('Lock after this long without use').selectOption('1');
  await expect(page.getByText('Hearth now locks after 1 minute without use.')).toBeVisible();
  await page.getByRole('link', { name: '← Conversations' }).click();

  // Use within the period keeps it open: 40 s, a key press, 40 s more.
  await page.clock.fastForward(40_000);
  await page.keyboard.press('Tab');
  await page.clock.fastForward(40_000);
  await expect(page.getByRole('heading', { name: 'Conversations' })).toBeVisible();

  await page.clock.fastForward(70_000);
  await expectLockedAndBlank(page, ['Lock canary Priya', 'Dr. Ines Kovac']);
  await expect(page.getByText('Hearth locked itself because it was not used for a while.')).toBeVisible();

  // The choice is kept (encrypted) across unlocks.
  await unlock(page, THERAPIST_PASSPHRASE);
  await expect(page.getByText('Lock canary Priya').first()).toBeVisible();
  await openSettings(page);
  await expect(page.getByLabel('Lock after this long without use')).toHaveValue('1');

  await page.getByRole('button', { name: 'Menu' }).click();
  await page.locator('#app-menu').getByRole('button', { name: 'Lock now' }).click();
  await expectLockedAndBlank(page, ['Lock canary Priya', 'Dr. Ines Kovac']);
  await context.close();
});

test('@identity repeated wrong passphrases make the next try wait, and the right one still works after', async ({
  browser,
}) => {
  const { context, page } = await newDevice(browser);
  await page.clock.install();
  await createTherapistAccount(page, 'Dr. Tomas Berg');
  await page.reload();
  for (let i = 0; i < 3; i++) {
    await page.getByLabel('Passphrase').fill(`wrong guess number ${i}`);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await expect(page.getByRole('alert')).toContainText('That passphrase is not right');
  }
  await expect(page.getByTestId('unlock-wait')).toContainText('You can try again in 5 seconds');
  await expect(page.getByRole('button', { name: 'Unlock' })).toBeDisabled();
  // The wait survives a reload.
  await page.reload();
  await expect(page.getByTestId('unlock-wait')).toBeVisible();

  await page.clock.fastForward(6_000);
  await expect(page.getByRole('button', { name: 'Unlock' })).toBeEnabled();
  await unlock(page, THERAPIST_PASSPHRASE);
  await expect(page.getByText('Signed in as Dr. Tomas Berg')).toBeVisible();
  await context.close();
});

test('@identity changing the passphrase keeps everything and only the new passphrase unlocks', async ({
  browser,
}) => {
  const { context, page } = await newDevice(browser);
  await createTherapistAccount(page, 'Dr. Lena Fischer');
  await createInvite(page, 'Passphrase change canary');
  await openSettings(page);
  const NEW = 'a longer passphrase for the new season';
  await page.getByLabel('Current passphrase').fill('not my passphrase');
  await page.getByLabel('New passphrase', { exact: true }).fill(NEW);
  await page.getByLabel('New passphrase again').fill(NEW);
  await page.getByRole('button', { name: 'Change passphrase' }).click();
  await expect(page.getByRole('alert')).toContainText(
    'Your current passphrase is not right. Nothing was changed',
  );

  await page.getByLabel('Current passphrase').fill(THERAPIST_PASSPHRASE);
  await page.getByLabel('New passphrase', { exact: true }).fill(NEW);
  await page.getByLabel('New passphrase again').fill(NEW);
  await page.getByRole('button', { name: 'Change passphrase' }).click();
  await expect(page.getByText('Your passphrase is changed.')).toBeVisible();

  await page.reload();
  await page.getByLabel('Passphrase').fill(THERAPIST_PASSPHRASE);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await expect(page.getByRole('alert')).toContainText('That passphrase is not right');
  await unlock(page, NEW);
  await page.getByRole('link', { name: '← Conversations' }).click();
  await expect(page.getByText('Passphrase change canary').first()).toBeVisible();
  await context.close();
});

test('@identity signing out erases every trace of the person from the browser, even offline', async ({
  browser,
}) => {
  const { therapist, client } = await pairedDevices(browser, {
    therapist: 'Dr. Erase Therapist',
    client: 'Erase Canary Client',
  });
  const TEXT = 'erase canary: the plan we talked about';
  await send(client.page, TEXT);
  await expect(therapist.page.getByText(TEXT)).toBeVisible();
  await waitForServiceWorker(client.page);
  // Before: the search does find the person's traces (their IndexedDB holds the encrypted store).
  const before = await client.page.evaluate(async () => (await indexedDB.databases()).length);
  expect(before).toBeGreaterThan(0);

  await client.context.setOffline(true);
  await client.page.getByRole('button', { name: 'Menu' }).click();
  await client.page.getByRole('link', { name: 'Settings', exact: true }).click();
  await client.page.getByRole('button', { name: 'Sign out and erase this device' }).click();
  const dialog = client.page.getByRole('dialog', { name: 'Erase Hearth from this device?' });
  await expect(dialog).toContainText('The server is told to stop accepting this device');
  await dialog.getByRole('button', { name: 'Erase this device' }).click();
  await expect(client.page.getByTestId('erased')).toContainText('Nothing of yours is left here');
  await expect(client.page.getByRole('heading', { name: 'Create your account' })).toBeVisible();

  const left = await client.page.evaluate(async () => ({
    databases: (await indexedDB.databases()).map((d) => d.name),
    caches: await caches.keys(),
    local: Object.keys(localStorage),
    session: Object.keys(sessionStorage),
  }));
  expect(left.databases).toEqual([]);
  expect(left.caches.every((name) => name.startsWith('hearth-shell-'))).toBe(true);
  // Only the signed revocation waits to be delivered: a public key, a time and a signature.
  expect(left.local).toEqual(['hearth.pendingRevocation']);
  expect(left.session).toEqual([]);
  const pending = await client.page.evaluate(() => localStorage.getItem('hearth.pendingRevocation') ?? '');
  for (const trace of [TEXT, 'Erase Canary Client', 'Dr. Erase Therapist'])
    expect(pending).not.toContain(trace);
  expect(await findInIndexedDb(client.page, [TEXT, 'Erase Canary Client'])).toEqual([]);

  // The shell still opens offline, with help, and there is no account here any more.
  await client.page.reload();
  await expect(client.page.getByRole('heading', { name: 'Create your account' })).toBeVisible();
  await expect(client.page.getByRole('button', { name: 'Get help now' })).toBeVisible();

  // Back online, the relay takes the revocation (POST /devices/revoke) and nothing at all is left behind.
  await client.context.setOffline(false);
  await expect
    .poll(() => client.page.evaluate(() => localStorage.getItem('hearth.pendingRevocation')))
    .toBeNull();
  await therapist.context.close();
  await client.context.close();
});
