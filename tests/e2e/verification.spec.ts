import { expect, test } from '@playwright/test';
import {
  joinAsClient,
  newDevice,
  pairedDevices,
  readSafetyNumber,
  THERAPIST_PASSPHRASE,
  unlock,
} from './support';

test('@identity both sides see the same safety number; verified is remembered; a key change warns and clears it', async ({
  browser,
}) => {
  const { therapist, client } = await pairedDevices(browser, {
    therapist: 'Dr. Verity Shaw',
    client: 'Noor Haddad',
  });
  const onTherapist = await readSafetyNumber(therapist.page, 'Noor Haddad');
  const onClient = await readSafetyNumber(client.page, 'Dr. Verity Shaw');
  expect(onClient).toBe(onTherapist);
  await client.page.getByRole('button', { name: 'Close' }).click();

  const dialog = therapist.page.getByRole('dialog', { name: 'Safety number with Noor Haddad' });
  await dialog.getByRole('button', { name: 'They match: mark as verified' }).click();
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(therapist.page.getByTestId('verified-mark')).toBeVisible();
  // The audit trail shows who started the conversation and who joined.
  await expect(
    therapist.page.getByTestId('audit').filter({ hasText: 'You started this conversation' }),
  ).toBeVisible();
  await expect(therapist.page.getByTestId('audit').filter({ hasText: 'Noor Haddad joined' })).toBeVisible();

  // Remembered across a lock.
  await therapist.page.reload();
  await unlock(therapist.page, THERAPIST_PASSPHRASE);
  await expect(therapist.page.getByTestId('verified-mark')).toBeVisible();
  await expect(therapist.page.getByTestId('key-changed')).toHaveCount(0);

  // The client loses their phone; the therapist sends a link to rejoin, and a new device joins with new keys.
  await therapist.page.getByText('Client has a new phone?').click();
  await therapist.page.getByRole('button', { name: 'Create a new link to rejoin' }).click();
  const rejoin = await therapist.page.getByTestId('rejoin-link').inputValue();
  expect(rejoin).toMatch(/\/invite#v1\./);
  const newPhone = await newDevice(browser);
  await joinAsClient(newPhone.page, rejoin, 'Noor Haddad');

  await expect(therapist.page.getByTestId('key-changed')).toContainText(
    "Noor Haddad's security key has changed",
  );
  await expect(therapist.page.getByTestId('verified-mark')).toHaveCount(0);
  // The lost phone, should it turn up, is out: it receives nothing new, and the trail says which device went.
  await expect(client.page.getByTestId('not-a-member')).toBeVisible();
  await expect(
    therapist.page.getByTestId('audit').filter({ hasText: "You removed Noor Haddad's earlier device" }),
  ).toBeVisible();
  await expect(
    therapist.page.getByTestId('audit').filter({ hasText: "Noor Haddad's security key changed" }),
  ).toBeVisible();
  const afterChange = await readSafetyNumber(therapist.page, 'Noor Haddad');
  expect(afterChange).not.toBe(onTherapist);
  expect(await readSafetyNumber(newPhone.page, 'Dr. Verity Shaw')).toBe(afterChange);

  await dialog.getByRole('button', { name: 'They match: mark as verified' }).click();
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(therapist.page.getByTestId('verified-mark')).toBeVisible();
  await expect(therapist.page.getByTestId('key-changed')).toHaveCount(0);

  await therapist.context.close();
  await client.context.close();
  await newPhone.context.close();
});
