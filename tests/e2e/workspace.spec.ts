import { expect, test, type Page } from '@playwright/test';
import {
  CLIENT_PASSPHRASE,
  createInvite,
  createTherapistAccount,
  expectAccessible,
  findInIndexedDb,
  message,
  newDevice,
  openFirstConversation,
  pairedDevices,
  send,
  THERAPIST_PASSPHRASE,
  unlock,
} from './support';

const MINUTE = 60_000;

function composer(page: Page) {
  return page.getByLabel('Message', { exact: true });
}

async function lockNow(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Menu' }).click();
  await page.locator('#app-menu').getByRole('button', { name: 'Lock now' }).click();
  await expect(page.getByRole('heading', { name: 'Unlock Hearth' })).toBeVisible();
}

async function home(page: Page): Promise<void> {
  await page.getByRole('link', { name: 'Hearth', exact: true }).click();
  await expect(page.getByTestId('conversation-list')).toBeVisible();
}

/** How many sealed draft records the device holds (their content is ciphertext; only the count is read). */
async function storedDrafts(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      new Promise<number>((resolve, reject) => {
        const open = indexedDB.open('hearth');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const count = db.transaction('records').objectStore('records').index('kind').count('draft');
          count.onsuccess = () => {
            db.close();
            resolve(count.result);
          };
        };
      }),
  );
}

/** Lock after an hour without use, so moving the clock through a messaging session does not lock the app. */
async function lockAfterAnHour(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Menu' }).click();
  await page.locator('#app-menu').getByRole('link', { name: 'Settings' }).click();
  await page.getByLabel('Lock after this long without use').selectOption('60');
  await expect(page.getByText('Hearth now locks after 60 minutes without use.')).toBeVisible();
  await page.getByRole('link', { name: '← Conversations' }).click();
}

test('@workspace a draft survives a reload and a lock, sealed on the device, and goes once it is sent', async ({
  browser,
}) => {
  const { therapist, client } = await pairedDevices(browser);
  const page = client.page;
  const DRAFT = 'Since Sunday I keep replaying what my brother said';
  await composer(page).fill(DRAFT);
  await expect.poll(() => storedDrafts(page)).toBe(1);
  expect(await findInIndexedDb(page, [DRAFT, 'my brother'])).toEqual([]);

  await page.reload();
  await unlock(page, CLIENT_PASSPHRASE);
  await expect(composer(page)).toHaveValue(DRAFT);

  // Changed and locked at once: what was typed last is there after unlocking.
  await composer(page).fill(`${DRAFT}, and I can't sleep.`);
  await lockNow(page);
  await unlock(page, CLIENT_PASSPHRASE);
  await expect(composer(page)).toHaveValue(`${DRAFT}, and I can't sleep.`);

  // The conversations list marks the conversation with a draft.
  await home(page);
  await expect(page.getByTestId('conversation-list').getByRole('listitem').first()).toContainText('Draft');
  await page.getByTestId('conversation-list').getByRole('link').first().click();

  await page.getByRole('button', { name: 'Send' }).click();
  await expect(message(therapist.page, "and I can't sleep.")).toBeVisible();
  await expect.poll(() => storedDrafts(page)).toBe(0);
  await page.reload();
  await unlock(page, CLIENT_PASSPHRASE);
  await expect(composer(page)).toHaveValue('');
  await therapist.context.close();
  await client.context.close();
});

test('@workspace a reply template is saved from the draft, inserted at the cursor by keyboard, kept sealed, and deleted', async ({
  browser,
}) => {
  const { context, page } = await newDevice(browser);
  await createTherapistAccount(page, 'Dr. Rowan Ellis');
  await createInvite(page, 'Template canary Priya');
  await openFirstConversation(page);

  const TEXT = 'Thanks for writing. I read messages on weekdays and will reply by Friday.';
  await composer(page).fill(TEXT);
  await page.getByRole('button', { name: 'Templates' }).click();
  const panel = page.getByRole('region', { name: 'Reply templates' });
  await expect(panel).toContainText('No templates yet');
  await panel.getByLabel('Template title').fill('Reply by Friday');
  await panel.getByLabel('Template title').press('Enter');
  await expect(panel.getByRole('status')).toHaveText('Saved “Reply by Friday” as a template.');
  // Enter in the title saved the template; it did not send the message.
  await expect(composer(page)).toHaveValue(TEXT);

  await page.setViewportSize({ width: 320, height: 640 });
  await expectAccessible(page);

  // Between two sentences, by keyboard: the template goes where the cursor was.
  await composer(page).fill('Hello Priya. See you soon.');
  await composer(page).evaluate((box: HTMLTextAreaElement) => box.setSelectionRange(13, 13));
  await panel.getByRole('button', { name: 'Insert Reply by Friday' }).focus();
  await page.keyboard.press('Enter');
  await expect(composer(page)).toHaveValue(`Hello Priya. ${TEXT}See you soon.`);
  await expect(composer(page)).toBeFocused();
  await expect(panel).toBeHidden();

  expect(await findInIndexedDb(page, ['Reply by Friday', 'on weekdays'])).toEqual([]);
  await page.reload();
  await unlock(page, THERAPIST_PASSPHRASE);
  await page.getByRole('button', { name: 'Templates' }).click();
  await panel.getByRole('button', { name: 'Delete Reply by Friday' }).click();
  await expect(panel).toContainText('No templates yet');
  await page.keyboard.press('Escape');
  await expect(panel).toBeHidden();
  await expect(page.getByRole('button', { name: 'Templates' })).toBeFocused();
  await context.close();
});

