import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import * as Y from 'yjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cryptoReady, newSymmetricKey } from '$lib/crypto';
import type { LogEntry } from '$lib/protocol/frames';
import { fromHex, toHex } from '$lib/protocol/hex';
import { HearthDb } from '$lib/store/db';
import { firstDeviceKeyring } from '$lib/sync/keyring';
import { emptyMembership } from '$lib/sync/membership';
import { RoomMembership } from '$lib/sync/roomMembership';
import { RoomSync } from '$lib/sync/roomSync';
import { applied, entryOn, identity } from '../support/membershipLog';
import { scriptedConnection, sealedMessage, settle } from '../support/scriptedRelay';

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

    const keyring = firstDeviceKeyring(ana, newSymmetricKey());
    const db = new HearthDb(dbName);
    const { connection, socket } = scriptedConnection(keyring);
    const doc = new Y.Doc();
    const membership = new RoomMembership({
      connection,
      keyring,
      room,
      creator: ana.signPublic,
      keys,
      log: [],
      pending: [],
      store: { saveLog: async () => {}, savePending: async () => {}, saveKeys: async () => {} },
    });
    const sync = new RoomSync({
      db,
      connection,
      keyring,
      room,
      keys,
      trust: { creator: ana.signPublic, inviteSecrets: [] },
      doc,
      membership,
    });
    membership.attach(sync);
    await sync.load();
    membership.start();
    sync.start();
    socket.receive({ type: 'ready' });
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
    membership.stop();
    sync.stop();
    connection.stop();
    doc.destroy();
    db.close();
  });
});
