import { afterEach, describe, expect, it } from 'vitest';
import type { FrameOf } from '../../src/lib/protocol/frames';
import { toHex } from '../../src/lib/protocol/hex';
import {
  joinThroughInvite,
  makeDevice,
  makeEnvelope,
  RelayClient,
  seqsOf,
  type TestDevice,
} from '../helpers/relayClient';
import type { RunningRelay } from '../helpers/relayProcess';
import { preparePostgres, SCALE_OUT_SKIP_REASON, type BackendStorage } from '../helpers/relayBackends';
import { TEST_REDIS_URL } from '../helpers/scaleOutServices';
import { redisThroughProxy, type TcpProxy } from '../helpers/tcpProxy';
import { keyBundle, LogWriter } from '../helpers/membershipEntries';

// Two relay processes over one PostgreSQL database and one Redis: what a load balancer in front of them gives.

const storages: BackendStorage[] = [];
const proxies: TcpProxy[] = [];

afterEach(async () => {
  for (const storage of storages.splice(0)) await storage.dispose();
  for (const proxy of proxies.splice(0)) await proxy.close();
});

async function twoRelays(env: Record<string, string> = {}): Promise<[RunningRelay, RunningRelay]> {
  const storage = await preparePostgres();
  storages.push(storage);
  // Started together on an empty database: both run the migrations, which must apply once (advisory lock).
  const [a, b] = await Promise.all([storage.start(env), storage.start(env)]);
  return [a, b];
}

/** Acks of the burst to wait for before SIGKILL: the kill then lands among commits in flight. */
const KILL_AFTER_ACKS = 40;

const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** X on relay A creates a room; Y joins it on relay B through an invite. Both are subscribed and caught up. */
async function sharedRoom(a: RunningRelay, b: RunningRelay) {
  const x = await RelayClient.connectAs(a.wsUrl);
  const room = await x.createRoom();
  await x.subscribe(room);
  const yDevice = makeDevice();
  const y = await joinThroughInvite(b.wsUrl, x, room, { device: yDevice });
  const pushed = await x.expect('members'); // from relay B, through Redis
  expect(pushed.members.map((m) => toHex(m.signPublic))).toEqual([
    toHex(x.device!.publicKey),
    toHex(yDevice.publicKey),
  ]);
  const { members, caughtUp } = await y.subscribe(room);
  expect(members.members).toHaveLength(2);
  expect(caughtUp.headSeq).toBe(0);
  return { x, y, room };
}

/** Take DELIVER frames until `count` envelopes arrived; any other frame fails the test. */
async function delivered(client: RelayClient, count: number): Promise<FrameOf<'deliver'>['deliveries']> {
  const out: FrameOf<'deliver'>['deliveries'] = [];
  while (out.length < count) out.push(...(await client.expect('deliver')).deliveries);
  return out;
}

function envelopes(author: TestDevice, room: Uint8Array, firstClock: number, count: number) {
  return Array.from({ length: count }, (_, i) => makeEnvelope({ author, room, clock: firstClock + i }));
}

