import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../src/lib/protocol/hex';
import { CATCH_UP_PAGE_BYTES, CATCH_UP_PAGE_ENVELOPES } from '../../src/lib/protocol/limits';
import { makeEnvelope, randomBytesOf, RelayClient, seqsOf, type TestDevice } from '../helpers/relayClient';
import { startRelay, type RunningRelay } from '../helpers/relayProcess';

let relay: RunningRelay;

beforeAll(async () => {
  // Bursts here exceed RATE_ENVELOPES_BURST on purpose (catch-up paging needs many envelopes fast).
  relay = await startRelay({ env: { RATE_ENVELOPES_BURST: '100000' } });
});

afterAll(async () => {
  await relay.stop();
  relay.removeData();
});

/** Append `count` envelopes (clocks from `firstClock`) as one burst and wait for every ack. */
async function appendMany(
  client: RelayClient,
  room: Uint8Array,
  count: number,
  firstClock = 1,
  ciphertextBytes = 40,
): Promise<Uint8Array[]> {
  const device = client.device as TestDevice;
  const sent = Array.from({ length: count }, (_, i) =>
    makeEnvelope({ author: device, room, clock: firstClock + i, ciphertext: randomBytesOf(ciphertextBytes) }),
  );
  for (const envelope of sent) client.sendFrame({ type: 'append', envelope: envelope.bytes });
  for (let i = 0; i < count; i++) await client.expect('ack');
  return sent.map((e) => e.bytes);
}

