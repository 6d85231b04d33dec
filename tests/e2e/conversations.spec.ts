import { expect, test, type Page } from '@playwright/test';
import {
  createInvite,
  createTherapistAccount,
  findInIndexedDb,
  joinAsClient,
  message,
  newDevice,
  pairedDevices,
  send,
  THERAPIST_PASSPHRASE,
  unlock,
  waitForServiceWorker,
} from './support';

const TOPIC = 'Messages with Dr. Rowan Ellis';

/** The list's rows, top to bottom. */
function rows(page: Page) {
  return page.getByTestId('conversation-list').getByRole('listitem');
}

async function backToList(page: Page): Promise<void> {
  await page.getByRole('link', { name: '← Conversations' }).click();
  await expect(page.getByTestId('conversation-list')).toBeVisible();
}

/** Send many messages quickly from the compose box, each one once the previous has been queued. */
async function sendMany(page: Page, texts: string[]): Promise<void> {
  await page.evaluate(async (texts) => {
    const box = document.querySelector<HTMLTextAreaElement>('#compose')!;
    for (const text of texts) {
      while (box.value !== '') await new Promise((r) => setTimeout(r, 5));
      box.value = text;
      box.dispatchEvent(new Event('input', { bubbles: true }));
      await new Promise((r) => requestAnimationFrame(r));
      document.querySelector<HTMLButtonElement>('form.compose button[type="submit"]')!.click();
    }
    while (box.value !== '') await new Promise((r) => setTimeout(r, 5));
  }, texts);
}

test('@conversations the list shows topic, participants, last message, unread count and unsent mark, whoever waits for a reply first, and opening a conversation marks it read', async ({
  browser,
}) => {
  const therapist = await newDevice(browser);
  await createTherapistAccount(therapist.page, 'Dr. Rowan Ellis');
  const samLink = await createInvite(therapist.page, 'Sam');
  const sam = await newDevice(browser);
  await joinAsClient(sam.page, samLink, 'Sam Okafor');
  await therapist.page.getByLabel('Who is this for?').fill('Lee');
  await therapist.page.getByRole('button', { name: 'Create invite link' }).click();
  await expect(therapist.page.getByTestId('invite-link')).not.toHaveValue(samLink);
  const lee = await newDevice(browser);
  await joinAsClient(lee.page, await therapist.page.getByTestId('invite-link').inputValue(), 'Lee Chen');

  await send(sam.page, 'Sam here: a question about Thursday');
  await expect(rows(therapist.page).first()).toContainText('Sam here: a question about Thursday');
  await send(lee.page, 'Lee here: running late this week');

  // Both wait for a reply, and Sam has waited longer, so Sam's conversation is on top of the therapist's inbox; each
  // shows its topic, who is in it, and what is unread.
  await expect(rows(therapist.page)).toHaveCount(2);
  await expect(rows(therapist.page).nth(0)).toContainText('Sam here: a question about Thursday');
  await expect(rows(therapist.page).nth(0)).toContainText('Sam Okafor');
  await expect(rows(therapist.page).nth(0)).toContainText(TOPIC);
  await expect(rows(therapist.page).nth(0)).toContainText('1 unread');
  await expect(rows(therapist.page).nth(1)).toContainText('Lee Chen');
  await expect(rows(therapist.page).nth(1)).toContainText('Lee here: running late this week');
  await expect(rows(therapist.page).nth(1)).toContainText('1 unread');
  // The client's own list is by latest activity.
  await expect(sam.page.getByRole('group', { name: 'Show' })).toHaveCount(0);

  // Opening Sam's conversation marks it read; Lee's stays unread.
  await rows(therapist.page).nth(0).getByRole('link').click();
  await expect(message(therapist.page, 'Sam here: a question about Thursday')).toBeVisible();
  await backToList(therapist.page);
  await expect(rows(therapist.page).nth(0)).toContainText('Sam Okafor');
  await expect(rows(therapist.page).nth(0)).not.toContainText('unread');
  await expect(rows(therapist.page).nth(1)).toContainText('1 unread');

  // Offline, a reply to Sam stays on the device, marked as not sent yet; answered, Sam no longer waits, so Lee
  // moves to the top.
  await waitForServiceWorker(therapist.page);
  await therapist.context.setOffline(true);
  await rows(therapist.page).nth(0).getByRole('link').click();
  await send(therapist.page, 'A reply written on the train');
  await backToList(therapist.page);
  await expect(rows(therapist.page).nth(1)).toContainText('Sam Okafor');
  await expect(rows(therapist.page).nth(1)).toContainText('You: A reply written on the train');
  await expect(rows(therapist.page).nth(1)).toContainText('Not sent yet');
  await expect(rows(therapist.page).nth(0)).toContainText('Lee Chen');
  await expect(rows(therapist.page).nth(0)).not.toContainText('Not sent yet');

  // After a restart with no network the list is the same, from what the device kept sealed about each one.
  await therapist.page.goto('/');
  await unlock(therapist.page, THERAPIST_PASSPHRASE);
  await expect(rows(therapist.page)).toHaveCount(2);
  await expect(rows(therapist.page).nth(1)).toContainText('You: A reply written on the train');
  await expect(rows(therapist.page).nth(1)).toContainText('Not sent yet');
  await expect(rows(therapist.page).nth(0)).toContainText('Lee here: running late this week');
  await expect(rows(therapist.page).nth(0)).toContainText('1 unread');
  await expect(therapist.page.getByTestId('conversation-list')).toHaveAttribute('data-loading', 'false');
  const leaked = await findInIndexedDb(therapist.page, [
    'Lee here: running late',
    'A reply written on the train',
    'Lee Chen',
    TOPIC,
  ]);
  expect(leaked).toEqual([]);

  // Back online the reply goes out and the mark goes away.
  await therapist.context.setOffline(false);
  await expect(rows(therapist.page).nth(1)).not.toContainText('Not sent yet');

  await therapist.context.close();
  await sam.context.close();
  await lee.context.close();
});

