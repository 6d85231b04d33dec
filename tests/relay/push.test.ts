import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../src/lib/protocol/hex';
import { MAX_PUSH_SUBSCRIPTIONS_PER_DEVICE, PUSH_TTL_SECONDS } from '../../src/lib/protocol/limits';
import {
  joinThroughInvite,
  makeDevice,
  makeEnvelope,
  randomBytesOf,
  RelayClient,
} from '../helpers/relayClient';
import { linkFrame, revokeFrame } from '../helpers/deviceCerts';
import { startRelay, type RunningRelay } from '../helpers/relayProcess';
import { RELAY_BACKENDS, type BackendStorage } from '../helpers/relayBackends';
import { createTestDatabase, TEST_REDIS_URL } from '../helpers/scaleOutServices';
import { startTcpProxy } from '../helpers/tcpProxy';
import { FakePushService } from '../helpers/pushService';
import { BrowserSubscription, verifyVapid } from '../helpers/webPushReceiver';

const SUBJECT = 'mailto:operators@hearth.test';
const CONTENT_FREE_PAYLOAD = '{"v":1,"kind":"new-message"}';
// The stand-in push service is plain http on 127.0.0.1, which production relays refuse.
const TEST_ENV = { PUSH_ALLOW_INSECURE_ENDPOINTS: 'true', VAPID_SUBJECT: SUBJECT };

let service: FakePushService;
let endpoints = 0;

beforeAll(async () => {
  service = await FakePushService.start();
});

afterAll(async () => {
  await service.close();
});

const endpointId = (endpoint: string) => new Uint8Array(createHash('sha256').update(endpoint).digest());

/** A browser subscription on the stand-in service, registered for `client`'s device through PUSH_SUBSCRIBE. */
async function subscribePush(client: RelayClient): Promise<BrowserSubscription> {
  const browser = new BrowserSubscription(service.endpoint(`sub-${++endpoints}-${toHex(randomBytesOf(8))}`));
  client.sendFrame({
    type: 'pushSubscribe',
    endpoint: browser.endpoint,
    p256dh: browser.p256dh,
    auth: browser.auth,
  });
  const reply = await client.expect('pushSubscribed');
  expect(toHex(reply.endpointId)).toBe(toHex(endpointId(browser.endpoint)));
  return browser;
}

/** A new device admitted to `room` through an invite from `creator`, connected (not subscribed to the room). */
async function joinRoom(relay: RunningRelay, creator: RelayClient, room: Uint8Array): Promise<RelayClient> {
  return joinThroughInvite(relay.wsUrl, creator, room, { box: randomBytesOf(32) });
}

