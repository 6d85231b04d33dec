import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { FrameOf } from '../../src/lib/protocol/frames';
import { toHex } from '../../src/lib/protocol/hex';
import { MAX_CONNECTIONS_PER_DEVICE } from '../../src/lib/protocol/limits';
import { rateKey, socketsKey } from '../../sync-server/limits/redisLimits';
import { makeDevice, makeEnvelope, RelayClient, type TestDevice } from '../helpers/relayClient';
import type { RunningRelay } from '../helpers/relayProcess';
import { preparePostgres, SCALE_OUT_SKIP_REASON, type BackendStorage } from '../helpers/relayBackends';
import { TEST_REDIS_URL } from '../helpers/scaleOutServices';
import { linkFrame, revokeFrame } from '../helpers/deviceCerts';
import { authOnceFree, tryAuth } from '../helpers/socketSlots';
import { redisThroughProxy, type TcpProxy } from '../helpers/tcpProxy';

// Per-device limits with two relay processes behind one load balancer: they count a device's sockets and appends
// together in Redis, so a device gets the limits once, not once per relay.

const storages: BackendStorage[] = [];
const proxies: TcpProxy[] = [];
const devices: TestDevice[] = [];
const redis = SCALE_OUT_SKIP_REASON === null ? new Redis(TEST_REDIS_URL) : null;

afterEach(async () => {
  for (const storage of storages.splice(0)) await storage.dispose();
  for (const proxy of proxies.splice(0)) await proxy.close();
  // Each test's devices are fresh; their keys are dropped so a rerun against the same Redis starts clean.
  const keys = devices
    .splice(0)
    .flatMap((d) => [socketsKey(toHex(d.publicKey)), rateKey(toHex(d.publicKey))]);
  if (keys.length > 0) await redis?.del(...keys);
});

afterAll(() => redis?.disconnect());

/** `count` relays over one fresh PostgreSQL database and the test Redis, each with `env`. */
async function startRelays(count: number, env: Record<string, string> = {}): Promise<RunningRelay[]> {
  const storage = await preparePostgres();
  storages.push(storage);
  return Promise.all(Array.from({ length: count }, () => storage.start(env)));
}

function newDevice(): TestDevice {
  const device = makeDevice();
  devices.push(device);
  return device;
}

