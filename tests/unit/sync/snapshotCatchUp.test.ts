import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cryptoReady, generateDeviceKeys, newSymmetricKey, randomBytes } from '$lib/crypto';
import type { Frame, FrameOf } from '$lib/protocol/frames';
import { bytesEqual, toHex } from '$lib/protocol/hex';
import { HearthDb } from '$lib/store/db';
import { inviteAddress, newInviteSecret, newRoom, signClaim } from '$lib/sync/invites';
import { firstDeviceKeyring, type Keyring } from '$lib/sync/keyring';
import { RelayConnection } from '$lib/sync/relayConnection';
import { RoomSync } from '$lib/sync/roomSync';
import { startRelay, type RunningRelay } from '../../helpers/relayProcess';
import { until } from '../support/sessions';

// Devices of one room against a real relay process, each with its own IndexedDB (fake-indexeddb) and a `ws` socket.

let relay: RunningRelay;
const dbNames: string[] = [];
const cleanups: (() => void)[] = [];

beforeAll(async () => {
  await cryptoReady();
  relay = await startRelay();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  for (const name of dbNames.splice(0)) await Dexie.delete(name);
});

afterAll(async () => {
  await relay.stop();
  relay.removeData();
});

const newKeyring = (): Keyring => firstDeviceKeyring(generateDeviceKeys(), newSymmetricKey());

function connect(keyring: Keyring): { connection: RelayConnection; frames: Frame[] } {
  const connection = new RelayConnection(
    relay.wsUrl,
    keyring,
    WebSocket as unknown as typeof globalThis.WebSocket,
  );
  const frames: Frame[] = [];
  connection.onFrame((frame) => frames.push(frame));
  connection.start();
  cleanups.push(() => connection.stop());
  return { connection, frames };
}

interface Room {
  room: Uint8Array;
  keys: Map<number, Uint8Array>;
  creator: Keyring;
  /** Invite secrets, in the order members were admitted. */
  secrets: Uint8Array[];
}

/** The creator makes the room on the relay; each `joiner` claims an invite of its own. */
async function makeRoom(creator: Keyring, joiners: Keyring[]): Promise<Room> {
  const { room, roomKey } = newRoom();
  const { connection } = connect(creator);
  await connection.whenReady();
  await connection.request(
    { type: 'createRoom', room },
    'roomCreated',
    (f) => bytesEqual(f.room, room),
    room,
  );
  const secrets: Uint8Array[] = [];
  for (const joiner of joiners) {
    const secret = newInviteSecret();
    const { inviteId, claimPublic } = inviteAddress(secret);
    const expiresAt = Date.now() + 3_600_000;
    await connection.request(
      { type: 'putInvite', room, inviteId, claimPublic, expiresAt, box: randomBytes(64) },
      'inviteStored',
      (f) => bytesEqual(f.inviteId, inviteId),
      inviteId,
    );
    const own = connect(joiner).connection;
    await own.whenReady();
    const { signature } = signClaim(secret, joiner);
    await own.request(
      { type: 'claimInvite', inviteId, signature },
      'claimed',
      (f) => bytesEqual(f.inviteId, inviteId),
      inviteId,
    );
    secrets.push(secret);
  }
  return { room: room, keys: new Map([[0, roomKey]]), creator, secrets };
}

/** One device's view of the room: its own database, socket, document and provider. */
async function openDevice(
  room: Room,
  keyring: Keyring,
  options: { inviteSecrets: Uint8Array[]; snapshotEvery?: number; dbName?: string },
) {
  const dbName = options.dbName ?? `test-${crypto.randomUUID()}`;
  dbNames.push(dbName);
  const db = new HearthDb(dbName);
  const { connection, frames } = connect(keyring);
  const doc = new Y.Doc();
  const sync = new RoomSync({
    db,
    connection,
    keyring,
    room: room.room,
    keys: room.keys,
    trust: { creator: room.creator.signPublic, inviteSecrets: options.inviteSecrets },
    doc,
    snapshotEvery: options.snapshotEvery ?? 1_000_000,
  });
  await sync.load();
  sync.start();
  cleanups.push(() => {
    sync.stop();
    doc.destroy();
    db.close();
  });
  const roomHex = toHex(room.room);
  return {
    db,
    dbName,
    doc,
    sync,
    frames,
    connection,
    messages: () => doc.getArray('messages').toJSON(),
    async write(count: number, from: number) {
      for (let i = 0; i < count; i++) {
        await sync.commit(() =>
          doc.getArray('messages').push([{ n: from + i, text: `message ${from + i}` }]),
        );
      }
      await until(
        'the outbox is empty',
        async () => (await db.outbox.where('room').equals(roomHex).count()) === 0,
      );
    },
    cursor: async () => (await db.cursors.get(roomHex))?.seq ?? 0,
    snapshot: () => db.snapshots.get(roomHex),
  };
}

