import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Frame } from '../../src/lib/protocol/frames';
import { toHex } from '../../src/lib/protocol/hex';
import {
  joinThroughInvite,
  makeDevice,
  makeEnvelope,
  makeSigner,
  randomRoom,
  RelayClient,
  seqsOf,
} from '../helpers/relayClient';
import { startRelay, type RunningRelay } from '../helpers/relayProcess';

let relay: RunningRelay;

beforeAll(async () => {
  relay = await startRelay();
});

afterAll(async () => {
  await relay.stop();
  relay.removeData();
});

/** A room with its creator connected and subscribed (caught up, empty). */
async function newRoom() {
  const creator = await RelayClient.connectAs(relay.wsUrl);
  const room = await creator.createRoom();
  return { creator, room };
}

describe('@relay rooms', () => {
  it('creates a room once and answers the creator retrying with ROOM_CREATED', async () => {
    const { creator, room } = await newRoom();
    await creator.createRoom(room);
    const other = await RelayClient.connectAs(relay.wsUrl);
    other.sendFrame({ type: 'createRoom', room });
    const error = await other.expectError();
    expect(error.code).toBe('room_exists');
    expect(toHex(error.ref)).toBe(toHex(room));
  });

  it('refuses to subscribe a device that is not a member', async () => {
    const { room } = await newRoom();
    const outsider = await RelayClient.connectAs(relay.wsUrl);
    outsider.sendFrame({ type: 'subscribe', room, afterSeq: 0 });
    const error = await outsider.expectError();
    expect(error.code).toBe('not_a_member');
    expect(toHex(error.ref)).toBe(toHex(room));
  });

  it('lists the creator as the only member, with an empty proof', async () => {
    const { creator, room } = await newRoom();
    const { members, delivers, caughtUp } = await creator.subscribe(room);
    expect(members.members).toHaveLength(1);
    expect(toHex(members.members[0].signPublic)).toBe(toHex(creator.device!.publicKey));
    expect(members.members[0].proof).toHaveLength(0);
    expect(delivers).toEqual([]);
    expect(caughtUp.headSeq).toBe(0);
  });
});

