import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import * as Y from 'yjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cryptoReady, generateDeviceKeys, newSymmetricKey } from '$lib/crypto';
import type { RoomDevice } from '$lib/protocol/frames';
import { toHex } from '$lib/protocol/hex';
import { HearthDb } from '$lib/store/db';
import { signDeviceCertificate, signRevocation } from '$lib/sync/deviceCertificate';
import { newRoom } from '$lib/sync/invites';
import { firstDeviceKeyring, type Keyring } from '$lib/sync/keyring';
import { RoomSync } from '$lib/sync/roomSync';
import { scriptedConnection, sealedMessage, settle } from '../support/scriptedRelay';

describe('envelopes from a linked device', () => {
  const dbName = `test-${crypto.randomUUID()}`;

  beforeAll(async () => {
    await cryptoReady();
  });

  afterEach(async () => {
    await Dexie.delete(dbName);
  });

  it('are applied while its certificate holds, and refused after its revocation past the seq the relay held', async () => {
    const phone: Keyring = firstDeviceKeyring(generateDeviceKeys(), newSymmetricKey());
    const laptop = generateDeviceKeys();
    const { room, roomKey } = newRoom();
    const db = new HearthDb(dbName);
    const { connection, socket } = scriptedConnection(phone);
    const doc = new Y.Doc();
    const sync = new RoomSync({
      db,
      connection,
      keyring: phone,
      room,
      keys: new Map([[0, roomKey]]),
      trust: { creator: phone.signPublic, inviteSecrets: [] },
      doc,
    });
    await sync.load();
    sync.start();
    socket.receive({ type: 'ready' });

    const createdAt = Date.now();
    const entry: RoomDevice = {
      identity: phone.signPublic,
      signPublic: laptop.signPublic,
      boxPublic: laptop.boxPublic,
      createdAt,
      certificate: signDeviceCertificate(phone.signSecret, phone.signPublic, laptop, createdAt),
      revokedAt: 0,
      revocation: new Uint8Array(),
      lastSeq: 0,
    };
    const members = [
      {
        signPublic: phone.signPublic,
        boxPublic: phone.boxPublic,
        proof: new Uint8Array(),
        inviteId: new Uint8Array(),
      },
    ];
    const byLaptop = (clock: number, text: string) =>
      sealedMessage({ room, author: laptop, epoch: 0, roomKey, clock, text });

    socket.receive({ type: 'members', room, members });
    socket.receive({ type: 'devices', room, devices: [entry] });
    socket.receive({
      type: 'deliver',
      room,
      deliveries: [{ seq: 1, envelope: byLaptop(1, 'from the laptop') }],
    });
    await settle();

    const at = Date.now();
    const revoked = {
      ...entry,
      revokedAt: at,
      revocation: signRevocation(phone.signSecret, laptop.signPublic, at),
      lastSeq: 1,
    };
    socket.receive({ type: 'members', room, members });
    socket.receive({ type: 'devices', room, devices: [revoked] });
    socket.receive({
      type: 'deliver',
      room,
      deliveries: [{ seq: 2, envelope: byLaptop(2, 'after removal') }],
    });
    await settle();

    const rows = await db.envelopes.where('room').equals(toHex(room)).sortBy('seq');
    expect(rows.map((r) => [r.seq, r.rejected])).toEqual([
      [1, null],
      [2, 'device_revoked'],
    ]);
    expect(doc.getArray('messages').toArray().length).toBe(1);
    sync.stop();
    connection.stop();
    doc.destroy();
    db.close();
  });
});