describe.skipIf(SCALE_OUT_SKIP_REASON !== null)('@relay two relays on PostgreSQL and Redis', () => {
  it("carry a conversation's membership across: an added member's room list, its log, key bundle and removal", async () => {
    const [a, b] = await twoRelays();
    const managerDevice = makeDevice();
    const manager = await RelayClient.connectAs(a.wsUrl, managerDevice);
    const room = await manager.createRoom();
    const log = new LogWriter(room);
    const benDevice = makeDevice();
    const ben = await RelayClient.connectAs(b.wsUrl, benDevice);
    manager.sendFrame({ type: 'membershipChange', entry: log.entry('create', managerDevice, managerDevice) });
    await manager.waitFor('membershipAccepted');
    manager.sendFrame({ type: 'membershipChange', entry: log.entry('add', managerDevice, benDevice) });
    await manager.waitFor('membershipAccepted');
    // Ben's socket is on the other relay: it hears of the room through Redis.
    expect((await ben.expect('roomList')).rooms.map(toHex)).toEqual([toHex(room)]);
    const subscribed = await ben.subscribe(room);
    expect(subscribed.log?.entries).toHaveLength(2);

    manager.sendFrame({
      type: 'putKeyBundle',
      bundle: keyBundle(managerDevice, room, 1, [managerDevice, benDevice]),
    });
    await manager.waitFor('keyBundleStored');
    await ben.waitFor('keyBundle');
    manager.sendFrame({ type: 'membershipChange', entry: log.entry('remove', managerDevice, benDevice) });
    await manager.waitFor('membershipAccepted');
    expect((await ben.waitFor('error')).code).toBe('not_a_member');
    expect((await ben.waitFor('roomList')).rooms).toEqual([]);
    const late = makeEnvelope({ author: benDevice, room, clock: 1, epoch: 1 });
    ben.sendFrame({ type: 'append', envelope: late.bytes });
    expect((await ben.waitFor('error')).code).toBe('not_a_member');
  });

  it('carry one room between a device on each: MEMBERS and messages both ways, each seq once, in order', async () => {
    const [a, b] = await twoRelays();
    const { x, y, room } = await sharedRoom(a, b);

    const fromX = envelopes(x.device!, room, 1, 3);
    const xAcks = [];
    for (const e of fromX) xAcks.push((await x.append(e.bytes)).seq);
    expect(xAcks).toEqual([1, 2, 3]);
    const atY = await delivered(y, 3);
    expect(atY.map((d) => d.seq)).toEqual([1, 2, 3]);
    expect(atY.map((d) => toHex(d.envelope))).toEqual(fromX.map((e) => toHex(e.bytes)));

    const fromY = envelopes(y.device!, room, 1, 2);
    const yAcks = [];
    for (const e of fromY) yAcks.push((await y.append(e.bytes)).seq);
    expect(yAcks).toEqual([4, 5]);
    const atX = await delivered(x, 2);
    expect(atX.map((d) => d.seq)).toEqual([4, 5]);
    expect(atX.map((d) => toHex(d.envelope))).toEqual(fromY.map((e) => toHex(e.bytes)));

    // Neither device got its own envelopes back, nor anything twice.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(x.pending()).toEqual([]);
    expect(y.pending()).toEqual([]);
  });

  it('give concurrent appends to one room through both relays unique, gap-free seqs, delivered once in order', async () => {
    const [a, b] = await twoRelays();
    const { x, y, room } = await sharedRoom(a, b);
    const watcher = await RelayClient.connectAs(b.wsUrl, x.device!); // X's second socket, on the other relay
    await watcher.subscribe(room);
    const count = 150;
    const fromX = envelopes(x.device!, room, 1, count);
    const fromY = envelopes(y.device!, room, 1, count);
    for (let i = 0; i < count; i++) {
      x.sendFrame({ type: 'append', envelope: fromX[i].bytes });
      y.sendFrame({ type: 'append', envelope: fromY[i].bytes });
    }
    const xAcks: number[] = [];
    const yAcks: number[] = [];
    const xSeen: number[] = [];
    const ySeen: number[] = [];
    // Each socket's frames: its acks and the other author's envelopes, interleaved as the relays send them.
    const collect = async (client: RelayClient, acks: number[], seen: number[]) => {
      while (acks.length < count || seen.length < count) {
        const frame = await client.next();
        if (frame.type === 'ack') acks.push(frame.seq);
        else if (frame.type === 'deliver') seen.push(...frame.deliveries.map((d) => d.seq));
        else throw new Error(`unexpected ${frame.type}`);
      }
    };
    await Promise.all([collect(x, xAcks, xSeen), collect(y, yAcks, ySeen)]);

    expect([...xAcks, ...yAcks].sort((p, q) => p - q)).toEqual(range(1, 2 * count));
    // Each author's envelopes got seqs in clock order; each device saw exactly the other's, in order.
    expect(xAcks).toEqual([...xAcks].sort((p, q) => p - q));
    expect(yAcks).toEqual([...yAcks].sort((p, q) => p - q));
    expect(xSeen).toEqual(yAcks);
    expect(ySeen).toEqual(xAcks);
    const watched = await delivered(watcher, 2 * count);
    expect(watched.map((d) => d.seq)).toEqual(range(1, 2 * count));

    const reader = await RelayClient.connectAs(a.wsUrl, y.device!);
    const { delivers, caughtUp } = await reader.subscribe(room);
    expect(seqsOf(delivers)).toEqual(range(1, 2 * count));
    expect(caughtUp.headSeq).toBe(2 * count);
    const bySeq = new Map(delivers.flatMap((d) => d.deliveries).map((d) => [d.seq, toHex(d.envelope)]));
    expect(xAcks.map((seq) => bySeq.get(seq))).toEqual(fromX.map((e) => toHex(e.bytes)));
    expect(yAcks.map((seq) => bySeq.get(seq))).toEqual(fromY.map((e) => toHex(e.bytes)));
  });

  it('lose nothing and double nothing when one relay is killed mid-append and its device resumes on the other', async () => {
    // The device may send most of its burst twice within a second (to A, then its outbox to B): more than the
    // append rate both relays share allows.
    const [a, b] = await twoRelays({ RATE_ENVELOPES_BURST: '100000' });
    const { x, y, room } = await sharedRoom(a, b);
    const device = x.device!;
    const warmUp = envelopes(device, room, 1, 5);
    for (const e of warmUp) await x.append(e.bytes);
    const burst = envelopes(device, room, 6, 300);
    const sent = [...warmUp, ...burst];

    // The device's outbox: everything sent and not yet acked, in clock order. A is killed while it commits the
    // burst, so some envelopes are acked, some committed without an ack reaching the device, the rest not stored.
    for (const e of burst) x.sendFrame({ type: 'append', envelope: e.bytes });
    const acked: number[] = range(1, 5);
    while (acked.length < 5 + KILL_AFTER_ACKS) acked.push((await x.expect('ack')).seq);
    a.kill('SIGKILL');
    for (;;) {
      const frame = await x.next().catch(() => null);
      if (!frame) break;
      if (frame.type === 'ack') acked.push(frame.seq);
      else throw new Error(`unexpected ${frame.type}`);
    }
    expect(acked).toEqual(range(1, acked.length));
    expect(await a.exited).toBeNull();
    let outbox = sent.slice(acked.length);
    let lastSeq = acked.length;

    // Reconnect to B as the same device and resume after the last seq it knows.
    const resumed = await RelayClient.connectAs(b.wsUrl, device);
    const { delivers, caughtUp } = await resumed.subscribe(room, lastSeq);
    const committedUnacked = delivers.flatMap((d) => d.deliveries);
    expect(committedUnacked.map((d) => d.seq)).toEqual(range(lastSeq + 1, caughtUp.headSeq));
    // What A committed but could not ack is exactly the head of the outbox, in order: the device drops it.
    expect(committedUnacked.map((d) => toHex(d.envelope))).toEqual(
      outbox.slice(0, committedUnacked.length).map((e) => toHex(e.bytes)),
    );
    outbox = outbox.slice(committedUnacked.length);
    lastSeq = caughtUp.headSeq;

    // The rest is sent again as is; a retry of an envelope A had acked gets its old seq from B.
    for (const e of outbox) resumed.sendFrame({ type: 'append', envelope: e.bytes });
    const resentAcks = [];
    for (let i = 0; i < outbox.length; i++) resentAcks.push((await resumed.expect('ack')).seq);
    expect(resentAcks).toEqual(range(lastSeq + 1, lastSeq + outbox.length));
    expect((await resumed.append(sent[2].bytes)).seq).toBe(3);
    const next = makeEnvelope({ author: device, room, clock: sent.length + 1 });
    expect((await resumed.append(next.bytes)).seq).toBe(sent.length + 1);

    // Y, on B all along, saw every seq once, in order, with the bytes X sent.
    const atY = await delivered(y, sent.length + 1);
    expect(atY.map((d) => d.seq)).toEqual(range(1, sent.length + 1));
    expect(atY.map((d) => toHex(d.envelope))).toEqual([...sent, next].map((e) => toHex(e.bytes)));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(y.pending()).toEqual([]);

    const reader = await RelayClient.connectAs(b.wsUrl, device);
    const all = await reader.subscribe(room);
    expect(seqsOf(all.delivers)).toEqual(range(1, sent.length + 1));
    expect(all.caughtUp.headSeq).toBe(sent.length + 1);
  });

  it('answer /healthz 503 naming redis while one relay has lost Redis, and resync its subscribers when it is back', async () => {
    const storage = await preparePostgres();
    storages.push(storage);
    const { proxy, url: redisUrl } = await redisThroughProxy(TEST_REDIS_URL);
    proxies.push(proxy);
    const a = await storage.start({ REDIS_URL: redisUrl });
    const b = await storage.start();
    expect(await health(a)).toEqual({ status: 200, body: { ok: true } });
    const { x, y, room } = await sharedRoom(a, b);

    await proxy.cut();
    expect(await waitForHealth(a, 503)).toEqual({ ok: false, failed: ['redis'] });
    expect(await health(b)).toEqual({ status: 200, body: { ok: true } });
    // Y appends through B while A cannot hear B: X, on A, misses the live events.
    const fromY = envelopes(y.device!, room, 1, 3);
    for (const e of fromY) await y.append(e.bytes);

    await proxy.restore();
    expect(await waitForHealth(a, 200)).toEqual({ ok: true });
    // Back on Redis, A has X's subscription read storage: every missed seq once, in order (MEMBERS may repeat).
    const seen: number[] = [];
    while (seen.length < fromY.length) {
      const frame = await x.next();
      if (frame.type === 'deliver') seen.push(...frame.deliveries.map((d) => d.seq));
      else expect(frame.type).toBe('members');
    }
    expect(seen).toEqual([1, 2, 3]);
    // And live fan-out from B to A works again.
    await y.append(makeEnvelope({ author: y.device!, room, clock: 4 }).bytes);
    expect((await x.waitFor('deliver')).deliveries.map((d) => d.seq)).toEqual([4]);
  });
});

async function health(relay: RunningRelay): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${relay.url}/healthz`);
  return { status: response.status, body: await response.json() };
}

async function waitForHealth(relay: RunningRelay, status: number): Promise<unknown> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const answer = await health(relay);
    if (answer.status === status) return answer.body;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`/healthz never answered ${status}`);
}