describe('@relay appending envelopes', () => {
  it('acks appends with seq 1, 2, 3 and delivers them to another subscribed socket of the room', async () => {
    const { creator, room } = await newRoom();
    const reader = await RelayClient.connectAs(relay.wsUrl, creator.device!);
    await reader.subscribe(room);
    const device = creator.device!;
    const sent = [1, 2, 3].map((clock) => makeEnvelope({ author: device, room, clock }));
    const acks = [];
    for (const envelope of sent) acks.push(await creator.append(envelope.bytes));
    expect(acks.map((a) => a.seq)).toEqual([1, 2, 3]);
    expect(acks.map((a) => toHex(a.id))).toEqual(sent.map((e) => toHex(e.id)));
    const delivered = [];
    while (delivered.length < 3) delivered.push(...(await reader.expect('deliver')).deliveries);
    expect(delivered.map((d) => d.seq)).toEqual([1, 2, 3]);
    expect(delivered.map((d) => toHex(d.envelope))).toEqual(sent.map((e) => toHex(e.bytes)));
  });

  it('gives the appending socket an ACK, not a DELIVER, for its own envelope in a room it subscribed', async () => {
    const { creator, room } = await newRoom();
    await creator.subscribe(room);
    const ack = await creator.append(makeEnvelope({ author: creator.device!, room, clock: 1 }).bytes);
    expect(ack.seq).toBe(1);
    await creator.append(makeEnvelope({ author: creator.device!, room, clock: 2 }).bytes);
    expect(creator.pending().filter((f) => f.type === 'deliver')).toEqual([]);
  });

  it('answers a retry of a stored envelope with its original seq and stores it once', async () => {
    const { creator, room } = await newRoom();
    const first = makeEnvelope({ author: creator.device!, room, clock: 1 });
    const second = makeEnvelope({ author: creator.device!, room, clock: 2 });
    expect((await creator.append(first.bytes)).seq).toBe(1);
    expect((await creator.append(second.bytes)).seq).toBe(2);
    expect((await creator.append(first.bytes)).seq).toBe(1);
    const { delivers, caughtUp } = await creator.subscribe(room);
    expect(seqsOf(delivers)).toEqual([1, 2]);
    expect(caughtUp.headSeq).toBe(2);
  });

  it('acks a retry sent in the same burst as the original with the same seq', async () => {
    const { creator, room } = await newRoom();
    const envelope = makeEnvelope({ author: creator.device!, room, clock: 1 });
    creator.sendFrame({ type: 'append', envelope: envelope.bytes });
    creator.sendFrame({ type: 'append', envelope: envelope.bytes });
    expect((await creator.expect('ack')).seq).toBe(1);
    expect((await creator.expect('ack')).seq).toBe(1);
  });

  it('refuses a clock gap with clock_out_of_order naming the expected clock, and stores nothing', async () => {
    const { creator, room } = await newRoom();
    const skipped = makeEnvelope({ author: creator.device!, room, clock: 2 });
    creator.sendFrame({ type: 'append', envelope: skipped.bytes });
    const error = await creator.expectError();
    expect(error.code).toBe('clock_out_of_order');
    expect(error.message).toContain('expected clock 1');
    expect(toHex(error.ref)).toBe(toHex(skipped.id));
    const { delivers, caughtUp } = await creator.subscribe(room);
    expect(delivers).toEqual([]);
    expect(caughtUp.headSeq).toBe(0);
  });

  it('refuses a reused clock under a new id', async () => {
    const { creator, room } = await newRoom();
    await creator.append(makeEnvelope({ author: creator.device!, room, clock: 1 }).bytes);
    creator.sendFrame({
      type: 'append',
      envelope: makeEnvelope({ author: creator.device!, room, clock: 1 }).bytes,
    });
    expect((await creator.expectError()).code).toBe('clock_out_of_order');
  });

  it('refuses a reused id with another clock as duplicate_id', async () => {
    const { creator, room } = await newRoom();
    const first = makeEnvelope({ author: creator.device!, room, clock: 1 });
    await creator.append(first.bytes);
    const reused = makeEnvelope({ author: creator.device!, room, clock: 2, id: first.id });
    creator.sendFrame({ type: 'append', envelope: reused.bytes });
    expect((await creator.expectError()).code).toBe('duplicate_id');
  });

  it('refuses an envelope whose signature does not verify with bad_signature', async () => {
    const { creator, room } = await newRoom();
    const forged = makeEnvelope({ author: creator.device!, room, clock: 1, signWith: makeSigner() });
    creator.sendFrame({ type: 'append', envelope: forged.bytes });
    const error = await creator.expectError();
    expect(error.code).toBe('bad_signature');
    expect(toHex(error.ref)).toBe(toHex(forged.id));
    const { caughtUp } = await creator.subscribe(room);
    expect(caughtUp.headSeq).toBe(0);
  });

  it('in a pipelined burst, refuses only the forged envelope and the ones after it that no longer follow on', async () => {
    const { creator, room } = await newRoom();
    // One burst is one group commit, so its signatures are checked together (on the signature threads).
    const forger = makeSigner();
    const burst = Array.from({ length: 40 }, (_, i) =>
      makeEnvelope({ author: creator.device!, room, clock: i + 1, signWith: i === 20 ? forger : undefined }),
    );
    for (const envelope of burst) creator.sendFrame({ type: 'append', envelope: envelope.bytes });
    const answers: Frame[] = [];
    for (let i = 0; i < burst.length; i++) answers.push(await creator.next());
    const answerTo = (id: Uint8Array) =>
      answers.find(
        (f) => (f.type === 'ack' ? f.id : f.type === 'error' ? f.ref : undefined)?.join() === id.join(),
      );
    burst
      .slice(0, 20)
      .forEach((envelope, i) => expect(answerTo(envelope.id)).toMatchObject({ type: 'ack', seq: i + 1 }));
    expect(answerTo(burst[20].id)).toMatchObject({ type: 'error', code: 'bad_signature' });
    for (const envelope of burst.slice(21))
      expect(answerTo(envelope.id)).toMatchObject({ type: 'error', code: 'clock_out_of_order' });
  });

  it('refuses an envelope whose bytes were altered after signing', async () => {
    const { creator, room } = await newRoom();
    const envelope = makeEnvelope({ author: creator.device!, room, clock: 1 });
    const altered = envelope.bytes.slice();
    altered[altered.length - 70] ^= 1; // a ciphertext byte
    creator.sendFrame({ type: 'append', envelope: altered });
    expect((await creator.expectError()).code).toBe('bad_signature');
  });

  it('refuses an envelope authored by a device other than the authenticated one with wrong_author', async () => {
    const { creator, room } = await newRoom();
    const other = makeDevice();
    const envelope = makeEnvelope({ author: other, room, clock: 1 });
    creator.sendFrame({ type: 'append', envelope: envelope.bytes });
    const error = await creator.expectError();
    expect(error.code).toBe('wrong_author');
    expect(toHex(error.ref)).toBe(toHex(envelope.id));
  });

  it('refuses an append to a room the device is not a member of with not_a_member', async () => {
    const { room } = await newRoom();
    const outsider = await RelayClient.connectAs(relay.wsUrl);
    const envelope = makeEnvelope({ author: outsider.device!, room, clock: 1 });
    outsider.sendFrame({ type: 'append', envelope: envelope.bytes });
    const error = await outsider.expectError();
    expect(error.code).toBe('not_a_member');
    expect(toHex(error.ref)).toBe(toHex(envelope.id));
  });

  it('refuses an append to a room that does not exist with not_a_member', async () => {
    const client = await RelayClient.connectAs(relay.wsUrl);
    const envelope = makeEnvelope({ author: client.device!, room: randomRoom(), clock: 1 });
    client.sendFrame({ type: 'append', envelope: envelope.bytes });
    expect((await client.expectError()).code).toBe('not_a_member');
  });

  it('commits a burst of appends in order with gap-free seqs, delivered once each in order', async () => {
    const { creator, room } = await newRoom();
    const reader = await RelayClient.connectAs(relay.wsUrl, creator.device!);
    await reader.subscribe(room);
    const count = 300;
    const sent = Array.from({ length: count }, (_, i) =>
      makeEnvelope({ author: creator.device!, room, clock: i + 1 }),
    );
    for (const envelope of sent) creator.sendFrame({ type: 'append', envelope: envelope.bytes });
    const acks = [];
    for (let i = 0; i < count; i++) acks.push((await creator.expect('ack')).seq);
    expect(acks).toEqual(sent.map((_, i) => i + 1));
    const delivered: number[] = [];
    while (delivered.length < count) {
      delivered.push(...(await reader.expect('deliver')).deliveries.map((d) => d.seq));
    }
    expect(delivered).toEqual(acks);
  });

  it('interleaves two authors in one room, each with its own clock, in one seq order', async () => {
    const { creator, room } = await newRoom();
    const peerDevice = makeDevice();
    // Admit a second author through an invite.
    const peer = await joinThroughInvite(relay.wsUrl, creator, room, {
      device: peerDevice,
      box: new Uint8Array(10),
    });
    const a1 = await creator.append(makeEnvelope({ author: creator.device!, room, clock: 1 }).bytes);
    const b1 = await peer.append(makeEnvelope({ author: peerDevice, room, clock: 1 }).bytes);
    const a2 = await creator.append(makeEnvelope({ author: creator.device!, room, clock: 2 }).bytes);
    expect([a1.seq, b1.seq, a2.seq]).toEqual([1, 2, 3]);
  });
});