test('@conversations a long conversation opens on its latest messages, and earlier ones are a keypress away', async ({
  browser,
}) => {
  const { therapist, client } = await pairedDevices(browser);
  // A line that arrives after the conversation opened, dated before what is shown, still appears in its place.
  await expect(
    client.page.getByTestId('audit').filter({ hasText: 'Dr. Rowan Ellis started this conversation' }),
  ).toBeVisible();
  const texts = Array.from({ length: 110 }, (_, i) => `Long thread message ${i + 1}.`);
  await sendMany(client.page, texts);
  await expect(message(therapist.page, texts.at(-1)!)).toBeVisible();
  await waitForServiceWorker(therapist.page);
  const conversationUrl = therapist.page.url();

  // Opened again after a restart with no network: the latest page, the newest message last.
  await therapist.context.setOffline(true);
  await therapist.page.goto(conversationUrl);
  await unlock(therapist.page, THERAPIST_PASSPHRASE);
  const latest = therapist.page.getByTestId('messages');
  await expect(latest.getByTestId('message').last()).toContainText(texts.at(-1)!);
  await expect(latest).toHaveAttribute('data-loading', 'false');
  await expect(therapist.page.getByTestId('conversation-loading')).toBeHidden();
  expect(await therapist.page.getByTestId('message').count()).toBeLessThanOrEqual(50);
  await expect(message(therapist.page, texts[0])).toHaveCount(0);

  // Earlier messages, a page at a time, from the keyboard.
  const earlier = therapist.page.getByRole('button', { name: 'Show earlier messages' });
  await earlier.focus();
  await therapist.page.keyboard.press('Enter');
  await expect(message(therapist.page, texts[20])).toBeVisible();
  await expect(message(therapist.page, texts[0])).toHaveCount(0);
  await expect(earlier).toBeFocused();
  await therapist.page.keyboard.press('Enter');
  await expect(message(therapist.page, texts[0])).toBeVisible();
  await expect(earlier).toBeHidden();
  // Nothing is left to show: focus moves to the earliest messages rather than being lost.
  await expect(therapist.page.getByTestId('earlier-messages')).toBeFocused();
  await expect(therapist.page.getByTestId('message')).toHaveCount(texts.length);

  await therapist.context.close();
  await client.context.close();
});
