import { expect, test } from '@playwright/test';
import { MAX_MESSAGE_CHARS } from '../../src/lib/protocol/limits';
import { createInvite, createTherapistAccount, message, newDevice, pairedDevices, send } from './support';

test('@foundation an empty message cannot be sent and an over-long one is refused with the limit, keeping the draft', async ({
  browser,
}) => {
  const { therapist, client } = await pairedDevices(browser);
  const box = client.page.getByLabel('Message', { exact: true });

  await box.fill('   ');
  await expect(client.page.getByRole('button', { name: 'Send' })).toBeDisabled();
  await box.press('Control+Enter');
  await expect(client.page.locator('#compose-error')).toContainText('Write something before sending');
  await expect(client.page.getByTestId('message')).toHaveCount(0);

  const longText = 'a'.repeat(MAX_MESSAGE_CHARS + 1);
  await box.fill(longText);
  await client.page.getByRole('button', { name: 'Send' }).click();
  await expect(client.page.locator('#compose-error')).toContainText(
    MAX_MESSAGE_CHARS.toLocaleString('en-US'),
  );
  await expect(box).toHaveValue(longText);
  await expect(client.page.getByTestId('message')).toHaveCount(0);

  await send(client.page, 'A message of a sensible length');
  await expect(message(therapist.page, 'A message of a sensible length')).toBeVisible();
  await therapist.context.close();
  await client.context.close();
});

test('@foundation a tampered, reused or expired invite link says so and joins nothing', async ({
  browser,
}) => {
  const therapist = await newDevice(browser);
  await createTherapistAccount(therapist.page, 'Dr. Ines Vale');
  const link = await createInvite(therapist.page, 'someone');
  const [base, fragment] = link.split('#');
  const [version, secret, inviter] = fragment.split('.');
  const flip = (text: string) => (text[5] === 'A' ? 'B' : 'A');
  const alter = (text: string) => text.slice(0, 5) + flip(text) + text.slice(6);

  const stranger = await newDevice(browser);
  await stranger.page.goto(`${base}#${version}.${secret}.${alter(inviter)}`);
  await stranger.page.getByLabel('Your name, as others will see it').fill('Stranger');
  await stranger.page.getByLabel('Passphrase', { exact: true }).fill('a long enough passphrase');
  await stranger.page.getByLabel('Passphrase again').fill('a long enough passphrase');
  await stranger.page.getByRole('button', { name: 'Create account' }).click();
  await expect(stranger.page.getByTestId('invite-error')).toContainText('changed or damaged');

  // Opening another link in the same tab changes only the fragment; the unlocked app picks it up.
  await stranger.page.goto(`${base}#${version}.${alter(secret)}.${inviter}`);
  await expect(stranger.page.getByTestId('invite-error')).toContainText('not valid');

  await stranger.page.goto(`${base}#${version}.${secret.slice(0, 10)}`);
  await expect(stranger.page.getByRole('alert')).toContainText('incomplete');

  // Eight days later on the client's clock, the invite has expired.
  const late = await newDevice(browser);
  await late.page.clock.install({ time: Date.now() + 8 * 24 * 60 * 60 * 1000 });
  await late.page.goto(link);
  await late.page.getByLabel('Your name, as others will see it').fill('Late');
  await late.page.getByLabel('Passphrase', { exact: true }).fill('a long enough passphrase');
  await late.page.getByLabel('Passphrase again').fill('a long enough passphrase');
  await late.page.getByRole('button', { name: 'Create account' }).click();
  await expect(late.page.getByTestId('invite-error')).toContainText('expired');

  // Used once, the link is spent.
  const first = await newDevice(browser);
  await first.page.goto(link);
  await first.page.getByLabel('Your name, as others will see it').fill('First');
  await first.page.getByLabel('Passphrase', { exact: true }).fill('a long enough passphrase');
  await first.page.getByLabel('Passphrase again').fill('a long enough passphrase');
  await first.page.getByRole('button', { name: 'Create account' }).click();
  await expect(first.page).toHaveURL(/\/c\/[0-9a-f]{32}$/);
  await stranger.page.goto(link);
  await expect(stranger.page.getByTestId('invite-error')).toContainText('already been used');

  for (const device of [therapist, stranger, late, first]) await device.context.close();
});
