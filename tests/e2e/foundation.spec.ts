import { expect, test } from '@playwright/test';
import {
  createInvite,
  createTherapistAccount,
  expectState,
  joinAsClient,
  message,
  newDevice,
  openFirstConversation,
  send,
} from './support';

test('@foundation a therapist invites a client and they exchange messages with delivery and read receipts', async ({
  browser,
}) => {
  const therapist = await newDevice(browser);
  const client = await newDevice(browser);

  await createTherapistAccount(therapist.page, 'Dr. Rowan Ellis');
  const link = await createInvite(therapist.page, 'Sam');

  // The therapist goes offline: the client can still join (the sealed invite waits at the relay) and write.
  await therapist.context.setOffline(true);
  await joinAsClient(client.page, link, 'Sam Okafor');
  await expect(client.page.getByRole('heading', { name: 'Dr. Rowan Ellis' })).toBeVisible();
  await expect(client.page.getByTestId('not-for-emergencies')).toContainText('not for emergencies');
  await expect(client.page.getByTestId('not-for-emergencies')).toContainText(
    'usually replies within one working day',
  );

  await send(client.page, 'Hello, this is my first message.');
  await expectState(client.page, 'Hello, this is my first message.', 'sent');

  await therapist.context.setOffline(false);
  await openFirstConversation(therapist.page);
  await expect(message(therapist.page, 'Hello, this is my first message.')).toBeVisible();
  // The therapist's device stored it and showed it: the client sees delivered, then read.
  await expectState(client.page, 'Hello, this is my first message.', 'read');

  await send(therapist.page, 'Thanks Sam, I will reply properly tomorrow.');
  await expect(message(client.page, 'Thanks Sam, I will reply properly tomorrow.')).toBeVisible();
  await expectState(therapist.page, 'Thanks Sam, I will reply properly tomorrow.', 'read');

  await therapist.context.close();
  await client.context.close();
});
