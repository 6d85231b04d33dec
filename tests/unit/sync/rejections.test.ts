import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import * as Y from 'yjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cryptoReady, generateDeviceKeys, newSymmetricKey } from '$lib/crypto';
import { toHex } from '$lib/protocol/hex';
import { HearthDb, type EnvelopeRow } from '$lib/store/db';
import { newRoom } from '$lib/sync/invites';
import { firstDeviceKeyring } from '$lib/sync/keyring';
import { RelayConnection } from '$lib/sync/relayConnection';
import { RoomSync } from '$lib/sync/roomSync';

function rows(room: string, count: number, refused: Map<number, string>): EnvelopeRow[] {
  return Array.from({ length: count }, (_, i) => ({
    room,
    seq: i + 1,
    id: `envelope-${room}-${i + 1}`,
    author: 'ab'.repeat(32),
    bytes: new Uint8Array([i]),
    rejected: refused.get(i + 1) ?? null,
  }));
}

function roomSync(db: HearthDb, room: Uint8Array): RoomSync {
  const keyring = firstDeviceKeyring(generateDeviceKeys(), newSymmetricKey());
  return new RoomSync({
    db,
    connection: new RelayConnection('ws://relay.invalid/sync', keyring),
    keyring,
    room,
    keys: new Map(),
    trust: { creator: keyring.signPublic, inviteSecrets: [] },
    doc: new Y.Doc(),
  });
}

describe('refused envelopes of a room', () => {
  const names: string[] = [];
  beforeAll(async () => {
    await cryptoReady();
  });
  afterEach(async () => {
    for (const name of names.splice(0)) await Dexie.delete(name);
  });

  it('are found among many accepted ones, and only in their own room', async () => {
    const name = `test-${crypto.randomUUID()}`;
    names.push(name);
    const db = new HearthDb(name);
    const { room } = newRoom();
    const other = newRoom().room;
    await db.envelopes.bulkPut(
      rows(
        toHex(room),
        1_000,
        new Map([
          [17, 'replayed'],
          [18, 'bad_signature'],
          [900, 'bad_signature'],
        ]),
      ),
    );
    await db.envelopes.bulkPut(rows(toHex(other), 10, new Map([[3, 'unknown_author']])));

    const refused = await roomSync(db, room).rejections();
    expect(refused.map((r) => r.reason).sort()).toEqual(['bad_signature', 'bad_signature', 'replayed']);
    db.close();
  });

  it('stored before the store was upgraded are still found', async () => {
    const name = `test-${crypto.randomUUID()}`;
    names.push(name);
    const { room } = newRoom();
    // The schema as it was before refused envelopes had an index of their own.
    const before = new Dexie(name);
    before.version(1).stores({
      vault: 'id',
      records: 'id, kind',
      envelopes: '[room+seq], id, room',
      outbox: 'id, [room+clock], room',
      cursors: 'room',
      statuses: 'messageId, room, envelopeId',
    });
    before.version(2).stores({ snapshots: 'room' });
    await before.table('envelopes').bulkPut(rows(toHex(room), 50, new Map([[5, 'replayed']])));
    before.close();

    const db = new HearthDb(name);
    expect(await roomSync(db, room).rejections()).toEqual([{ reason: 'replayed', author: 'ab'.repeat(32) }]);
    db.close();
  });
});