/** One sample of the relay's /metrics, or undefined if it does not report that series. */
async function counter(relay: RunningRelay, series: string): Promise<number | undefined> {
  const text = await (await fetch(`${relay.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function vapidPublicKey(relay: RunningRelay): Promise<string> {
  const response = await fetch(`${relay.url}/push/vapid-public-key`);
  expect(response.status).toBe(200);
  const { publicKey } = (await response.json()) as { publicKey: string };
  expect(Buffer.from(publicKey, 'base64url')).toHaveLength(65);
  return publicKey;
}

for (const backend of RELAY_BACKENDS) {
  describe.skipIf(backend.skipReason !== null)(`@relay push notifications on ${backend.name}`, () => {
    let storage: BackendStorage;

    afterEach(async () => {
      await storage?.dispose();
    });

    /** A relay over fresh storage, and a room whose creator is connected. Stopping the relay (graceful) waits
     * for every push it started, so "received nothing" can be asserted after `relay.stop()` without a timer. */
    async function roomOnFreshRelay(env: Record<string, string> = {}) {
      storage = await backend.prepare();
      const relay = await storage.start({ ...TEST_ENV, ...env });
      const author = await RelayClient.connectAs(relay.wsUrl);
      const room = await author.createRoom();
      return { relay, author, room };
    }

    it('sends an away member one push that decrypts to the fixed content-free payload under a verifiable VAPID signature', async () => {
      const { relay, author, room } = await roomOnFreshRelay({ LOG_LEVEL: 'debug' });
      const reader = await joinRoom(relay, author, room);
      const readerPush = await subscribePush(reader);
      const authorPush = await subscribePush(author);
      const publicKey = await vapidPublicKey(relay);
      const envelope = makeEnvelope({
        author: author.device!,
        room,
        clock: 1,
        ciphertext: randomBytesOf(200),
      });
      await author.append(envelope.bytes);

      const [push] = await service.waitFor(readerPush.endpoint);
      expect(push.method).toBe('POST');
      expect(push.headers['content-encoding']).toBe('aes128gcm');
      expect(push.headers.ttl).toBe(String(PUSH_TTL_SECONDS));
      expect(push.headers.urgency).toBe('normal');
      expect(push.headers.topic).toBe('hearth-new-message');
      const claims = verifyVapid(push.headers.authorization ?? '', publicKey);
      expect(claims.aud).toBe(service.url);
      expect(claims.sub).toBe(SUBJECT);
      expect(claims.exp).toBeGreaterThan(Date.now() / 1000);
      expect(claims.exp).toBeLessThanOrEqual(Date.now() / 1000 + 24 * 60 * 60);

      const plaintext = readerPush.decrypt(push.body);
      expect(plaintext.toString('utf8')).toBe(CONTENT_FREE_PAYLOAD);
      // Nothing that identifies the room, the message or anyone in it, in any encoding.
      const secrets = [room, envelope.bytes, envelope.id, author.device!.publicKey, reader.device!.publicKey];
      for (const secret of secrets) {
        for (const form of [
          Buffer.from(secret),
          Buffer.from(toHex(secret)),
          Buffer.from(Buffer.from(secret).toString('base64url')),
        ]) {
          expect(plaintext.includes(form)).toBe(false);
          expect(push.body.includes(form)).toBe(false);
        }
      }
      // Another subscription cannot open it.
      expect(() => authorPush.decrypt(push.body)).toThrow();

      await expect.poll(() => counter(relay, 'hearth_pushes_sent_total')).toBe(1);
      await relay.stop();
      // The author's own device heard nothing of its own message.
      expect(service.to(authorPush.endpoint)).toHaveLength(0);
      expect(service.to(readerPush.endpoint)).toHaveLength(1);
      // Logs name the push service's host at most: never an endpoint's path, or a subscription's keys.
      const output = relay.output();
      expect(output).toContain('push subscription stored');
      for (const browser of [readerPush, authorPush]) {
        expect(output).not.toContain(new URL(browser.endpoint).pathname);
        expect(output).not.toContain(Buffer.from(browser.auth).toString('base64url'));
        expect(output).not.toContain(Buffer.from(browser.p256dh).toString('base64url'));
      }
    });

    it('does not push to a device that has a socket subscribed to the room', async () => {
      const { relay, author, room } = await roomOnFreshRelay();
      const reading = await joinRoom(relay, author, room);
      const away = await joinRoom(relay, author, room);
      const readingPush = await subscribePush(reading);
      const awayPush = await subscribePush(away);
      await reading.subscribe(room);
      await author.append(makeEnvelope({ author: author.device!, room, clock: 1 }).bytes);
      await reading.expect('deliver');
      await service.waitFor(awayPush.endpoint);
      await relay.stop();
      expect(service.to(readingPush.endpoint)).toHaveLength(0);
      expect(service.to(awayPush.endpoint)).toHaveLength(1);
    });

    it('pushes to a member’s linked device, and never again once that device is removed', async () => {
      const { relay, author, room } = await roomOnFreshRelay({ PUSH_COALESCE_MS: '0' });
      const reader = await joinRoom(relay, author, room);
      const identity = reader.device!;
      const laptop = makeDevice();
      reader.sendFrame(linkFrame(identity, laptop));
      await reader.waitFor('deviceLinked');
      const linked = await RelayClient.connectAs(relay.wsUrl, laptop);
      const laptopPush = await subscribePush(linked);
      const phonePush = await subscribePush(reader);
      await author.append(makeEnvelope({ author: author.device!, room, clock: 1 }).bytes);
      await service.waitFor(laptopPush.endpoint);
      await service.waitFor(phonePush.endpoint);

      const at = Date.now();
      reader.sendFrame(revokeFrame(identity, laptop.publicKey, at));
      await reader.waitFor('deviceRevoked');
      await author.append(makeEnvelope({ author: author.device!, room, clock: 2 }).bytes);
      await service.waitFor(phonePush.endpoint, 2);
      await relay.stop();
      expect(service.to(laptopPush.endpoint)).toHaveLength(1);
      expect(service.to(phonePush.endpoint)).toHaveLength(2);
    });

    it('coalesces many messages within the window into one push per device', async () => {
      const { relay, author, room } = await roomOnFreshRelay();
      const reader = await joinRoom(relay, author, room);
      const readerPush = await subscribePush(reader);
      await author.append(makeEnvelope({ author: author.device!, room, clock: 1 }).bytes);
      await service.waitFor(readerPush.endpoint);
      for (const clock of [2, 3, 4])
        await author.append(makeEnvelope({ author: author.device!, room, clock }).bytes);
      // A second author's message reaches the first author once, and is coalesced for the reader.
      const authorPush = await subscribePush(author);
      await reader.append(makeEnvelope({ author: reader.device!, room, clock: 1 }).bytes);
      await service.waitFor(authorPush.endpoint);
      await expect.poll(() => counter(relay, 'hearth_pushes_coalesced_total')).toBe(3);
      await relay.stop();
      expect(service.to(readerPush.endpoint)).toHaveLength(1);
      expect(service.to(authorPush.endpoint)).toHaveLength(1);
    });

    it('deletes a subscription the push service answers 410 for, and stops pushing to it', async () => {
      const { relay, author, room } = await roomOnFreshRelay({ PUSH_COALESCE_MS: '0' });
      const gone = await joinRoom(relay, author, room);
      const control = await joinRoom(relay, author, room);
      const gonePush = await subscribePush(gone);
      const controlPush = await subscribePush(control);
      service.respondWith(gonePush.endpoint, 410);
      await author.append(makeEnvelope({ author: author.device!, room, clock: 1 }).bytes);
      await service.waitFor(gonePush.endpoint);
      // Counted only once the subscription is deleted.
      await expect.poll(() => counter(relay, 'hearth_pushes_failed_total{reason="gone"}')).toBe(1);
      await author.append(makeEnvelope({ author: author.device!, room, clock: 2 }).bytes);
      await service.waitFor(controlPush.endpoint, 2);
      await relay.stop();
      expect(service.to(gonePush.endpoint)).toHaveLength(1);
      expect(service.to(controlPush.endpoint)).toHaveLength(2);
    });

    it('forgets a subscription the device removes, and keeps only its newest few', async () => {
      const { relay, author, room } = await roomOnFreshRelay();
      const removed = await joinRoom(relay, author, room);
      const many = await joinRoom(relay, author, room);
      const removedPush = await subscribePush(removed);
      removed.sendFrame({ type: 'pushUnsubscribe', endpoint: removedPush.endpoint });
      expect(toHex((await removed.expect('pushUnsubscribed')).endpointId)).toBe(
        toHex(endpointId(removedPush.endpoint)),
      );
      // Removing again, or removing an endpoint the device never had, is answered the same way.
      removed.sendFrame({ type: 'pushUnsubscribe', endpoint: removedPush.endpoint });
      await removed.expect('pushUnsubscribed');
      const registered: BrowserSubscription[] = [];
      for (let i = 0; i <= MAX_PUSH_SUBSCRIPTIONS_PER_DEVICE; i++) registered.push(await subscribePush(many));
      // Another device cannot remove these.
      removed.sendFrame({ type: 'pushUnsubscribe', endpoint: registered[1].endpoint });
      await removed.expect('pushUnsubscribed');
      await author.append(makeEnvelope({ author: author.device!, room, clock: 1 }).bytes);
      for (const kept of registered.slice(1)) await service.waitFor(kept.endpoint);
      await relay.stop();
      expect(service.to(removedPush.endpoint)).toHaveLength(0);
      expect(service.to(registered[0].endpoint)).toHaveLength(0);
    });

    it('refuses endpoints and keys it cannot use, with stable codes, and stays up', async () => {
      storage = await backend.prepare();
      const relay = await storage.start({}); // production rules: https push services only
      const device = await RelayClient.connectAs(relay.wsUrl);
      const good = new BrowserSubscription('https://push.example.org/wpush/abc');
      const refuse = async (endpoint: string, p256dh: Uint8Array, code: string) => {
        device.sendFrame({ type: 'pushSubscribe', endpoint, p256dh, auth: good.auth });
        const error = await device.expectError();
        expect(error.code).toBe(code);
        expect(toHex(error.ref)).toBe(toHex(endpointId(endpoint)));
      };
      await refuse(service.endpoint('plain-http'), good.p256dh, 'push_endpoint_invalid');
      await refuse('https://127.0.0.1/push/x', good.p256dh, 'push_endpoint_invalid');
      await refuse('https://[::1]/push/x', good.p256dh, 'push_endpoint_invalid');
      await refuse('https://user:secret@push.example.org/x', good.p256dh, 'push_endpoint_invalid');
      await refuse('/relative/path', good.p256dh, 'push_endpoint_invalid');
      const offCurve = new Uint8Array(65).fill(7);
      offCurve[0] = 4;
      await refuse(good.endpoint, offCurve, 'push_key_invalid');
      device.sendFrame({
        type: 'pushSubscribe',
        endpoint: `https://push.example.org/${'a'.repeat(1100)}`,
        p256dh: good.p256dh,
        auth: good.auth,
      });
      expect((await device.expectError()).code).toBe('malformed_frame');
      const unauthenticated = await RelayClient.connect(relay.wsUrl);
      unauthenticated.sendFrame({
        type: 'pushSubscribe',
        endpoint: good.endpoint,
        p256dh: good.p256dh,
        auth: good.auth,
      });
      expect((await unauthenticated.expectError()).code).toBe('not_authenticated');
      device.sendFrame({
        type: 'pushSubscribe',
        endpoint: good.endpoint,
        p256dh: good.p256dh,
        auth: good.auth,
      });
      await device.expect('pushSubscribed');
    });

    it('keeps its VAPID keys across a restart', async () => {
      storage = await backend.prepare();
      const first = await storage.start(TEST_ENV);
      const key = await vapidPublicKey(first);
      if (backend.name === 'sqlite') {
        const file = path.join(first.dataDir, 'vapid.json');
        expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      }
      expect(await first.stop()).toBe(0);
      const second = await storage.start(TEST_ENV);
      expect(await vapidPublicKey(second)).toBe(key);
    });
  });
}

