import { expect, test, type Page } from '@playwright/test';
import { FakePushService } from '../helpers/pushService';
import { BrowserSubscription } from '../helpers/webPushReceiver';
import { CLIENT_PASSPHRASE, pairedDevices, send, unlock, waitForServiceWorker } from './support';

const OFFER = 'Get a notification when a new message arrives? It will only say ‘New message in Hearth’.';
// Headless Chromium has no push service to register with: `pushManager.subscribe` fails there, and Hearth says so.
const NOT_AVAILABLE = 'Notifications are not available on this device.';

function prompt(page: Page) {
  return page.getByTestId('notification-prompt');
}

test('@identity notifications are offered after the first sent message, never on first load, and say honestly when this device cannot have them', async ({
  browser,
}) => {
  const { therapist, client } = await pairedDevices(browser);
  await client.context.grantPermissions(['notifications']);

  // First load and opening a conversation offer nothing.
  await expect(client.page.getByLabel('Message', { exact: true })).toBeVisible();
  await expect(prompt(client.page)).toHaveCount(0);
  await expect(prompt(therapist.page)).toHaveCount(0);

  await send(client.page, 'Hello, this is my first message');
  await expect(prompt(client.page)).toContainText(OFFER);
  // Only the device that sent something is asked.
  await expect(prompt(therapist.page)).toHaveCount(0);

  await prompt(client.page).getByRole('button', { name: 'Turn on' }).click();
  await expect(prompt(client.page).getByRole('alert')).toHaveText(NOT_AVAILABLE);
  await prompt(client.page).getByRole('button', { name: 'Close' }).click();
  await expect(prompt(client.page)).toHaveCount(0);
  // Answered once: the next message does not ask again.
  await send(client.page, 'A second message');
  await expect(prompt(client.page)).toHaveCount(0);

  // The switch on the home screen stays off and says why, rather than pretending.
  await client.page.getByRole('link', { name: '← Conversations' }).click();
  const toggle = client.page.getByRole('switch', { name: 'Notifications' });
  await expect(toggle).not.toBeChecked();
  await toggle.click();
  await expect(client.page.getByTestId('notification-settings').getByRole('alert')).toHaveText(NOT_AVAILABLE);
  await expect(toggle).not.toBeChecked();

  await therapist.context.close();
  await client.context.close();
});

test('@identity a push shows only "New message in Hearth", whatever it carries', async ({ browser }) => {
  const { therapist, client } = await pairedDevices(browser);
  await client.context.grantPermissions(['notifications']);
  await waitForServiceWorker(client.page);

  // A push event delivered to the service worker through the DevTools protocol, as a push service would deliver
  // one, carrying words that must never reach the screen.
  const cdp = await client.context.newCDPSession(client.page);
  const registrationId = new Promise<string>((resolve) => {
    cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations }) => {
      const ours = registrations.find((r) => !r.isDeleted);
      if (ours) resolve(ours.registrationId);
    });
  });
  await cdp.send('ServiceWorker.enable');
  await cdp.send('ServiceWorker.deliverPushMessage', {
    origin: new URL(client.page.url()).origin,
    registrationId: await registrationId,
    data: JSON.stringify({ v: 1, kind: 'new-message', text: 'private words', from: 'Dr. Rowan Ellis' }),
  });
  const shown = () =>
    client.page.evaluate(async () => {
      const registration = await navigator.serviceWorker.ready;
      return (await registration.getNotifications()).map((n) => ({
        title: n.title,
        body: n.body,
        tag: n.tag,
      }));
    });
  await expect
    .poll(shown)
    .toEqual([{ title: 'Hearth', body: 'New message in Hearth', tag: 'hearth-new-message' }]);

  await therapist.context.close();
  await client.context.close();
});

/**
 * Stands in for the browser's push service, which headless Chromium lacks: `pushManager.subscribe` returns a
 * subscription with real P-256 keys made by WebCrypto and the given endpoint, kept across reloads as a browser
 * keeps it. `unsubscribe` is counted.
 */
