import { expect, test, type Page } from '@playwright/test';
import {
  createInvite,
  createTherapistAccount,
  joinAsClient,
  message,
  newDevice,
  send,
  THERAPIST_PASSPHRASE,
  unlock,
  waitForServiceWorker,
} from './support';

/** The inbox's rows, top to bottom. */
function rows(page: Page) {
  return page.getByTestId('conversation-list').getByRole('listitem');
}

async function show(page: Page, filter: string): Promise<void> {
  await page.getByRole('group', { name: 'Show' }).getByRole('button', { name: filter }).click();
  await expect(page.getByRole('button', { name: filter })).toHaveAttribute('aria-pressed', 'true');
}

/** Another invite from the home screen, once the one before it has been replaced. */
async function nextInvite(page: Page, label: string, previous: string): Promise<string> {
  await page.getByLabel('Who is this for?').fill(label);
  await page.getByRole('button', { name: 'Create invite link' }).click();
  await expect(page.getByTestId('invite-link')).not.toHaveValue(previous);
  return page.getByTestId('invite-link').inputValue();
}

async function backToInbox(page: Page): Promise<void> {
  await page.getByRole('link', { name: '← Conversations' }).click();
  await expect(page.getByRole('heading', { name: 'Conversations' })).toBeVisible();
}

test('the inbox puts whoever has waited longest for a reply first, filters offline, and says when a reply is overdue @workspace', async ({
  browser,
}) => {
  const therapist = await newDevice(browser);
  // The therapist's clock runs as usual, and can be moved to the next day.
  await therapist.page.clock.install();
  await createTherapistAccount(therapist.page, 'Dr. Rowan Ellis');
  const samLink = await createInvite(therapist.page, 'Sam');
  const leeLink = await nextInvite(therapist.page, 'Lee', samLink);
  const kimLink = await nextInvite(therapist.page, 'Kim', leeLink);
  const sam = await newDevice(browser);
  await joinAsClient(sam.page, samLink, 'Sam Okafor');
  const lee = await newDevice(browser);
  await joinAsClient(lee.page, leeLink, 'Lee Chen');
  const kim = await newDevice(browser);
  await joinAsClient(kim.page, kimLink, 'Kim Park');

  // Sam writes first, then Lee; Kim writes last, but the therapist has already answered Kim.
  await send(sam.page, 'Sam: can we move Thursday?');
  await expect(rows(therapist.page).filter({ hasText: 'Sam: can we move Thursday?' })).toBeVisible();
  await send(lee.page, 'Lee: a hard week');
  await expect(rows(therapist.page).filter({ hasText: 'Lee: a hard week' })).toBeVisible();
  await send(kim.page, 'Kim: thank you for today');
  await rows(therapist.page).filter({ hasText: 'Kim: thank you for today' }).getByRole('link').click();
  await send(therapist.page, 'You are welcome, Kim.');
  await backToInbox(therapist.page);

  // Whoever has waited longest against the reply promise is on top; Kim, answered, comes after them.
  await expect(rows(therapist.page)).toHaveCount(3);
  await expect(rows(therapist.page).nth(0)).toContainText('Sam Okafor');
  await expect(rows(therapist.page).nth(0).getByTestId('reply-due')).toContainText('Awaiting your reply');
  await expect(rows(therapist.page).nth(1)).toContainText('Lee Chen');
  await expect(rows(therapist.page).nth(2)).toContainText('Kim Park');
  await expect(rows(therapist.page).nth(2).getByTestId('reply-due')).toHaveCount(0);

  // Offline, filters work from what the device keeps.
  await waitForServiceWorker(therapist.page);
  await therapist.context.setOffline(true);
  await show(therapist.page, 'Awaiting my reply');
  await expect(rows(therapist.page)).toHaveCount(2);
  await show(therapist.page, 'Unread');
  await expect(rows(therapist.page)).toHaveCount(2);
  await expect(rows(therapist.page).nth(0)).toContainText('1 unread');

  // A reply written offline: Lee stops waiting, and the conversation is flagged as not sent yet.
  await show(therapist.page, 'All');
  await rows(therapist.page).filter({ hasText: 'Lee Chen' }).getByRole('link').click();
  await expect(message(therapist.page, 'Lee: a hard week')).toBeVisible();
  await send(therapist.page, 'I am sorry to hear that, Lee.');
  await backToInbox(therapist.page);
  await show(therapist.page, 'Not sent yet');
  await expect(rows(therapist.page)).toHaveCount(1);
  await expect(rows(therapist.page).nth(0)).toContainText('Lee Chen');
  await show(therapist.page, 'Awaiting my reply');
  await expect(rows(therapist.page)).toHaveCount(1);
  await expect(rows(therapist.page).nth(0)).toContainText('Sam Okafor');
  await show(therapist.page, 'Unread');
  await expect(rows(therapist.page)).toHaveCount(1);

  // Narrowed to one person, and each filter says plainly when nothing matches.
  await show(therapist.page, 'All');
  await therapist.page.getByLabel('Person').selectOption({ label: 'Kim Park' });
  await expect(rows(therapist.page)).toHaveCount(1);
  await expect(rows(therapist.page).nth(0)).toContainText('Kim Park');
  await show(therapist.page, 'Awaiting my reply');
  await expect(therapist.page.getByTestId('inbox-empty')).toHaveText(
    'Nobody is waiting for a reply from you.',
  );
  await therapist.page.getByLabel('Person').selectOption({ label: 'Everyone' });
  await expect(rows(therapist.page)).toHaveCount(1);

  // The next day (the app has locked itself meanwhile), Sam's promised reply time has passed.
  await therapist.page.clock.fastForward('25:00:00');
  await unlock(therapist.page, THERAPIST_PASSPHRASE);
  await expect(rows(therapist.page).nth(0)).toContainText('Sam Okafor');
  await expect(rows(therapist.page).nth(0).getByTestId('reply-due')).toContainText('Reply overdue');

  for (const device of [therapist, sam, lee, kim]) await device.context.close();
});
