import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import * as Y from 'yjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cryptoReady, newSymmetricKey } from '$lib/crypto';
import type { LogEntry } from '$lib/protocol/frames';
import { toHex } from '$lib/protocol/hex';
import { sealUpdate } from '$lib/sync/envelopeSeal';
import { emptyMembership } from '$lib/sync/membership';
import { creatorRoom } from '../support/creatorRoom';
import { applied, entryOn, identity } from '../support/membershipLog';
import { settle } from '../support/scriptedRelay';

describe('an envelope with a message in someone else’s name', () => {
  const dbName = `test-${crypto.randomUUID()}`;

  beforeAll(async () => {
    await cryptoReady();
  });

  afterEach(async () => {
    await Dexie.delete(dbName);
  });

  it('is refused and counted, while the same member’s honest message is applied', async () => {
    const ada = identity(); // the therapist, who started the room
    const ben = identity();
    const adaHex = toHex(ada.signPublic);
    const benHex = toHex(ben.signPublic);
    const room = new Uint8Array(16).fill(5);
    const keys = new Map([[0, newSymmetricKey()]]);
    let state = emptyMembership(toHex(room));
    const log: LogEntry[] = [];
    for (const [kind, who] of [
      ['create', ada],
      ['add', ben],
    ] as const) {
      const bytes = entryOn(state, kind, ada, who);
      state = applied(state, bytes, 0);
      log.push({ entry: bytes, afterSeq: 0 });
    }

    // Ben's own document: his message, then one he writes as if Ada had.
    const benDoc = new Y.Doc();
    const updates: Uint8Array[] = [];
    benDoc.on('update', (update: Uint8Array) => updates.push(update));
    const message = (by: string, n: number, text: string) => ({
      id: crypto.randomUUID(),
      by,
      n,
      text,
      at: 1,
    });
    benDoc.getArray('messages').push([message(benHex, 1, 'from Ben')]);
    benDoc.getArray('messages').push([message(adaHex, 2, 'Ben writing as Ada')]);
    const sealed = (clock: number, update: Uint8Array) =>
      sealUpdate({ room, author: ben, epoch: 0, roomKey: keys.get(0)!, clock, update }).bytes;

    const { db, doc, socket, sync, close } = await creatorRoom(dbName, ada, room, keys);
    socket.receive({ type: 'membershipLog', room, from: 0, entries: log });
    socket.receive({
      type: 'deliver',
      room,
      deliveries: [
        { seq: 1, envelope: sealed(1, updates[0]) },
        { seq: 2, envelope: sealed(2, updates[1]) },
      ],
    });
    await settle();

    const rows = await db.envelopes.where('room').equals(toHex(room)).sortBy('seq');
    expect(rows.map((r) => [r.seq, r.rejected])).toEqual([
      [1, null],
      [2, 'forged_author'],
    ]);
    expect(doc.getArray('messages').toArray()).toEqual([
      expect.objectContaining({ by: benHex, text: 'from Ben' }),
    ]);
    // The conversation's notice counts what rejections() lists.
    expect(await sync.rejections()).toEqual([{ reason: 'forged_author', author: benHex }]);
    close();
  });
});
