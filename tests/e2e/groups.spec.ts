import { expect, test, type Page } from '@playwright/test';
import {
  CLIENT_PASSPHRASE,
  createInvite,
  joinAsClient,
  message,
  newDevice,
  pairedDevices,
  send,
  unlock,
} from './support';

/** Back to the home screen inside the app (a reload would lock it: the keys live only in memory). */
async function goHome(page: Page): Promise<void> {
  await page.getByRole('link', { name: 'Hearth', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Conversations' })).toBeVisible();
}

/** Start a conversation from the home screen with a topic and the named contacts. */
async function startConversation(page: Page, topic: string, people: string[]): Promise<void> {
  await goHome(page);
  await page.getByTestId('new-conversation').click();
  await page.getByLabel('Topic').fill(topic);
  for (const name of people) await page.getByRole('checkbox', { name }).check();
  await page.getByRole('button', { name: 'Start conversation' }).click();
  await expect(page).toHaveURL(/\/c\/[0-9a-f]{32}$/);
  await expect(page.getByRole('heading', { name: topic })).toBeVisible();
}

/** Open a conversation from the home screen's list by its topic. */
async function openByTopic(page: Page, topic: string): Promise<void> {
  await goHome(page);
  await page.getByTestId('conversation-list').getByRole('link').filter({ hasText: topic }).click();
  await expect(page.getByRole('heading', { name: topic })).toBeVisible();
}

async function openPeople(page: Page) {
  const panel = page.getByTestId('participants');
  if (!(await panel.evaluate((el) => (el as HTMLDetailsElement).open)))
    await panel.locator('summary').click();
  return panel;
}

function eventLine(page: Page, text: string) {
  return page.getByTestId('audit').filter({ hasText: text });
}

test('@conversations a client starts a group with their therapist and a family member; the manager renames, removes and hands over; leaving keeps the history', async ({
  browser,
}) => {
  const { therapist, client } = await pairedDevices(browser, {
    therapist: 'Dr. Rowan Ellis',
    client: 'Sam Okafor',
  });

  // The client invites a family member, who becomes their contact.
  await goHome(client.page);
  const link = await createInvite(client.page, 'Mum');
  const family = await newDevice(browser);
  await joinAsClient(family.page, link, 'Ada Okafor');

  // The client starts a group with both; they are its manager.
  await startConversation(client.page, 'Family support', ['Dr. Rowan Ellis', 'Ada Okafor']);
  const clientPeople = await openPeople(client.page);
  await expect(clientPeople.getByTestId('participant')).toHaveCount(3);
  await expect(clientPeople.getByTestId('participant').filter({ hasText: 'Sam Okafor (you)' })).toContainText(
    'Manager',
  );
  await send(client.page, 'Hello both of you, thank you for doing this');

  // Both others find it in their list, without any link, and read it.
  await openByTopic(therapist.page, 'Family support');
  await expect(message(therapist.page, 'Hello both of you')).toBeVisible();
  await openByTopic(family.page, 'Family support');
  await expect(message(family.page, 'Hello both of you')).toBeVisible();

  // The family member is not the therapist's contact: they are offered a nickname to take part under.
  await expect(family.page.getByTestId('nickname-prompt')).toBeVisible();
  await family.page.getByLabel('Nickname').fill('A.');
  await family.page.getByRole('button', { name: 'Use this nickname' }).click();
  await expect(family.page.getByTestId('nickname-prompt')).toHaveCount(0);
  await expect(eventLine(therapist.page, 'Sam Okafor added A.')).toBeVisible();
  await send(family.page, 'Happy to help where I can');
  await expect(
    therapist.page.getByTestId('message').filter({ hasText: 'Happy to help' }).locator('.author'),
  ).toHaveText('A.');

  // Only the manager may rename: the therapist is told so and has no rename button.
  const therapistPeople = await openPeople(therapist.page);
  await expect(therapistPeople.getByRole('button', { name: 'Rename conversation' })).toHaveCount(0);
  await expect(therapistPeople).toContainText('Only the manager can');

  await clientPeople.getByRole('button', { name: 'Rename conversation' }).click();
  await clientPeople.getByLabel('New topic').fill('Family support plan');
  await clientPeople.getByRole('button', { name: 'Save topic' }).click();
  await expect(therapist.page.getByRole('heading', { name: 'Family support plan' })).toBeVisible();
  await expect(family.page.getByRole('heading', { name: 'Family support plan' })).toBeVisible();

  // The manager removes the family member: they keep what they had, and get nothing new.
  await clientPeople
    .getByTestId('participant')
    .filter({ hasText: 'Ada Okafor' })
    .getByRole('button', { name: 'Remove' })
    .click();
  await client.page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
  await expect(family.page.getByTestId('not-a-member')).toBeVisible();
  await expect(family.page.getByLabel('Message', { exact: true })).toHaveCount(0);
  await expect(message(family.page, 'Hello both of you')).toBeVisible();
  await expect(eventLine(therapist.page, 'removed A.')).toBeVisible();

  await send(client.page, 'Just the two of us from here');
  await expect(message(therapist.page, 'Just the two of us from here')).toBeVisible();
  await family.page.reload();
  await unlock(family.page, CLIENT_PASSPHRASE);
  await expect(family.page.getByTestId('not-a-member')).toBeVisible();
  await expect(message(family.page, 'Happy to help')).toBeVisible();
  await expect(message(family.page, 'Just the two of us')).toHaveCount(0);

  // The manager cannot leave; they hand the role to the therapist first, then leave.
  await expect(clientPeople.getByRole('button', { name: 'Leave conversation' })).toHaveCount(0);
  await clientPeople
    .getByTestId('participant')
    .filter({ hasText: 'Dr. Rowan Ellis' })
    .getByRole('button', { name: 'Make manager' })
    .click();
  await client.page.getByRole('dialog').getByRole('button', { name: 'Make manager' }).click();
  await expect(
    therapistPeople.getByTestId('participant').filter({ hasText: 'Dr. Rowan Ellis (you)' }),
  ).toContainText('Manager');
  await expect(therapistPeople.getByRole('button', { name: 'Rename conversation' })).toBeVisible();

  await clientPeople.getByRole('button', { name: 'Leave conversation' }).click();
  await client.page.getByRole('dialog').getByRole('button', { name: 'Leave' }).click();
  await expect(client.page.getByTestId('not-a-member')).toBeVisible();
  await expect(eventLine(therapist.page, 'Sam Okafor left')).toBeVisible();
  await expect(message(client.page, 'Just the two of us from here')).toBeVisible();
});