const delivered = (frames: Frame[]): number[] =>
  frames.flatMap((f) => (f.type === 'deliver' ? f.deliveries.map((d) => d.seq) : []));

describe('catching up a new device from a snapshot', () => {
  it('gets the snapshot and exactly the envelopes after it, and reproduces the document', async () => {
    const creator = newKeyring();
    const newcomer = newKeyring();
    const room = await makeRoom(creator, [newcomer]);
    const writer = await openDevice(room, creator, { inviteSecrets: room.secrets, snapshotEvery: 20 });
    await writer.write(30, 1);
    await until('the writer has uploaded a snapshot', async () => (await writer.snapshot()) !== undefined);
    const upToSeq = (await writer.snapshot())!.upToSeq;
    expect(upToSeq).toBeGreaterThanOrEqual(20);
    await writer.write(5, 31);
    const head = await writer.cursor();

    const reader = await openDevice(room, newcomer, { inviteSecrets: room.secrets });
    await until('the new device is caught up', async () => (await reader.cursor()) === head);
    const offered = reader.frames.find((f): f is FrameOf<'snapshot'> => f.type === 'snapshot');
    expect(offered?.upToSeq).toBe(upToSeq);
    expect(delivered(reader.frames)).toEqual(
      Array.from({ length: head - upToSeq }, (_, i) => upToSeq + 1 + i),
    );
    expect(reader.messages()).toEqual(writer.messages());
    expect(reader.messages()).toHaveLength(35);
    expect((await reader.snapshot())?.upToSeq).toBe(upToSeq);
    expect(await reader.db.envelopes.where('room').equals(toHex(room.room)).count()).toBe(head - upToSeq);
    expect(await reader.sync.rejections()).toEqual([]);

    // Both keep writing: the creator's next envelope (clock past the snapshot) is accepted by the newcomer, and
    // the newcomer's first envelope reaches the creator.
    await writer.write(1, 36);
    await reader.write(1, 37);
    await until(
      'both have 37 messages',
      () => writer.messages().length === 37 && reader.messages().length === 37,
    );
    expect(await reader.sync.rejections()).toEqual([]);
    expect(await writer.sync.rejections()).toEqual([]);

    // Reloaded offline, the newcomer rebuilds the same document from its snapshot and the tail.
    reader.connection.stop();
    const reloaded = new Y.Doc();
    const again = new RoomSync({
      db: reader.db,
      connection: new RelayConnection('ws://relay.invalid/sync', newcomer),
      keyring: newcomer,
      room: room.room,
      keys: room.keys,
      trust: { creator: creator.signPublic, inviteSecrets: room.secrets },
      doc: reloaded,
    });
    await again.load();
    expect(reloaded.getArray('messages').toJSON()).toEqual(writer.messages());
    again.stop();
  });

  it('refuses a snapshot by a member it cannot verify and reads every envelope from seq 0 instead', async () => {
    const creator = newKeyring();
    const newcomer = newKeyring();
    const other = newKeyring();
    const room = await makeRoom(creator, [newcomer, other]);
    const writer = await openDevice(room, creator, { inviteSecrets: room.secrets });
    await writer.write(25, 1);
    // `other` catches up and snapshots; the newcomer only knows its own invite, so cannot verify `other`.
    const snapshotter = await openDevice(room, other, {
      inviteSecrets: [room.secrets[1]],
      snapshotEvery: 10,
    });
    await until(
      'the other member has uploaded a snapshot',
      async () => (await snapshotter.snapshot()) !== undefined,
    );

    const reader = await openDevice(room, newcomer, { inviteSecrets: [room.secrets[0]] });
    await until('the new device is caught up', async () => (await reader.cursor()) === 25);
    expect(reader.frames.some((f) => f.type === 'snapshot')).toBe(true);
    expect(await reader.snapshot()).toBeUndefined();
    expect(delivered(reader.frames)).toContain(1);
    expect(reader.messages()).toEqual(writer.messages());
    expect(await reader.db.envelopes.where('room').equals(toHex(room.room)).count()).toBe(25);
    expect(await reader.sync.rejections()).toEqual([]);
  });
});
