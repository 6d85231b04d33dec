import { expect, test, type Page } from '@playwright/test';
import {
  expectAccessible,
  message,
  pairedDevices,
  send,
  THERAPIST_PASSPHRASE,
  unlock,
  waitForServiceWorker,
} from './support';

const ANXIOUS = 'I have been feeling anxious about the Thursday appointment';
const BREATHING = 'Let us try the breathing exercise before we meet';
const LATER = 'Sleep was a little better last night';

/** From anywhere in the app: home through the brand link, then the Search link. */
async function openSearch(page: Page): Promise<void> {
  await page.getByRole('link', { name: 'Hearth', exact: true }).click();
  await page.getByRole('link', { name: 'Search', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Search' })).toBeVisible();
}

async function search(page: Page, query: string): Promise<void> {
  await page.getByLabel('Search your messages').fill(query);
  await expect(page.getByTestId('search-answer')).toHaveAttribute('data-query', query);
}

function results(page: Page) {
  return page.getByTestId('search-results').getByRole('listitem');
}

test('@workspace search finds messages of every conversation offline by a word prefix, opens the conversation at the message, and still finds them after locking', async ({
  browser,
}) => {
  const { therapist, client } = await pairedDevices(browser);
  await send(client.page, ANXIOUS);
  await send(therapist.page, BREATHING);
  await expect(message(client.page, BREATHING)).toBeVisible();
  await send(client.page, LATER);
  await expect(message(therapist.page, LATER)).toBeVisible();

  // Offline from here on: search never needs the network.
  await waitForServiceWorker(therapist.page);
  await therapist.context.setOffline(true);
  await therapist.page.setViewportSize({ width: 320, height: 700 });
  await openSearch(therapist.page);

  await search(therapist.page, 'anx');
  await expect(results(therapist.page)).toHaveCount(1);
  const result = results(therapist.page).first();
  await expect(result).toContainText('Sam Okafor');
  await expect(result.locator('mark')).toHaveText(['anxious']);
  await expect(therapist.page.getByTestId('search-count')).toHaveText('1 message matches');

  // Every word must be in a message; a finished word is matched whole.
  await search(therapist.page, 'Thursday anx');
  await expect(results(therapist.page)).toHaveCount(1);
  await search(therapist.page, 'before');
  await expect(results(therapist.page)).toHaveCount(1);
  await expect(results(therapist.page).first()).toContainText('You:');
  await search(therapist.page, 'zebra');
  await expect(therapist.page.getByTestId('search-count')).toHaveText('No messages match');
  await search(therapist.page, 'b');
  await expect(results(therapist.page)).toHaveCount(3);
  // Newest first.
  await expect(results(therapist.page).first()).toContainText(LATER);
  await expectAccessible(therapist.page);

  // Keyboard: from the search box to a result, and into the conversation, at the message.
  await search(therapist.page, 'thurs');
  await therapist.page.getByLabel('Search your messages').focus();
  await therapist.page.keyboard.press('Tab');
  await expect(results(therapist.page).first().getByRole('link')).toBeFocused();
  await therapist.page.keyboard.press('Enter');
  await expect(therapist.page).toHaveURL(/\/c\/[0-9a-f]{32}\?m=/);
  await expect(therapist.page.locator('#found-message')).toContainText(ANXIOUS);
  await expect(therapist.page.locator('#found-message')).toBeFocused();

  // Locked and unlocked again, still offline: the index is read back from the device's sealed store.
  await therapist.page.getByRole('button', { name: 'Menu' }).click();
  await therapist.page.locator('#app-menu').getByRole('button', { name: 'Lock now' }).click();
  await unlock(therapist.page, THERAPIST_PASSPHRASE);
  await openSearch(therapist.page);
  await search(therapist.page, 'appoi');
  await expect(results(therapist.page)).toHaveCount(1);
  await expect(results(therapist.page).first().locator('mark')).toHaveText(['appointment']);
  await results(therapist.page).first().getByRole('link').click();
  await expect(therapist.page.locator('#found-message')).toContainText(ANXIOUS);

  // The client searches their own device the same way.
  await openSearch(client.page);
  await search(client.page, 'breath');
  await expect(results(client.page)).toHaveCount(1);
  await expect(results(client.page).first()).toContainText('Dr. Rowan Ellis:');
  await expect(results(client.page).first().locator('mark')).toHaveText(['breathing']);
  await results(client.page).first().getByRole('link').click();
  await expect(client.page.locator('#found-message')).toContainText(BREATHING);
});