describe.skipIf(SCALE_OUT_SKIP_REASON !== null)(
  '@relay device limits shared by two relays through Redis',
  () => {
    it('refuse a device one socket over the limit on either relay when its sockets are split across both, and take one after a close', async () => {
      const [a, b] = await startRelays(2);
      const device = newDevice();
      const onA = MAX_CONNECTIONS_PER_DEVICE - 2;
      const open: RelayClient[] = [];
      for (let i = 0; i < MAX_CONNECTIONS_PER_DEVICE; i++) {
        open.push(await RelayClient.connectAs((i < onA ? a : b).wsUrl, device));
      }
      expect(await tryAuth(a, device)).toBeNull();
      expect(await tryAuth(b, device)).toBeNull();

      // The sockets already open keep working.
      const room = await open[0].createRoom();
      await open[onA].append(makeEnvelope({ author: device, room, clock: 1 }).bytes);

      // A slot freed on A is taken on B, and then the device is at the limit again everywhere.
      open[0].close();
      await open[0].closed;
      const again = await authOnceFree(b, device);
      await again.append(makeEnvelope({ author: device, room, clock: 2 }).bytes);
      expect(await tryAuth(a, device)).toBeNull();
      expect(await tryAuth(b, device)).toBeNull();
    });

    it("count a killed relay's sockets until they lapse, then let the device use those slots, while live ones still count", async () => {
      const [a, b, c] = await startRelays(3, { SHARED_SOCKET_TTL_MS: '3000' });
      const device = newDevice();
      // B's sockets first: were B not refreshing them, they would lapse before A's.
      const onB = 2;
      for (let i = 0; i < onB; i++) await RelayClient.connectAs(b.wsUrl, device);
      for (let i = onB; i < MAX_CONNECTIONS_PER_DEVICE; i++) await RelayClient.connectAs(a.wsUrl, device);

      // A dies without closing anything: its sockets still count, refreshed a moment ago...
      a.kill('SIGKILL');
      expect(await a.exited).toBeNull();
      expect(await tryAuth(c, device)).toBeNull();

      // ...until they lapse, and the device has their slots on C.
      const taken = [await authOnceFree(c, device)];
      while (taken.length < MAX_CONNECTIONS_PER_DEVICE - onB)
        taken.push(await RelayClient.connectAs(c.wsUrl, device));
      // B's sockets, older than A's that lapsed, still count: B refreshes them while they are open.
      expect(await tryAuth(c, device)).toBeNull();
      const room = await taken[0].createRoom();
      await taken[1].append(makeEnvelope({ author: device, room, clock: 1 }).bytes);
    });

    it('refuse with rate_limited what a device appends through both relays at once beyond its burst in total', async () => {
      const BURST = 20;
      // A bucket that refills one token per 1000 s: nothing refills while the test runs.
      const [a, b] = await startRelays(2, {
        RATE_ENVELOPES_PER_SECOND: '0.001',
        RATE_ENVELOPES_BURST: String(BURST),
      });
      const device = newDevice();
      const onA = await RelayClient.connectAs(a.wsUrl, device);
      const onB = await RelayClient.connectAs(b.wsUrl, device);
      // A room per socket: each socket's envelopes follow their own clock.
      const roomA = await onA.createRoom();
      const roomB = await onB.createRoom();

      // Each relay alone sees no more than the burst; together they carry twice it.
      for (let clock = 1; clock <= BURST; clock++) {
        onA.sendFrame({
          type: 'append',
          envelope: makeEnvelope({ author: device, room: roomA, clock }).bytes,
        });
        onB.sendFrame({
          type: 'append',
          envelope: makeEnvelope({ author: device, room: roomB, clock }).bytes,
        });
      }
      const [fromA, fromB] = await Promise.all([answers(onA, BURST), answers(onB, BURST)]);
      expect(fromA.acked + fromB.acked).toBe(BURST);
      for (const refused of [...fromA.refused, ...fromB.refused]) {
        expect(refused.code).toBe('rate_limited');
        expect(refused.message).toMatch(/retry in \d+ ms/);
      }

      // What was acked is all that was stored.
      const reader = await RelayClient.connectAs(b.wsUrl, device);
      const heads = [(await reader.subscribe(roomA)).caughtUp, (await reader.subscribe(roomB)).caughtUp];
      expect(heads.map((head) => head.headSeq)).toEqual([fromA.acked, fromB.acked]);
      // Another device has its own bucket, on either relay.
      for (const relay of [a, b]) {
        const other = await RelayClient.connectAs(relay.wsUrl, newDevice());
        const room = await other.createRoom();
        expect((await other.append(makeEnvelope({ author: other.device!, room, clock: 1 }).bytes)).seq).toBe(
          1,
        );
      }
    });

    it('keep taking sockets and appends while Redis is unreachable, counting in the relay, say so once without keys, and share again once it is back', async () => {
      const storage = await preparePostgres();
      storages.push(storage);
      const { proxy, url: redisUrl } = await redisThroughProxy(TEST_REDIS_URL);
      proxies.push(proxy);
      const BURST = 10;
      const relay = await storage.start({
        REDIS_URL: redisUrl,
        SHARED_SOCKET_TTL_MS: '3000',
        RATE_ENVELOPES_PER_SECOND: '0.001',
        RATE_ENVELOPES_BURST: String(BURST),
      });
      const device = newDevice();
      const first = await RelayClient.connectAs(relay.wsUrl, device);
      const room = await first.createRoom();
      await first.append(makeEnvelope({ author: device, room, clock: 1 }).bytes);

      await proxy.cut();
      // The relay's own bucket decides: the burst goes through, and no more.
      for (let clock = 2; clock <= BURST; clock++) {
        await first.append(makeEnvelope({ author: device, room, clock }).bytes);
      }
      first.sendFrame({
        type: 'append',
        envelope: makeEnvelope({ author: device, room, clock: BURST + 1 }).bytes,
      });
      expect((await first.expectError()).code).toBe('rate_limited');
      // And its own count of sockets.
      const open = [first];
      while (open.length < MAX_CONNECTIONS_PER_DEVICE)
        open.push(await RelayClient.connectAs(relay.wsUrl, device));
      expect(await tryAuth(relay, device)).toBeNull();

      await proxy.restore();
      // Back on Redis, the relay counts its live sockets there again.
      const key = socketsKey(toHex(device.publicKey));
      for (let attempt = 0; (await redis!.zcard(key)) < MAX_CONNECTIONS_PER_DEVICE; attempt++) {
        if (attempt >= 200) throw new Error('live sockets not counted in Redis again');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const other = await RelayClient.connectAs(relay.wsUrl, newDevice());
      const otherRoom = await other.createRoom();
      await other.append(makeEnvelope({ author: other.device!, room: otherRoom, clock: 1 }).bytes);

      const lines = relay.output().split('\n');
      expect(lines.filter((line) => line.includes('counting device limits in this process'))).toHaveLength(1);
      expect(relay.output()).not.toContain(toHex(device.publicKey));
    });

    it('close a linked device revoked while its AUTH waited on Redis for a socket slot', async () => {
      const storage = await preparePostgres();
      storages.push(storage);
      const { proxy, url: redisUrl } = await redisThroughProxy(TEST_REDIS_URL);
      proxies.push(proxy);
      const relay = await storage.start({ REDIS_URL: redisUrl });
      const identity = newDevice();
      const laptop = newDevice();
      const phone = await RelayClient.connectAs(relay.wsUrl, identity);
      phone.sendFrame(linkFrame(identity, laptop));
      await phone.waitFor('deviceLinked');

      const signingIn = await RelayClient.connect(relay.wsUrl);
      proxy.hold();
      signingIn.sendFrame(signingIn.authFrame(laptop));
      // The relay has read the laptop's standing (not revoked) and is asking Redis for a slot.
      const slotKey = socketsKey(toHex(laptop.publicKey));
      await expect.poll(() => proxy.heldBytes().includes(slotKey)).toBe(true);
      const at = Date.now();
      phone.sendFrame(revokeFrame(identity, laptop.publicKey, at));
      await phone.waitFor('deviceRevoked');
      proxy.release();

      expect((await signingIn.waitFor('error')).code).toBe('device_revoked');
      expect((await signingIn.closed).code).toBe(4004);
    });
  },
);

/** The answers to `count` appends sent on `client`: how many were acked, and the errors for the rest. */
async function answers(client: RelayClient, count: number) {
  let acked = 0;
  const refused: FrameOf<'error'>[] = [];
  for (let i = 0; i < count; i++) {
    const frame = await client.next();
    if (frame.type === 'ack') acked++;
    else if (frame.type === 'error') refused.push(frame);
    else throw new Error(`unexpected ${frame.type}`);
  }
  return { acked, refused };
}
