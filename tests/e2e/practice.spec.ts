import { expect, test, type Page } from '@playwright/test';
import { createTherapistAccount, expectAccessible, newDevice, THERAPIST_PASSPHRASE } from './support';

async function openPractice(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Menu' }).click();
  await page.getByRole('link', { name: 'Practice' }).click();
  await expect(page).toHaveURL(/\/practice$/);
}

function directory(page: Page) {
  return page.getByTestId('practice-directory');
}

test('@conversations an administrator sets up a practice and invites a colleague, who becomes everyone’s contact', async ({
  browser,
}) => {
  const admin = await newDevice(browser);
  await createTherapistAccount(admin.page, 'Dr. Rowan Ellis');
  await openPractice(admin.page);
  await admin.page.setViewportSize({ width: 320, height: 640 });
  await expect(admin.page.getByRole('heading', { name: 'Set up your practice' })).toBeVisible();
  await expectAccessible(admin.page);
  // From the keyboard: type the name, press Enter.
  await admin.page.getByLabel('Practice name').fill('Riverside Practice');
  await admin.page.keyboard.press('Enter');
  await expect(admin.page.getByRole('heading', { name: 'Riverside Practice' })).toBeVisible();
  await expect(directory(admin.page).getByTestId('professional')).toHaveText([
    /Dr\. Rowan Ellis \(you\).*Administrator/,
  ]);

  await admin.page.getByRole('button', { name: 'Create invite link' }).click();
  await expectAccessible(admin.page);
  const link = await admin.page.getByTestId('practice-invite-link').inputValue();
  expect(link).toMatch(/\/invite#v1\.[^.]+\.[^.]+\.practice$/);

  // A new person opening a practice invite makes a therapist's account.
  const colleague = await newDevice(browser);
  await colleague.page.goto(link);
  await expect(colleague.page.getByRole('heading', { name: 'Create your account' })).toBeVisible();
  await colleague.page.getByLabel('Your name, as others will see it').fill('Dr. Mira Chen');
  await expect(colleague.page.getByLabel('You usually reply')).toBeVisible();
  await colleague.page.getByLabel('Passphrase', { exact: true }).fill(THERAPIST_PASSPHRASE);
  await colleague.page.getByLabel('Passphrase again').fill(THERAPIST_PASSPHRASE);
  await colleague.page.getByRole('button', { name: 'Create account' }).click();
  await expect(colleague.page).toHaveURL(/\/practice$/);

  for (const page of [admin.page, colleague.page]) {
    await expect(page.getByRole('heading', { name: 'Riverside Practice' })).toBeVisible();
    await expect(directory(page).getByTestId('professional')).toHaveCount(2);
  }
  await expect(
    directory(colleague.page).getByTestId('professional').filter({ hasText: 'Dr. Rowan Ellis' }),
  ).toContainText('Administrator');
  // Everyone but the administrator sees the directory read-only.
  await expect(colleague.page.getByRole('button', { name: 'Remove' })).toHaveCount(0);
  await expect(colleague.page.getByRole('button', { name: 'Leave practice' })).toBeVisible();

  // The colleague is one of the administrator's contacts, to talk with or to add to a conversation.
  await admin.page.getByRole('link', { name: 'Hearth', exact: true }).click();
  await admin.page.getByTestId('new-conversation').click();
  await expect(admin.page.getByRole('checkbox', { name: /Dr\. Mira Chen/ })).toBeVisible();
  // Nor is the practice one of the conversations.
  await admin.page.getByRole('link', { name: 'Cancel' }).click();
  await expect(admin.page.getByText('No conversations yet.')).toBeVisible();

  await admin.context.close();
  await colleague.context.close();
});
