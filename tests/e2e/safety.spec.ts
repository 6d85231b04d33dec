import { expect, test, type Page } from '@playwright/test';
import {
  createTherapistAccount,
  newDevice,
  THERAPIST_PASSPHRASE,
  unlock,
  waitForServiceWorker,
} from './support';

async function expectCrisisResources(page: Page) {
  await page.getByRole('button', { name: 'Get help now' }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole('link', { name: /Call 988/ })).toHaveAttribute('href', 'tel:988');
  await expect(dialog.getByRole('link', { name: /Text 988/ })).toHaveAttribute('href', /^sms:988/);
  await expect(dialog.getByRole('link', { name: /741741/ })).toHaveAttribute('href', /^sms:741741/);
  await expect(dialog.getByRole('link', { name: /116 123/ })).toHaveAttribute('href', 'tel:116123');
  await expect(dialog.getByRole('link', { name: /13 11 14/ })).toHaveAttribute('href', 'tel:131114');
  await expect(dialog).toContainText(/local emergency number/i);
  await expect(dialog).toContainText(/not for emergencies/i);
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('button', { name: 'Get help now' })).toBeFocused();
}

test('@foundation crisis resources open in one tap on every screen, offline included', async ({
  browser,
}) => {
  const { context, page } = await newDevice(browser);
  await page.goto('/');
  await expectCrisisResources(page); // account creation screen

  await createTherapistAccount(page, 'Dr. Mara Quinn');
  await expectCrisisResources(page); // home
  await waitForServiceWorker(page);

  await context.setOffline(true);
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Unlock Hearth' })).toBeVisible();
  await expectCrisisResources(page); // passphrase screen, offline

  await unlock(page, THERAPIST_PASSPHRASE);
  await expect(page.getByRole('heading', { name: 'Conversations' })).toBeVisible();
  await expectCrisisResources(page); // unlocked, offline

  // The standalone crisis page opens offline too, without the app.
  await page.goto('/crisis.html');
  await expect(page.getByRole('link', { name: /Call 988/ })).toBeVisible();
  await context.close();
});

test('@foundation a wrong passphrase is refused with a clear message and unlocks nothing', async ({
  browser,
}) => {
  const { context, page } = await newDevice(browser);
  await createTherapistAccount(page, 'Dr. Mara Quinn');
  await page.reload();
  await page.getByLabel('Passphrase').fill('not the right passphrase');
  await page.getByRole('button', { name: 'Unlock' }).click();
  await expect(page.getByRole('alert')).toContainText('That passphrase is not right');
  await expect(page.getByRole('heading', { name: 'Conversations' })).toBeHidden();
  await expect(page.getByText('Dr. Mara Quinn')).toBeHidden();

  await unlock(page, THERAPIST_PASSPHRASE);
  await expect(page.getByRole('heading', { name: 'Conversations' })).toBeVisible();
  await expect(page.getByText('Signed in as Dr. Mara Quinn')).toBeVisible();
  await context.close();
});