test('@workspace a messaging session the therapist starts shows on both sides with its time left, has no cancel, and both see it end', async ({
  browser,
}) => {
  const { therapist, client } = await pairedDevices(browser);
  for (const { page } of [therapist, client]) {
    await page.clock.install();
    await lockAfterAnHour(page);
    await openFirstConversation(page);
  }

  const t = therapist.page;
  await t.getByText('Start a messaging session').click();
  await t.getByLabel('Session length').selectOption('15');
  await t.getByRole('button', { name: 'Start messaging session' }).click();
  const dialog = t.getByRole('dialog', { name: 'Start a 15-minute messaging session?' });
  await expect(dialog).toContainText("Once started, a messaging session can't be cancelled");
  // Starting one takes nothing away from anyone: the button is the screen's main action, not a warning.
  await expect(dialog.getByRole('button', { name: 'Start session' })).toHaveClass(/\bprimary\b/);
  await dialog.getByRole('button', { name: 'Start session' }).click();
  // The start control goes; focus moves to the banner rather than being lost to the page.
  await expect(t.getByTestId('messaging-session-banner')).toBeFocused();

  for (const [page, who] of [
    [t, 'You'],
    [client.page, 'Dr. Rowan Ellis'],
  ] as const) {
    const banner = page.getByTestId('messaging-session-banner');
    await expect(banner).toContainText('Messaging session in progress — 15 minutes left');
    // A screen reader hears the start once; the countdown is on screen but not in a live region.
    await expect(page.getByTestId('messaging-session-announcement')).toHaveAttribute('role', 'status');
    await expect(page.getByTestId('messaging-session-announcement')).toHaveText(
      new RegExp(`^${who} started a 15-minute messaging session\\. It ends at .+\\.$`),
    );
    await expect(page.getByRole('status').filter({ has: banner })).toHaveCount(0);
    await expect(page.getByTestId('audit').filter({ hasText: 'started a 15-minute' })).toHaveText(
      new RegExp(`^${who} started a 15-minute messaging session`),
    );
    // Nothing stops it early, and no one can start another while it runs.
    await expect(banner.getByRole('button')).toHaveCount(0);
    await expect(page.getByRole('button', { name: /\b(cancel|stop|end)\b/i })).toHaveCount(0);
    await expect(page.getByText('Start a messaging session')).toHaveCount(0);
  }

  // Reply templates are the therapist's tool: a client's narrow screen is not crowded with them.
  await expect(client.page.getByRole('button', { name: 'Templates' })).toHaveCount(0);
  await expect(t.getByRole('button', { name: 'Templates' })).toBeVisible();
  await client.page.setViewportSize({ width: 320, height: 640 });
  await expectAccessible(client.page);

  for (const { page } of [therapist, client]) await page.clock.fastForward(5 * MINUTE);
  for (const { page } of [therapist, client]) {
    await expect(page.getByTestId('messaging-session-banner')).toContainText('10 minutes left');
  }

  for (const { page } of [therapist, client]) await page.clock.fastForward(11 * MINUTE);
  for (const { page } of [therapist, client]) {
    await expect(page.getByTestId('messaging-session-banner')).toHaveCount(0);
    await expect(page.getByTestId('messaging-session-announcement')).toHaveText(
      'The messaging session has ended.',
    );
    await expect(page.getByTestId('audit').filter({ hasText: 'Messaging session ended' })).toContainText(
      'Messaging session ended (15 minutes)',
    );
    await expect(page.getByText('Start a messaging session')).toBeVisible();
  }
  await therapist.context.close();
  await client.context.close();
});

test('@workspace the tab title and app badge count unread messages, never names, and show none while locked', async ({
  browser,
}) => {
  const { therapist, client } = await pairedDevices(browser);
  const page = therapist.page;
  // Stands in for the Badging API, which a browser outside an installed app may not offer.
  await page.evaluate(() => {
    const calls: (number | 'clear')[] = [];
    Object.assign(window, { badgeCalls: calls });
    Object.assign(Navigator.prototype, {
      setAppBadge: (n: number) => Promise.resolve(void calls.push(n)),
      clearAppBadge: () => Promise.resolve(void calls.push('clear')),
    });
  });
  const lastBadge = () =>
    page.evaluate(() => (window as unknown as { badgeCalls: unknown[] }).badgeCalls.at(-1));
  await home(page);
  await expect(page).toHaveTitle('Hearth');

  await send(client.page, 'Are we still on for Thursday?');
  await expect(page).toHaveTitle('(1) Hearth');
  await expect.poll(lastBadge).toBe(1);

  await lockNow(page);
  await expect(page).toHaveTitle('Hearth');
  await expect.poll(lastBadge).toBe('clear');

  await unlock(page, THERAPIST_PASSPHRASE);
  await expect(page).toHaveTitle('(1) Hearth');
  await openFirstConversation(page);
  await expect(message(page, 'Are we still on for Thursday?')).toBeVisible();
  await expect(page).toHaveTitle('Conversation · Hearth');
  await expect.poll(lastBadge).toBe('clear');
  await therapist.context.close();
  await client.context.close();
});
