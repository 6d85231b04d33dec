import { expect, test, type Browser, type Page } from '@playwright/test';
import { addDays, instantOf, localTime, type LocalDate } from '../../src/lib/model/zonedTime';
import {
  CLIENT_PASSPHRASE,
  createInvite,
  createTherapistAccount,
  expectAccessible,
  joinAsClient,
  message,
  newDevice,
  openFirstConversation,
  send,
  unlock,
} from './support';

const LONDON = 'Europe/London';
const THERAPIST = 'Dr. Rowan Ellis';
const AWAY = 'Thank you for your message. I am out of the office and will reply in my office hours.';

/**
 * The latest Friday 18:00 in London that is not after now. The clocks are fixed there, a weekly office just closed;
 * it is this week's or last week's so the relay (on the real clock) still takes the invite made at that time.
 */
function lastFridayEvening(): { friday: LocalDate; at: number } {
  const now = Date.now();
  const today = localTime(now, LONDON);
  let friday = addDays(today, -((today.weekday + 2) % 7));
  if (instantOf(friday, 18 * 60, LONDON) > now) friday = addDays(friday, -7);
  return { friday, at: instantOf(friday, 18 * 60, LONDON) };
}

/** A therapist and a client in London, their clocks at Friday 18:00, joined in one conversation, both in it. */
async function fridayEvening(browser: Browser) {
  const { friday, at } = lastFridayEvening();
  const therapist = await newDevice(browser, { timezoneId: LONDON });
  const client = await newDevice(browser, { timezoneId: LONDON });
  await therapist.page.clock.install({ time: at });
  await client.page.clock.install({ time: at });
  await createTherapistAccount(therapist.page, THERAPIST);
  const link = await createInvite(therapist.page, 'Sam');
  await joinAsClient(client.page, link, 'Sam Okafor');
  await openFirstConversation(therapist.page);
  return { therapist: therapist.page, client: client.page, friday };
}

async function openSettings(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Menu' }).click();
  await page.getByRole('link', { name: 'Settings' }).click();
  await expect(page.getByRole('heading', { name: 'Office hours' })).toBeVisible();
}

async function backToConversation(page: Page): Promise<void> {
  await page.getByRole('link', { name: 'Hearth', exact: true }).click();
  await openFirstConversation(page);
}

test('@workspace a therapist sets office hours; the client sees them, when a Friday evening message is due a reply, and one away message that evening', async ({
  browser,
}) => {
  const { therapist, client, friday } = await fridayEvening(browser);
  // Before any hours: the therapist's own words, and nothing about hours.
  await expect(client.getByTestId('not-for-emergencies')).toContainText(
    `${THERAPIST} usually replies within one working day.`,
  );
  await expect(client.getByTestId('office-hours')).toHaveCount(0);

  await openSettings(therapist);
  await expect(therapist.getByRole('checkbox', { name: 'Open on Monday' })).toBeChecked();
  await expect(therapist.getByRole('checkbox', { name: 'Open on Saturday' })).not.toBeChecked();
  await expect(therapist.getByRole('textbox', { name: 'Saturday from' })).toBeDisabled();
  await expect(therapist.getByLabel('Time zone')).toHaveValue(LONDON);
  await therapist.getByRole('textbox', { name: 'Tuesday to' }).fill('08:00');
  await therapist.getByRole('button', { name: 'Save office hours' }).click();
  await expect(
    therapist
      .getByRole('alert')
      .filter({ hasText: 'On Tuesday, the closing time must be after the opening time.' }),
  ).toBeVisible();
  // The time to fix, not the day's checkbox, is marked, described by the error, and takes focus.
  const tuesdayTo = therapist.getByRole('textbox', { name: 'Tuesday to' });
  await expect(tuesdayTo).toBeFocused();
  await expect(tuesdayTo).toHaveAttribute('aria-invalid', 'true');
  await expect(tuesdayTo).toHaveAccessibleDescription(
    'On Tuesday, the closing time must be after the opening time.',
  );
  await expect(therapist.getByRole('checkbox', { name: 'Open on Tuesday' })).toHaveAttribute(
    'aria-invalid',
    'false',
  );
  await therapist.getByRole('textbox', { name: 'Tuesday to' }).fill('17:00');
  await therapist.getByLabel('Reply within how many').fill('1');
  await therapist.getByLabel('Working hours or days').selectOption('hours');
  await therapist.getByLabel('Away message (optional)').fill(AWAY);
  await therapist.getByRole('button', { name: 'Save office hours' }).click();
  await expect(therapist.getByRole('status').filter({ hasText: 'Office hours saved' })).toHaveText(
    'Office hours saved: Mon–Fri 09:00–17:00, replying within 1 working hour. Your clients see them in your conversations.',
  );
  await expectAccessible(therapist);
  await backToConversation(therapist);

  // The client's header carries them as soon as the therapist's introduction is rewritten.
  await expect(client.getByTestId('office-hours')).toHaveText(
    'Office hours: Mon–Fri 09:00–17:00 · Usually replies within 1 working hour',
  );

  // Friday 18:00, after closing: one working hour means Monday 10:00.
  await send(client, 'Can we move Tuesday’s session?');
  await expect(client.getByTestId('reply-due')).toHaveText(`${THERAPIST} will reply by Monday 10:00.`);
  const away = message(client, AWAY);
  await expect(away).toBeVisible();
  await expect(away.getByTestId('automatic-reply')).toHaveText('Automatic reply');
  // An automatic reply is not a reply: the message is still waiting.
  await expect(client.getByTestId('reply-due')).toHaveText(`${THERAPIST} will reply by Monday 10:00.`);

  // A second message the same evening gets no second away message.
  await send(client, 'Any time on Wednesday works too.');
  await expect(message(therapist, 'Any time on Wednesday works too.')).toBeVisible();
  await expect(
    message(client, 'Any time on Wednesday works too.').getByTestId('message-status'),
  ).toHaveAttribute('data-state', /^(delivered|read)$/);
  await expect(client.getByTestId('automatic-reply')).toHaveCount(1);
  await expect(therapist.getByTestId('automatic-reply')).toHaveCount(1);
  await expect(message(therapist, AWAY).locator('.author')).toHaveText('You');

  // Monday 10:30 with no reply yet: said gently. (Days later, the app has locked itself meanwhile.)
  await client.clock.setSystemTime(instantOf(addDays(friday, 3), 10 * 60 + 30, LONDON));
  await unlock(client, CLIENT_PASSPHRASE);
  await expect(client.getByTestId('reply-due')).toHaveText(
    `${THERAPIST} aimed to reply by Monday 10:00 — your message is still waiting.`,
  );
});