function installPushDouble(endpoint: string): void {
  const STORE = 'push-double';
  type Stored = { jwk: JsonWebKey; raw: number[]; auth: number[]; key: number[] };
  const fromStore = (): PushSubscription | null => {
    const text = localStorage.getItem(STORE);
    if (!text) return null;
    const stored = JSON.parse(text) as Stored;
    return {
      endpoint,
      options: { applicationServerKey: new Uint8Array(stored.key).buffer, userVisibleOnly: true },
      getKey: (name: string) => new Uint8Array(name === 'p256dh' ? stored.raw : stored.auth).buffer,
      unsubscribe: async () => {
        localStorage.removeItem(STORE);
        localStorage.setItem(
          'push-double-unsubscribed',
          String(Number(localStorage.getItem('push-double-unsubscribed') ?? 0) + 1),
        );
        return true;
      },
    } as unknown as PushSubscription;
  };
  PushManager.prototype.getSubscription = async () => fromStore();
  PushManager.prototype.subscribe = async (options?: PushSubscriptionOptionsInit) => {
    const pair = await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits']);
    const raw = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
    const jwk = await crypto.subtle.exportKey('jwk', pair.privateKey);
    const auth = crypto.getRandomValues(new Uint8Array(16));
    const key = new Uint8Array(options?.applicationServerKey as ArrayBuffer);
    const stored: Stored = { jwk, raw: [...raw], auth: [...auth], key: [...key] };
    localStorage.setItem(STORE, JSON.stringify(stored));
    return fromStore() as PushSubscription;
  };
}

test('@identity turned on, a message while away arrives as a content-free push; turned off, the subscription ends', async ({
  browser,
}) => {
  const service = await FakePushService.start();
  const endpoint = service.endpoint('this-browser');
  const { therapist, client } = await pairedDevices(browser);
  await client.context.grantPermissions(['notifications']);
  await client.context.addInitScript(installPushDouble, endpoint);
  await client.page.reload();
  await unlock(client.page, CLIENT_PASSPHRASE);

  await send(client.page, 'Checking in before Thursday');
  await prompt(client.page).getByRole('button', { name: 'Turn on' }).click();
  await expect(prompt(client.page)).toHaveCount(0);
  await client.page.getByRole('link', { name: '← Conversations' }).click();
  const toggle = client.page.getByRole('switch', { name: 'Notifications' });
  await expect(toggle).toBeChecked();
  await expect(client.page.getByTestId('notification-settings')).toContainText('On.');

  // The client closes Hearth; the therapist's reply reaches the stand-in push service as a push that opens, with
  // the browser's keys, to the fixed payload and nothing of the reply.
  const keys = await client.page.evaluate(() => JSON.parse(localStorage.getItem('push-double') ?? 'null'));
  await client.page.close();
  await send(therapist.page, 'Thursday at four works for me');
  const [push] = await service.waitFor(endpoint);
  const receiver = new BrowserSubscription(endpoint, {
    privateKey: Buffer.from(keys.jwk.d, 'base64url'),
    auth: new Uint8Array(keys.auth),
  });
  expect(receiver.decrypt(push.body).toString()).toBe('{"v":1,"kind":"new-message"}');
  expect(push.body.includes(Buffer.from('Thursday'))).toBe(false);

  // Back in Hearth, the switch turns it off: the relay is told (PUSH_UNSUBSCRIBE, frame 42) and the browser's
  // subscription is ended.
  const page = await client.context.newPage();
  const sentFrameTypes: number[] = [];
  page.on('websocket', (ws) =>
    ws.on('framesent', ({ payload }) => {
      if (typeof payload !== 'string') sentFrameTypes.push(payload[1]);
    }),
  );
  await page.goto('/');
  await unlock(page, CLIENT_PASSPHRASE);
  const again = page.getByRole('switch', { name: 'Notifications' });
  await expect(again).toBeChecked();
  await again.click();
  await expect(again).not.toBeChecked();
  await expect(page.getByTestId('notification-settings')).toContainText('Off.');
  await expect.poll(() => page.evaluate(() => localStorage.getItem('push-double-unsubscribed'))).toBe('1');
  expect(sentFrameTypes).toContain(42);

  await service.close();
  await therapist.context.close();
  await client.context.close();
});
