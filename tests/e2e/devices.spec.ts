import { expect, test, type Page } from '@playwright/test';
import {
  expectAccessible,
  message,
  newDevice,
  pairedDevices,
  readSafetyNumber,
  send,
  shownTexts,
  THERAPIST_PASSPHRASE,
} from './support';

/** The screen passes an accessibility scan and fits a 320 px wide phone. */
async function expectUsableOnSmallPhone(page: Page): Promise<void> {
  const size = page.viewportSize();
  await page.setViewportSize({ width: 320, height: 640 });
  await expectAccessible(page);
  if (size) await page.setViewportSize(size);
}

test('@identity a therapist links a laptop that gets the whole history and can write, then removes it', async ({
  browser,
}) => {
  const { therapist: phone, client } = await pairedDevices(browser);
  await send(phone.page, 'Before the laptop: how was your week?');
  await send(client.page, 'Better, thank you.');
  await expect(message(phone.page, 'Better, thank you.')).toBeVisible();

  // The laptop asks to join the therapist's account and shows a code.
  const laptop = await newDevice(browser);
  await laptop.page.goto('/');
  await laptop.page.getByRole('button', { name: 'Link to an existing device' }).click();
  const code = await laptop.page.getByTestId('link-code').inputValue();
  expect(code).toMatch(/^hearth-link-1\./);
  const laptopNumber = await laptop.page.getByTestId('link-comparison').innerText();
  await expect(laptop.page.getByRole('img', { name: 'Link code as a QR code' })).toBeVisible();
  await expectUsableOnSmallPhone(laptop.page);

  // The phone reads the code, shows the same number, names the laptop and approves.
  await phone.page.getByRole('link', { name: '← Conversations' }).click();
  await phone.page.getByRole('button', { name: 'Menu' }).click();
  await phone.page.getByRole('link', { name: 'Devices', exact: true }).click();
  await expect(phone.page.getByRole('heading', { name: 'Devices', exact: true })).toBeVisible();
  await phone.page.getByLabel('Code from the new device').fill(code);
  await phone.page.getByRole('button', { name: 'Check code' }).click();
  await expect(phone.page.getByTestId('approve-comparison')).toHaveText(laptopNumber);
  await expectUsableOnSmallPhone(phone.page);
  await phone.page.getByLabel('Name this device').fill('Laptop');
  await phone.page.getByRole('button', { name: 'The numbers match: link this device' }).click();
  await expect(phone.page.getByText('Laptop is linked.')).toBeVisible();
  // The client's audit trail says the therapist now writes from another device too.
  await expect(
    client.page.getByTestId('audit').filter({ hasText: 'Dr. Rowan Ellis linked a new device' }),
  ).toBeVisible();
  await expect(phone.page.getByTestId('device')).toHaveCount(2);
  await expect(phone.page.getByTestId('device').filter({ hasText: 'This device' })).toContainText(
    'First device',
  );

  // The laptop gets the approval, takes a passphrase, and brings the conversation over with its history.
  await expect(laptop.page.getByText('Approved as “Laptop”')).toBeVisible();
  await laptop.page.getByLabel('Passphrase', { exact: true }).fill(THERAPIST_PASSPHRASE);
  await laptop.page.getByLabel('Passphrase again').fill(THERAPIST_PASSPHRASE);
  await laptop.page.getByRole('button', { name: 'Finish linking' }).click();
  await laptop.page.getByTestId('conversation-list').getByRole('link').first().click();
  await expect(laptop.page.getByRole('heading', { name: 'Sam Okafor' })).toBeVisible();
  await expect(message(laptop.page, 'Before the laptop: how was your week?')).toBeVisible();
  await expect(message(laptop.page, 'Better, thank you.')).toBeVisible();
  // The laptop speaks for the same person: the client's safety number with it is the one it had with the phone.
  const onClient = await readSafetyNumber(client.page, 'Dr. Rowan Ellis');
  await client.page.getByRole('button', { name: 'Close' }).click();
  expect(await readSafetyNumber(laptop.page, 'Sam Okafor')).toBe(onClient);
  await laptop.page.getByRole('button', { name: 'Close' }).click();

  // The laptop writes as the therapist; the client and the phone both see it as the therapist's.
  await send(laptop.page, 'Written on the laptop.');
  await expect(
    message(laptop.page, 'Written on the laptop.').getByTestId('message-status'),
  ).not.toHaveAttribute('data-state', 'queued');
  await expect(message(client.page, 'Written on the laptop.')).toBeVisible();
  await expect(message(client.page, 'Written on the laptop.')).toContainText('Dr. Rowan Ellis');
  // The laptop did not introduce the therapist a second time.
  await expect(
    client.page.getByTestId('audit').filter({ hasText: 'Dr. Rowan Ellis started this conversation' }),
  ).toHaveCount(1);
  await client.page.getByLabel('Message', { exact: true }).fill('Got the laptop one.');
  await client.page.getByRole('button', { name: 'Send' }).click();
  await expect(message(laptop.page, 'Got the laptop one.')).toBeVisible();

  // The phone removes the laptop, after a confirmation.
  await phone.page.getByRole('button', { name: 'Remove Laptop' }).click();
  await phone.page.getByRole('button', { name: 'Yes, remove Laptop' }).click();
  await expect(phone.page.getByTestId('device').filter({ hasText: 'Laptop' })).toContainText('Removed');
  await expect(
    client.page.getByTestId('audit').filter({ hasText: 'Dr. Rowan Ellis removed a device' }),
  ).toBeVisible();

  // The laptop says it was removed, and what it writes now is refused in words.
  await expect(laptop.page.getByTestId('device-removed')).toBeVisible();
  await send(laptop.page, 'After removal: this must never arrive.');
  await expect(message(laptop.page, 'After removal: this must never arrive.')).toContainText(
    'this device was removed from your account',
  );

  // The client never shows it, while the phone's later message still arrives.
  await phone.page.getByRole('link', { name: '← Conversations' }).click();
  await phone.page.getByTestId('conversation-list').getByRole('link').first().click();
  await send(phone.page, 'From the phone after removing the laptop.');
  await expect(message(client.page, 'From the phone after removing the laptop.')).toBeVisible();
  expect(await shownTexts(client.page)).not.toContain('After removal: this must never arrive.');
  await expect(client.page.getByTestId('rejected-notice')).toHaveCount(0);
});
