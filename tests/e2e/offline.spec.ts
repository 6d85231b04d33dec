import { expect, test } from '@playwright/test';
import {
  CLIENT_PASSPHRASE,
  expectState,
  message,
  pairedDevices,
  send,
  shownTexts,
  THERAPIST_PASSPHRASE,
  unlock,
  waitForServiceWorker,
} from './support';

test('@foundation messages written offline stay queued through a reload and arrive once, in order, after reconnecting', async ({
  browser,
}) => {
  const { therapist, client } = await pairedDevices(browser);
  await waitForServiceWorker(client.page);
  const conversationUrl = client.page.url();

  await client.context.setOffline(true);
  await expect(client.page.getByTestId('connection-banner')).toContainText('Waiting for network');
  const texts = ['Offline one: on the bus', 'Offline two: still no signal', 'Offline three: nearly home'];
  for (const text of texts) {
    await send(client.page, text);
    await expectState(client.page, text, 'queued');
  }

  // Reload with no network: the service worker opens the app, the queue is still there, still honest.
  await client.page.reload();
  await unlock(client.page, CLIENT_PASSPHRASE);
  await expect(client.page.getByTestId('connection-banner')).toBeVisible();
  await expect(client.page).toHaveURL(conversationUrl);
  for (const text of texts) await expectState(client.page, text, 'queued');
  await client.page.getByRole('link', { name: '← Conversations' }).click();
  await expect(client.page.getByTestId('conversation-list')).toContainText('Not sent yet');
  await client.page.getByTestId('conversation-list').getByRole('link').first().click();
  await expect(client.page).toHaveURL(conversationUrl);

  await client.context.setOffline(false);
  for (const text of texts) await expectState(client.page, text, 'read');
  await expect(client.page.getByTestId('connection-banner')).toBeHidden();

  for (const text of texts) await expect(message(therapist.page, text)).toHaveCount(1);
  const onTherapist = await shownTexts(therapist.page);
  expect(onTherapist.filter((t) => texts.includes(t))).toEqual(texts);

  await therapist.context.close();
  await client.context.close();
});

test('@foundation a therapist can read every synced thread with no network', async ({ browser }) => {
  const { therapist, client } = await pairedDevices(browser);
  await send(client.page, 'Something I wanted to tell you before Thursday');
  await expect(message(therapist.page, 'Something I wanted to tell you before Thursday')).toBeVisible();
  await waitForServiceWorker(therapist.page);

  await therapist.context.setOffline(true);
  await therapist.page.goto('/');
  await unlock(therapist.page, THERAPIST_PASSPHRASE);
  await expect(therapist.page.getByTestId('connection-banner')).toContainText('Waiting for network');
  await expect(therapist.page.getByTestId('conversation-list')).toContainText('Sam Okafor');
  await therapist.page.getByTestId('conversation-list').getByRole('link').first().click();
  await expect(message(therapist.page, 'Something I wanted to tell you before Thursday')).toBeVisible();

  await therapist.context.close();
  await client.context.close();
});
