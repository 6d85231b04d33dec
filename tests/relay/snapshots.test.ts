import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FrameOf } from '../../src/lib/protocol/frames';
import { toHex } from '../../src/lib/protocol/hex';
import { blobBytes, downloadBlob, sha256, uploadBlob } from '../helpers/blobTransfer';
import {
  joinThroughInvite,
  makeEnvelope,
  randomBytesOf,
  RelayClient,
  seqsOf,
  type TestDevice,
} from '../helpers/relayClient';
import { RELAY_BACKENDS, type BackendStorage } from '../helpers/relayBackends';
import type { RunningRelay } from '../helpers/relayProcess';

/** Append `count` envelopes as one burst (clocks from `firstClock`) and wait for every ack. */
async function appendMany(
  client: RelayClient,
  room: Uint8Array,
  count: number,
  firstClock = 1,
): Promise<void> {
  const device = client.device as TestDevice;
  for (let i = 0; i < count; i++) {
    const envelope = makeEnvelope({
      author: device,
      room,
      clock: firstClock + i,
      ciphertext: randomBytesOf(40),
    });
    client.sendFrame({ type: 'append', envelope: envelope.bytes });
  }
  for (let i = 0; i < count; i++) await client.expect('ack');
}

/** SUBSCRIBE_LATEST and collect what comes before CAUGHT_UP, in order. */
async function subscribeLatest(client: RelayClient, room: Uint8Array) {
  client.sendFrame({ type: 'subscribeLatest', room });
  const frames: FrameOf<'snapshot' | 'members' | 'deliver'>[] = [];
  for (;;) {
    const frame = await client.next();
    if (frame.type === 'caughtUp') return { frames, caughtUp: frame };
    if (frame.type !== 'snapshot' && frame.type !== 'members' && frame.type !== 'deliver') {
      throw new Error(`unexpected ${frame.type === 'error' ? `error ${frame.code}` : frame.type}`);
    }
    frames.push(frame);
  }
}

/** Whether blob `hash` of `room` is stored complete, as BLOB_STATUS tells a member. */
async function blobComplete(client: RelayClient, room: Uint8Array, hash: Uint8Array): Promise<boolean> {
  client.sendFrame({ type: 'blobStatus', room, hash });
  return (await client.expect('blobProgress')).complete;
}

