import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cryptoReady, generateDeviceKeys } from '$lib/crypto';
import { fromHex, toHex } from '$lib/protocol/hex';
import type { HearthDb } from '$lib/store/db';
import { newRoom } from '$lib/sync/invites';
import type { RoomSync } from '$lib/sync/roomSync';
import { creatorRoom } from '../support/creatorRoom';
import { settle } from '../support/scriptedRelay';

/**
 * A relay that delivers a device's own envelope back to it at a new seq is replaying it: the device wrote it once, and
 * the relay already stored it. The device must refuse it as it refuses anyone else's replay, and count it.
 */
describe("a device's own envelope replayed by the relay at a new seq", () => {
  const dbName = `test-${crypto.randomUUID()}`;

  beforeAll(async () => {
    await cryptoReady();
  });

  afterEach(async () => {
    await Dexie.delete(dbName);
  });

  async function deviceWithOneQueuedMessage() {
    const { room, roomKey } = newRoom();
    const device = await creatorRoom(dbName, generateDeviceKeys(), room, new Map([[0, roomKey]]));
    await device.sync.commit(
      () => device.doc.getArray('messages').push(['see you on Thursday']),
      'message-1',
    );
    const [queued] = await device.db.outbox.toArray();
    return { ...device, room, queued };
  }

  /** Seq 1 holds the envelope; seq 2, the same bytes again, was refused as a replay and counted. */
  async function expectStoredOnceThenRefused(db: HearthDb, room: Uint8Array, sync: RoomSync): Promise<void> {
    const rows = await db.envelopes.where('room').equals(toHex(room)).sortBy('seq');
    expect(rows.map((r) => [r.seq, r.rejected])).toEqual([
      [1, null],
      [2, 'replayed'],
    ]);
    expect((await sync.rejections()).map((r) => r.reason)).toEqual(['replayed']);
  }

  it('is refused once the relay acknowledged it', async () => {
    const { db, room, socket, sync, queued, close } = await deviceWithOneQueuedMessage();

    socket.receive({ type: 'ack', room, id: fromHex(queued.id), seq: 1 });
    await settle();
    socket.receive({ type: 'deliver', room, deliveries: [{ seq: 2, envelope: queued.bytes }] });
    await settle();

    await expectStoredOnceThenRefused(db, room, sync);
    close();
  });

  it('is refused once its first delivery stood in for a lost ack', async () => {
    const { db, room, socket, sync, queued, close } = await deviceWithOneQueuedMessage();

    socket.receive({
      type: 'deliver',
      room,
      deliveries: [
        { seq: 1, envelope: queued.bytes },
        { seq: 2, envelope: queued.bytes },
      ],
    });
    await settle();

    await expectStoredOnceThenRefused(db, room, sync);
    close();
  });
});
