import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { pairedDevices, send, THERAPIST_PASSPHRASE, unlock } from './support';

async function expectNoViolations(page: Page, screen: string) {
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  const summary = results.violations.map((v) => `${screen}: ${v.id} (${v.nodes.length}) ${v.help}`);
  expect(summary).toEqual([]);
}

async function expectNoSidewaysScroll(page: Page) {
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow).toBeLessThanOrEqual(0);
}

test('@foundation every screen passes an accessibility scan and fits a 320 px wide phone', async ({
  browser,
}) => {
  const { therapist, client } = await pairedDevices(browser);
  await send(client.page, 'Checking that this reads well on a small phone.');
  for (const device of [therapist, client]) await device.page.setViewportSize({ width: 320, height: 640 });

  await expectNoViolations(client.page, 'conversation (client)');
  await expectNoSidewaysScroll(client.page);

  await therapist.page.getByRole('link', { name: '← Conversations' }).click();
  await expectNoViolations(therapist.page, 'home (therapist)');
  await expectNoSidewaysScroll(therapist.page);

  await therapist.page.reload();
  await expect(therapist.page.getByRole('heading', { name: 'Unlock Hearth' })).toBeVisible();
  await expectNoViolations(therapist.page, 'unlock');
  await expectNoSidewaysScroll(therapist.page);

  await therapist.page.getByRole('button', { name: 'Get help now' }).click();
  await expectNoViolations(therapist.page, 'crisis resources');
  await therapist.page.keyboard.press('Escape');
  await unlock(therapist.page, THERAPIST_PASSPHRASE);

  const fresh = await browser.newContext({ viewport: { width: 320, height: 640 } });
  const page = await fresh.newPage();
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Create your account' })).toBeVisible();
  await expectNoViolations(page, 'create account');
  await expectNoSidewaysScroll(page);

  // Keyboard: the account form can be completed and submitted without a pointer.
  await page.getByLabel('Your name, as others will see it').focus();
  await page.keyboard.type('Keyboard Person');
  for (const _ of [0, 1]) await page.keyboard.press('Tab');
  await page.keyboard.type('a long enough passphrase');
  await page.keyboard.press('Tab');
  await page.keyboard.type('a long enough passphrase');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Conversations' })).toBeVisible();

  for (const context of [therapist.context, client.context, fresh]) await context.close();
});