describe('@relay catch-up', () => {
  it('returns every envelope after seq 0 in order, in pages of at most CATCH_UP_PAGE_ENVELOPES, then CAUGHT_UP', async () => {
    const writer = await RelayClient.connectAs(relay.wsUrl);
    const room = await writer.createRoom();
    const total = 2 * CATCH_UP_PAGE_ENVELOPES + 50;
    const sent = await appendMany(writer, room, total);
    const reader = await RelayClient.connectAs(relay.wsUrl, writer.device!);
    const { delivers, caughtUp } = await reader.subscribe(room);
    expect(delivers.length).toBeGreaterThanOrEqual(3);
    for (const frame of delivers)
      expect(frame.deliveries.length).toBeLessThanOrEqual(CATCH_UP_PAGE_ENVELOPES);
    expect(seqsOf(delivers)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    const bytes = delivers.flatMap((d) => d.deliveries.map((x) => toHex(x.envelope)));
    expect(bytes).toEqual(sent.map(toHex));
    expect(caughtUp.headSeq).toBe(total);
  });

  it('returns exactly the envelopes after the given seq', async () => {
    const writer = await RelayClient.connectAs(relay.wsUrl);
    const room = await writer.createRoom();
    await appendMany(writer, room, 40);
    const reader = await RelayClient.connectAs(relay.wsUrl, writer.device!);
    const { delivers, caughtUp } = await reader.subscribe(room, 33);
    expect(seqsOf(delivers)).toEqual([34, 35, 36, 37, 38, 39, 40]);
    expect(caughtUp.headSeq).toBe(40);
    const atHead = await reader.subscribe(room, 40);
    expect(atHead.delivers).toEqual([]);
    expect(atHead.caughtUp.headSeq).toBe(40);
  });

  it('pages large envelopes by bytes, at most CATCH_UP_PAGE_BYTES of envelopes per frame', async () => {
    const writer = await RelayClient.connectAs(relay.wsUrl);
    const room = await writer.createRoom();
    await appendMany(writer, room, 12, 1, 60_000);
    const reader = await RelayClient.connectAs(relay.wsUrl, writer.device!);
    const { delivers } = await reader.subscribe(room);
    expect(delivers.length).toBeGreaterThanOrEqual(3);
    for (const frame of delivers) {
      const size = frame.deliveries.reduce((n, d) => n + d.envelope.length, 0);
      expect(size).toBeLessThanOrEqual(CATCH_UP_PAGE_BYTES);
    }
    expect(seqsOf(delivers)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  });

  it('goes live after CAUGHT_UP: later envelopes arrive once each, in order, with no gap', async () => {
    const writer = await RelayClient.connectAs(relay.wsUrl);
    const room = await writer.createRoom();
    await appendMany(writer, room, 5);
    const reader = await RelayClient.connectAs(relay.wsUrl, writer.device!);
    await reader.subscribe(room, 2);
    await appendMany(writer, room, 20, 6);
    const live: number[] = [];
    while (live.length < 20) live.push(...(await reader.expect('deliver')).deliveries.map((d) => d.seq));
    expect(live).toEqual(Array.from({ length: 20 }, (_, i) => i + 6));
  });

  it('delivers every seq once while appends race a catch-up that is still paging', async () => {
    const writer = await RelayClient.connectAs(relay.wsUrl);
    const room = await writer.createRoom();
    await appendMany(writer, room, 3 * CATCH_UP_PAGE_ENVELOPES);
    const reader = await RelayClient.connectAs(relay.wsUrl, writer.device!);
    reader.sendFrame({ type: 'subscribe', room, afterSeq: 0 });
    await appendMany(writer, room, 100, 3 * CATCH_UP_PAGE_ENVELOPES + 1);
    const total = 3 * CATCH_UP_PAGE_ENVELOPES + 100;
    await reader.expect('members');
    const seen: number[] = [];
    while (seen.length < total) {
      const frame = await reader.next();
      if (frame.type === 'deliver') seen.push(...frame.deliveries.map((d) => d.seq));
      else expect(frame.type).toBe('caughtUp');
    }
    expect(seen).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  });

  it('never DELIVERs to a socket the envelopes it appended itself, even while its catch-up runs', async () => {
    const writer = await RelayClient.connectAs(relay.wsUrl);
    const room = await writer.createRoom();
    const before = 3 * CATCH_UP_PAGE_ENVELOPES;
    await appendMany(writer, room, before);
    writer.close();
    const socket = await RelayClient.connectAs(relay.wsUrl, writer.device!);
    socket.sendFrame({ type: 'subscribe', room, afterSeq: 0 });
    const own = Array.from({ length: 5 }, (_, i) =>
      makeEnvelope({ author: socket.device!, room, clock: before + 1 + i }),
    );
    for (const envelope of own) socket.sendFrame({ type: 'append', envelope: envelope.bytes });
    const delivered: number[] = [];
    const acked: number[] = [];
    let caughtUp = false;
    while (!caughtUp || acked.length < own.length || delivered.length < before) {
      const frame = await socket.next();
      if (frame.type === 'deliver') delivered.push(...frame.deliveries.map((d) => d.seq));
      else if (frame.type === 'ack') acked.push(frame.seq);
      else if (frame.type === 'caughtUp') caughtUp = true;
      else expect(frame.type).toBe('members');
    }
    expect(acked).toEqual([1, 2, 3, 4, 5].map((i) => before + i));
    expect(delivered).toEqual(Array.from({ length: before }, (_, i) => i + 1));
  });

  it('restarts from the new afterSeq when the same socket subscribes to the room again', async () => {
    const writer = await RelayClient.connectAs(relay.wsUrl);
    const room = await writer.createRoom();
    await appendMany(writer, room, 10);
    const reader = await RelayClient.connectAs(relay.wsUrl, writer.device!);
    expect(seqsOf((await reader.subscribe(room, 8)).delivers)).toEqual([9, 10]);
    expect(seqsOf((await reader.subscribe(room, 5)).delivers)).toEqual([6, 7, 8, 9, 10]);
  });

  it('serves a reader that does not read for a while every envelope once, from storage', async () => {
    const writer = await RelayClient.connectAs(relay.wsUrl);
    const room = await writer.createRoom();
    const reader = await RelayClient.connectAs(relay.wsUrl, writer.device!);
    await reader.subscribe(room);
    reader.ws.pause();
    const total = 150; // ~9 MB: more than the socket buffers hold, so the relay must hold back and catch up
    await appendMany(writer, room, total, 1, 60_000);
    reader.ws.resume();
    const seen: number[] = [];
    while (seen.length < total) seen.push(...(await reader.expect('deliver')).deliveries.map((d) => d.seq));
    expect(seen).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  });
});
