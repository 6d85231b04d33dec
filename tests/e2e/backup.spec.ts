import { expect, test } from '@playwright/test';
import { message, newDevice, openFirstConversation, pairedDevices, send, shownTexts } from './support';

test('@identity a recovery backup restores the whole record on a new phone, which then carries on the conversation', async ({
  browser,
}) => {
  const { therapist, client } = await pairedDevices(browser, {
    therapist: 'Dr. Hana Ito',
    client: 'Ravi Menon',
  });
  await send(client.page, 'backup canary: first week notes');
  await send(therapist.page, 'thank you, read them');
  await expect(message(client.page, 'thank you, read them')).toBeVisible();

  await client.page.getByRole('button', { name: 'Menu' }).click();
  await client.page.getByRole('link', { name: 'Settings', exact: true }).click();
  const downloading = client.page.waitForEvent('download');
  await client.page.getByRole('button', { name: 'Create backup file' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(/^hearth-backup-\d{4}-\d{2}-\d{2}\.hearth$/);
  // Kept outside the browser profile, as a person would (the lost phone's downloads go with it).
  const file = test.info().outputPath('backup.hearth');
  await download.saveAs(file);
  const recoveryKey = await client.page.getByTestId('recovery-key').innerText();
  expect(recoveryKey).toMatch(/^([0-9A-Z]{4}-){12}[0-9A-Z]{4}$/);
  await client.page.getByLabel('I have written down my recovery key').click();
  await expect(client.page.getByTestId('recovery-key')).toBeHidden();
  await client.context.close(); // the phone is lost

  const newPhone = await newDevice(browser);
  await newPhone.page.goto('/');
  await newPhone.page.getByText('Restore from a backup file').click();
  await newPhone.page.getByLabel('Backup file').setInputFiles(file);
  await newPhone.page
    .getByLabel('Recovery key')
    .fill('0000-1111-2222-3333-4444-5555-6666-7777-8888-9999-AAAA-BBBB-CCCC');
  await newPhone.page
    .getByLabel('New passphrase for this device')
    .fill('a fresh passphrase for the new phone');
  await newPhone.page.getByLabel('New passphrase again').fill('a fresh passphrase for the new phone');
  await newPhone.page.getByRole('button', { name: 'Restore' }).click();
  await expect(newPhone.page.getByRole('alert')).toContainText('does not open this backup');

  await newPhone.page.getByLabel('Recovery key').fill(recoveryKey.toLowerCase().replaceAll('-', ' '));
  await newPhone.page.getByRole('button', { name: 'Restore' }).click();
  await expect(newPhone.page.getByText('Signed in as Ravi Menon')).toBeVisible();
  await openFirstConversation(newPhone.page);
  await expect
    .poll(() => shownTexts(newPhone.page))
    .toEqual(['backup canary: first week notes', 'thank you, read them']);

  await send(newPhone.page, 'writing from my new phone');
  await expect(message(therapist.page, 'writing from my new phone')).toBeVisible();
  expect(await shownTexts(therapist.page)).toEqual([
    'backup canary: first week notes',
    'thank you, read them',
    'writing from my new phone',
  ]);
  await therapist.context.close();
  await newPhone.context.close();
});