test('@workspace a client gets gentle, dismissible hints for a long message and for several in a row; a therapist never does', async ({
  browser,
}) => {
  const { therapist, client } = await fridayEvening(browser);
  const longHint = client.getByTestId('long-message-hint');
  const burstHint = client.getByTestId('message-burst-hint');

  await client.getByLabel('Message', { exact: true }).fill('I keep thinking about it. '.repeat(60));
  await expect(longHint).toHaveText(
    /This is a long message\. Some things may be easier to talk through in your next session\./,
  );
  await expect(client.getByRole('status').filter({ hasText: 'This is a long message' })).toBeVisible();
  await expectAccessible(client);
  await client.getByRole('button', { name: 'Dismiss the hint about long messages' }).click();
  await expect(longHint).toBeEmpty();
  await client.getByLabel('Message', { exact: true }).fill('And more. '.repeat(350));
  await expect(client.getByText(/characters$/)).toBeVisible();
  await expect(longHint).toBeEmpty();

  await send(client, 'One thing first.');
  await send(client, 'And another.');
  await expect(burstHint).toBeEmpty();
  await send(client, 'Sorry, one more.');
  await expect(burstHint).toHaveText(
    new RegExp(`^${THERAPIST} usually replies within one working day — your messages have arrived\\.`),
  );
  await client.getByRole('button', { name: 'Dismiss the reminder of reply times' }).click();
  await expect(burstHint).toBeEmpty();

  // The therapist writes long and often: no hints.
  await expect(message(therapist, 'Sorry, one more.')).toBeVisible();
  await therapist.getByLabel('Message', { exact: true }).fill('A long reply. '.repeat(240));
  await expect(therapist.getByText(/characters$/)).toBeVisible();
  await expect(therapist.getByTestId('long-message-hint')).toBeEmpty();
  for (const text of ['One.', 'Two.', 'Three.']) await send(therapist, text);
  await expect(message(client, 'Three.')).toBeVisible();
  await expect(therapist.getByTestId('message-burst-hint')).toBeEmpty();
});

test('@workspace a therapist gives Monday a break, then removes their office hours; the client’s header follows', async ({
  browser,
}) => {
  const { therapist, client } = await fridayEvening(browser);
  await openSettings(therapist);
  await therapist.getByRole('button', { name: 'Add a break on Monday' }).click();
  const afterFrom = therapist.getByRole('textbox', { name: 'Monday, after the break, from', exact: true });
  await expect(afterFrom).toBeFocused();
  await therapist.getByRole('textbox', { name: 'Monday to', exact: true }).fill('12:30');
  await afterFrom.fill('12:00');
  await therapist.getByRole('button', { name: 'Save office hours' }).click();
  const overlap =
    'On Monday, the hours after the break must start after 12:30, when the hours before it end.';
  await expect(afterFrom).toBeFocused();
  await expect(afterFrom).toHaveAttribute('aria-invalid', 'true');
  await expect(afterFrom).toHaveAccessibleDescription(overlap);
  await afterFrom.fill('13:30');
  await therapist.getByRole('button', { name: 'Save office hours' }).click();
  await expect(therapist.getByRole('status').filter({ hasText: 'Office hours saved' })).toContainText(
    'Mon 09:00–12:30 and 13:30–17:00; Tue–Fri 09:00–17:00',
  );
  await expectAccessible(therapist);
  await expect(client.getByTestId('office-hours')).toContainText(
    'Office hours: Mon 09:00–12:30 and 13:30–17:00; Tue–Fri 09:00–17:00',
  );

  await therapist.getByRole('button', { name: 'Remove office hours' }).click();
  await therapist.getByRole('dialog').getByRole('button', { name: 'Remove office hours' }).click();
  await expect(therapist.getByRole('status').filter({ hasText: 'Office hours removed' })).toBeVisible();
  await expect(therapist.getByRole('button', { name: 'Save office hours' })).toBeFocused();
  await expect(therapist.getByRole('button', { name: 'Remove office hours' })).toHaveCount(0);
  await expect(client.getByTestId('office-hours')).toHaveCount(0);
  await expect(client.getByTestId('not-for-emergencies')).toContainText(
    `${THERAPIST} usually replies within 1 working day.`,
  );
});