const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe.each(RELAY_BACKENDS)('@relay snapshots on $name', (backend) => {
  let storage: BackendStorage;
  let relay: RunningRelay;

  beforeAll(async () => {
    if (backend.skipReason) return;
    storage = await backend.prepare();
    relay = await storage.start();
  });

  afterAll(async () => {
    await storage?.dispose();
  });

  const test = it.skipIf(backend.skipReason !== null);

  /** A room with `count` envelopes and a complete snapshot-sized blob in it. */
  async function roomWithBlob(count: number) {
    const client = await RelayClient.connectAs(relay.wsUrl);
    const room = await client.createRoom();
    if (count > 0) await appendMany(client, room, count);
    const bytes = blobBytes(3000, count + 1);
    await uploadBlob(client, room, bytes);
    return { client, room, bytes, hash: sha256(bytes) };
  }

  test('stores a snapshot naming a complete blob of the room and a seq up to the head', async () => {
    const { client, room, hash } = await roomWithBlob(10);
    client.sendFrame({ type: 'putSnapshot', room, upToSeq: 10, hash });
    const stored = await client.expect('snapshotStored');
    expect(stored.upToSeq).toBe(10);
    expect(toHex(stored.room)).toBe(toHex(room));
    // A retry (its reply was lost) is answered the same way.
    client.sendFrame({ type: 'putSnapshot', room, upToSeq: 10, hash });
    expect((await client.expect('snapshotStored')).upToSeq).toBe(10);
    client.close();
  });

  test('refuses a snapshot past the head, at seq 0, of a missing or incomplete blob, or from a non-member', async () => {
    const { client, room, hash } = await roomWithBlob(5);
    for (const upToSeq of [0, 6]) {
      client.sendFrame({ type: 'putSnapshot', room, upToSeq, hash });
      const error = await client.expectError();
      expect(error.code).toBe('snapshot_invalid');
      expect(toHex(error.ref)).toBe(toHex(room));
    }
    client.sendFrame({ type: 'putSnapshot', room, upToSeq: 5, hash: sha256(new Uint8Array([9])) });
    expect((await client.expectError()).code).toBe('blob_not_found');
    const partial = blobBytes(1000, 77);
    await uploadBlob(client, room, partial, { chunkBytes: 500, until: 500 });
    client.sendFrame({ type: 'putSnapshot', room, upToSeq: 5, hash: sha256(partial) });
    expect((await client.expectError()).code).toBe('blob_not_found');

    // A blob complete in another room does not count in this one.
    const elsewhere = await roomWithBlob(0);
    elsewhere.client.sendFrame({ type: 'putSnapshot', room, upToSeq: 1, hash: elsewhere.hash });
    expect((await elsewhere.client.expectError()).code).toBe('not_a_member');
    client.sendFrame({ type: 'putSnapshot', room, upToSeq: 5, hash: elsewhere.hash });
    expect((await client.expectError()).code).toBe('blob_not_found');

    // Nothing was stored: a new device still starts from seq 0.
    const { frames } = await subscribeLatest(client, room);
    expect(frames[0].type).toBe('members');
    client.close();
    elsewhere.client.close();
  });

  test('keeps the snapshot with the highest upToSeq', async () => {
    const { client, room, hash } = await roomWithBlob(20);
    const older = blobBytes(2000, 123);
    await uploadBlob(client, room, older);
    client.sendFrame({ type: 'putSnapshot', room, upToSeq: 15, hash });
    expect((await client.expect('snapshotStored')).upToSeq).toBe(15);
    client.sendFrame({ type: 'putSnapshot', room, upToSeq: 12, hash: sha256(older) });
    expect((await client.expect('snapshotStored')).upToSeq).toBe(15);
    const { frames } = await subscribeLatest(client, room);
    const snapshot = frames[0] as FrameOf<'snapshot'>;
    expect(snapshot).toMatchObject({ type: 'snapshot', upToSeq: 15 });
    expect(toHex(snapshot.hash)).toBe(toHex(hash));
    client.close();
  });

  test('SUBSCRIBE_LATEST without a snapshot is SUBSCRIBE from 0', async () => {
    const client = await RelayClient.connectAs(relay.wsUrl);
    const room = await client.createRoom();
    await appendMany(client, room, 30);
    const { frames, caughtUp } = await subscribeLatest(client, room);
    expect(frames[0].type).toBe('members');
    expect(frames.some((f) => f.type === 'snapshot')).toBe(false);
    expect(seqsOf(frames.filter((f): f is FrameOf<'deliver'> => f.type === 'deliver'))).toEqual(range(1, 30));
    expect(caughtUp.headSeq).toBe(30);
    client.close();
  });

  test('SUBSCRIBE_LATEST with a snapshot sends it, then exactly the tail, then goes live; envelopes are kept', async () => {
    const { client: writer, room, bytes, hash } = await roomWithBlob(40);
    writer.sendFrame({ type: 'putSnapshot', room, upToSeq: 30, hash });
    await writer.expect('snapshotStored');

    const reader = await RelayClient.connectAs(relay.wsUrl, writer.device!);
    const { frames, caughtUp } = await subscribeLatest(reader, room);
    expect(frames.map((f) => f.type).slice(0, 2)).toEqual(['snapshot', 'members']);
    expect(frames[0]).toMatchObject({ upToSeq: 30, size: bytes.length });
    const delivers = frames.filter((f): f is FrameOf<'deliver'> => f.type === 'deliver');
    expect(seqsOf(delivers)).toEqual(range(31, 40));
    expect(caughtUp.headSeq).toBe(40);
    expect((await downloadBlob(reader, room, (frames[0] as FrameOf<'snapshot'>).hash)).bytes).toEqual(bytes);

    await appendMany(writer, room, 1, 41);
    const live = await reader.expect('deliver');
    expect(seqsOf([live])).toEqual([41]);

    // The snapshot only shortens catch-up: every envelope is still there from seq 0.
    const full = await reader.subscribe(room, 0);
    expect(seqsOf(full.delivers)).toEqual(range(1, 41));
    writer.close();
    reader.close();
  });

  test("deletes a replaced snapshot after its grace period, never the kept one or another device's upload", async () => {
    // A second relay over the same storage, with a one-second grace: it sweeps what this test replaces.
    const sweeping = await storage.start({ SNAPSHOT_GRACE_SECONDS: '1' });
    const { client: writer, room, hash: firstHash } = await roomWithBlob(30);
    const guest = await joinThroughInvite(sweeping.wsUrl, writer, room);
    // The guest's attachment, which the writer then names as a snapshot of its own: it must survive.
    const attachment = blobBytes(1500, 77);
    await uploadBlob(guest, room, attachment);
    const second = blobBytes(2500, 78);
    await uploadBlob(writer, room, second);
    const lost = blobBytes(2600, 79);
    await uploadBlob(writer, room, lost);

    const name = async (upToSeq: number, hash: Uint8Array) => {
      writer.sendFrame({ type: 'putSnapshot', room, upToSeq, hash });
      return (await writer.expect('snapshotStored')).upToSeq;
    };
    expect(await name(10, firstHash)).toBe(10);
    expect(await name(15, sha256(attachment))).toBe(15);
    expect(await name(20, sha256(second))).toBe(20);
    // Named too late: a higher snapshot is kept, so this upload is not used either.
    expect(await name(18, sha256(lost))).toBe(20);

    await expect.poll(() => blobComplete(guest, room, firstHash), { timeout: 10_000 }).toBe(false);
    await expect.poll(() => blobComplete(guest, room, sha256(lost)), { timeout: 10_000 }).toBe(false);
    expect((await downloadBlob(guest, room, sha256(attachment))).bytes).toEqual(attachment);
    expect((await downloadBlob(guest, room, sha256(second))).bytes).toEqual(second);
    const { frames } = await subscribeLatest(guest, room);
    expect(frames[0]).toMatchObject({ type: 'snapshot', upToSeq: 20, size: second.length });
    writer.close();
    guest.close();
  });

  test("retires a room's first snapshot even when a second is named at the same moment through another relay", async () => {
    const sweeping = await storage.start({ SNAPSHOT_GRACE_SECONDS: '1' });
    const rooms = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const { client, room, hash } = await roomWithBlob(20);
        const higher = blobBytes(2000, 500 + i);
        await uploadBlob(client, room, higher);
        const elsewhere = await RelayClient.connectAs(sweeping.wsUrl, client.device!);
        return { client, elsewhere, room, first: hash, second: sha256(higher) };
      }),
    );
    await Promise.all(
      rooms.map(async ({ client, elsewhere, room, first, second }) => {
        client.sendFrame({ type: 'putSnapshot', room, upToSeq: 10, hash: first });
        elsewhere.sendFrame({ type: 'putSnapshot', room, upToSeq: 20, hash: second });
        await Promise.all([client.expect('snapshotStored'), elsewhere.expect('snapshotStored')]);
      }),
    );
    for (const { client, elsewhere, room, first, second } of rooms) {
      await expect.poll(() => blobComplete(client, room, first), { timeout: 10_000 }).toBe(false);
      expect(await blobComplete(client, room, second)).toBe(true);
      client.close();
      elsewhere.close();
    }
  });

  test('SUBSCRIBE_LATEST from a non-member is refused without revealing a snapshot', async () => {
    const { client, room, hash } = await roomWithBlob(3);
    client.sendFrame({ type: 'putSnapshot', room, upToSeq: 3, hash });
    await client.expect('snapshotStored');
    const stranger = await RelayClient.connectAs(relay.wsUrl);
    stranger.sendFrame({ type: 'subscribeLatest', room });
    const error = await stranger.expectError();
    expect(error.code).toBe('not_a_member');
    expect(toHex(error.ref)).toBe(toHex(room));
    client.close();
    stranger.close();
  });
});
