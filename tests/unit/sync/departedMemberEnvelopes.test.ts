import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cryptoReady, newSymmetricKey } from '$lib/crypto';
import type { LogEntry } from '$lib/protocol/frames';
import { fromHex, toHex } from '$lib/protocol/hex';
import { emptyMembership } from '$lib/sync/membership';
import { creatorRoom } from '../support/creatorRoom';
import { applied, entryOn, identity } from '../support/membershipLog';
import { sealedMessage, settle } from '../support/scriptedRelay';

describe('envelopes from someone who left the conversation', () => {
  const dbName = `test-${crypto.randomUUID()}`;

  beforeAll(async () => {
    await cryptoReady();
  });

  afterEach(async () => {
    await Dexie.delete(dbName);
  });

  it('are applied up to the seq of their removal, and refused after it even under a key they held', async () => {
    const ana = identity();
    const ben = identity();
    const room = new Uint8Array(16).fill(3);
    const keys = new Map([
      [0, newSymmetricKey()],
      [1, newSymmetricKey()],
      [2, newSymmetricKey()],
    ]);
    // Ana starts the room, adds Ben (relay head 0), then removes him when the relay's head was seq 1.
    let state = emptyMembership(toHex(room));
    const log: LogEntry[] = [];
    const append = (bytes: Uint8Array, afterSeq: number) => {
      state = applied(state, bytes, afterSeq);
      log.push({ entry: bytes, afterSeq });
    };
    append(entryOn(state, 'create', ana, ana), 0);
    append(entryOn(state, 'add', ana, ben), 0);
    append(entryOn(state, 'remove', ana, ben), 1);
    const byBen = (clock: number, text: string) =>
      sealedMessage({ room, author: ben, epoch: 1, roomKey: keys.get(1)!, clock, text });

    const { db, doc, socket, membership, close } = await creatorRoom(dbName, ana, room, keys);
    const member = (who: typeof ana) => ({
      signPublic: who.signPublic,
      boxPublic: who.boxPublic,
      proof: new Uint8Array(0),
      inviteId: new Uint8Array(0),
    });
    socket.receive({ type: 'members', room, members: [member(ana)] });
    socket.receive({ type: 'membershipLog', room, from: 0, entries: log });
    socket.receive({
      type: 'deliver',
      room,
      deliveries: [
        { seq: 1, envelope: byBen(1, 'while he belonged') },
        { seq: 2, envelope: byBen(2, 'after he was removed') },
      ],
    });
    await settle();

    const rows = await db.envelopes.where('room').equals(toHex(room)).sortBy('seq');
    expect(rows.map((r) => [r.seq, r.rejected])).toEqual([
      [1, null],
      [2, 'not_a_member'],
    ]);
    expect(doc.getArray('messages').toArray()).toEqual(['while he belonged']);
    expect(membership.state.departed.get(toHex(ben.signPublic))).toBe('removed');
    expect(fromHex(membership.state.manager!)).toEqual(ana.signPublic);
    close();
  });
});
