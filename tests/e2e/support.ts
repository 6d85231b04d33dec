import { expect, type Browser, type BrowserContext, type Page } from '@playwright/test';

export const THERAPIST_PASSPHRASE = 'correct horse battery staple';
export const CLIENT_PASSPHRASE = 'blue kettle on a quiet morning';

/** A fresh browser profile: its own IndexedDB, caches and service worker, like a separate phone. */
export async function newDevice(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
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