describe.skipIf(RELAY_BACKENDS[1].skipReason !== null)('@relay push notifications scaled out', () => {
  it('gives relays that start together over one database the same VAPID key pair', async () => {
    const storage = await RELAY_BACKENDS[1].prepare();
    try {
      const relays = await Promise.all([
        storage.start(TEST_ENV),
        storage.start(TEST_ENV),
        storage.start(TEST_ENV),
      ]);
      const keys = await Promise.all(relays.map(vapidPublicKey));
      expect(new Set(keys).size).toBe(1);
    } finally {
      await storage.dispose();
    }
  });
});

describe.skipIf(RELAY_BACKENDS[1].skipReason !== null)(
  '@relay push notifications with a slow database',
  () => {
    it('pushes to a device whose socket closed while its SUBSCRIBE waited on the database', async () => {
      const database = await createTestDatabase();
      const url = new URL(database.url);
      const proxy = await startTcpProxy(url.hostname, Number(url.port || 5432));
      url.hostname = '127.0.0.1';
      url.port = String(proxy.port);
      const relay = await startRelay({
        env: { ...TEST_ENV, DATABASE_URL: url.toString(), REDIS_URL: TEST_REDIS_URL, LOG_LEVEL: 'debug' },
      });
      try {
        const author = await RelayClient.connectAs(relay.wsUrl);
        const room = await author.createRoom();
        const reader = await joinRoom(relay, author, room);
        const readerPush = await subscribePush(reader);
        const closedLines = () =>
          relay
            .output()
            .split('\n')
            .filter((l) => l.includes('connection closed')).length;
        const closedBefore = closedLines();

        // The relay is handling the SUBSCRIBE (checking membership) when the reader's socket goes away.
        proxy.hold();
        reader.sendFrame({ type: 'subscribe', room, afterSeq: 0 });
        await expect.poll(() => relay.output()).toMatch(/"type":"subscribe".*"frame received"/);
        reader.close();
        await expect.poll(closedLines).toBe(closedBefore + 1);
        proxy.release();

        // Nobody reads the room on the reader's device now, so the author's message reaches it by push.
        await author.append(makeEnvelope({ author: author.device!, room, clock: 1 }).bytes);
        await relay.stop();
        expect(service.to(readerPush.endpoint)).toHaveLength(1);
      } finally {
        await relay.stop();
        await proxy.close();
        await database.drop();
      }
    });
  },
);
