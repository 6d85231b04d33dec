import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import * as Y from 'yjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cryptoReady, generateDeviceKeys, newSymmetricKey } from '$lib/crypto';
import { toHex } from '$lib/protocol/hex';
import { HearthDb, type OutboxRow, type StatusRow } from '$lib/store/db';
import { openUpdate } from '$lib/sync/envelopeSeal';
import { newRoom } from '$lib/sync/invites';
import { firstDeviceKeyring, type Keyring } from '$lib/sync/keyring';
import { RelayConnection } from '$lib/sync/relayConnection';
import { RoomSync } from '$lib/sync/roomSync';
import { containsBytes, rowBytes } from '../support/containsBytes';
import { readRawRows } from '../support/rawIndexedDb';

const PLAINTEXT = 'I keep thinking about what my father said at dinner';
const utf8 = (text: string) => new TextEncoder().encode(text);

/**
 * A WebSocket that never opens: the relay is unreachable, as on a train with no signal. It records anything
 * sent so the test can show nothing left the device.
 */
class UnreachableSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  static readonly opened: UnreachableSocket[] = [];
  readyState = UnreachableSocket.CONNECTING;
  binaryType = 'blob';
  onmessage: ((event: unknown) => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  readonly sent: unknown[] = [];
  constructor(readonly url: string) {
    UnreachableSocket.opened.push(this);
  }
  send(data: unknown): void {
    this.sent.push(data);
  }
  close(): void {
    this.readyState = UnreachableSocket.CLOSED;
  }
}

interface Device {
  keyring: Keyring;
  room: Uint8Array;
  keys: Map<number, Uint8Array>;
}

function newDevice(): Device {
  const { room, roomKey } = newRoom();
  return {
    keyring: firstDeviceKeyring(generateDeviceKeys(), newSymmetricKey()),
    room,
    keys: new Map([[0, roomKey]]),
  };
}

/** Open a room on `dbName` as the app does after a (re)load: a fresh database handle, doc and provider. */
async function openRoom(dbName: string, device: Device, room = device.room) {
  const db = new HearthDb(dbName);
  const connection = new RelayConnection(
    'ws://relay.invalid/sync',
    device.keyring,
    UnreachableSocket as unknown as typeof WebSocket,
  );
  connection.start();
  const socket = UnreachableSocket.opened.at(-1);
  const doc = new Y.Doc();
  const sync = new RoomSync({
    db,
    connection,
    keyring: device.keyring,
    room,
    keys: device.keys,
    trust: { creator: device.keyring.signPublic, inviteSecrets: [] },
    doc,
  });
  await sync.load();
  sync.start();
  const close = () => {
    sync.stop();
    connection.stop();
    doc.destroy();
    db.close();
  };
  return { db, connection, socket, doc, sync, close };
}

function messagesOf(doc: Y.Doc): unknown[] {
  return doc.getArray('messages').toArray();
}

describe('writing to a room while the relay is unreachable', () => {
  const dbNames: string[] = [];
  const newDbName = () => {
    const name = `test-${crypto.randomUUID()}`;
    dbNames.push(name);
    return name;
  };

  beforeAll(async () => {
    await cryptoReady();
  });

  afterEach(async () => {
    for (const name of dbNames.splice(0)) await Dexie.delete(name);
  });

  it('queues a message durably in the outbox as an envelope with clock 1', async () => {
    const device = newDevice();
    const dbName = newDbName();
    const room = await openRoom(dbName, device);
    expect(room.connection.status).toBe('connecting');

    await room.sync.commit(
      () => room.doc.getArray('messages').push([{ id: 'msg-1', text: PLAINTEXT }]),
      'msg-1',
    );

    const outbox = (await readRawRows(dbName, 'outbox')) as OutboxRow[];
    expect(outbox).toHaveLength(1);
    expect(outbox[0]).toMatchObject({ room: toHex(device.room), clock: 1, messageId: 'msg-1' });
    // The queued bytes are a real envelope: signed by this device, sealed under the room key, clock 1.
    const opened = openUpdate(outbox[0].bytes, (epoch) => device.keys.get(epoch));
    if (!opened.ok) throw new Error(`outbox envelope did not open: ${opened.reason}`);
    expect(opened.envelope.clock).toBe(1);
    expect(toHex(opened.envelope.id)).toBe(outbox[0].id);
    expect(opened.envelope.author).toEqual(device.keyring.signPublic);

    const statuses = (await readRawRows(dbName, 'statuses')) as StatusRow[];
    expect(statuses).toEqual([
      {
        messageId: 'msg-1',
        room: toHex(device.room),
        envelopeId: outbox[0].id,
        state: 'queued',
        seq: null,
        reason: null,
      },
    ]);
    expect(await room.sync.statuses()).toEqual(new Map([['msg-1', { state: 'queued', reason: null }]]));
    room.close();
  });

  it('keeps the message text out of the outbox row', async () => {
    const device = newDevice();
    const dbName = newDbName();
    const room = await openRoom(dbName, device);
    await room.sync.commit(
      () => room.doc.getArray('messages').push([{ id: 'msg-1', text: PLAINTEXT }]),
      'msg-1',
    );

    // A Yjs update carries strings as UTF-8, so an unsealed update would contain the text: the search works.
    expect(containsBytes(Y.encodeStateAsUpdate(room.doc), utf8(PLAINTEXT))).toBe(true);
    const [row] = await readRawRows(dbName, 'outbox');
    expect(containsBytes(rowBytes(row), utf8(PLAINTEXT))).toBe(false);
    expect(containsBytes(rowBytes(row), utf8('I keep thinking'))).toBe(false);
    room.close();
  });

  it('sends nothing while the connection is not authenticated', async () => {
    const device = newDevice();
    const room = await openRoom(newDbName(), device);
    expect(room.socket).toBeDefined();
    await room.sync.commit(
      () => room.doc.getArray('messages').push([{ id: 'msg-1', text: PLAINTEXT }]),
      'msg-1',
    );
    expect(room.socket?.sent).toEqual([]);
    room.close();
  });

  it('numbers successive changes 1, 2, 3 and records only those that carry a message', async () => {
    const device = newDevice();
    const dbName = newDbName();
    const room = await openRoom(dbName, device);
    await room.sync.commit(
      () => room.doc.getArray('messages').push([{ id: 'msg-1', text: 'first' }]),
      'msg-1',
    );
    await room.sync.commit(() => room.doc.getMap('people').set('me', { name: 'Sam' }));
    await room.sync.commit(
      () => room.doc.getArray('messages').push([{ id: 'msg-2', text: 'second' }]),
      'msg-2',
    );

    const outbox = (await readRawRows(dbName, 'outbox')) as OutboxRow[];
    expect(outbox.map((r) => [r.clock, r.messageId]).sort()).toEqual([
      [1, 'msg-1'],
      [2, null],
      [3, 'msg-2'],
    ]);
    expect(new Set(outbox.map((r) => r.id)).size).toBe(3);
    const statuses = await room.sync.statuses();
    expect([...statuses.keys()].sort()).toEqual(['msg-1', 'msg-2']);
    expect(((await readRawRows(dbName, 'cursors')) as { clock: number }[])[0].clock).toBe(3);
    room.close();
  });

  it('gives changes made in the same moment distinct, gap-free clocks', async () => {
    const device = newDevice();
    const dbName = newDbName();
    const room = await openRoom(dbName, device);
    const ids = ['msg-1', 'msg-2', 'msg-3', 'msg-4'];
    // Not awaited one by one: a person tapping send repeatedly while the first write is still in flight.
    await Promise.all(
      ids.map((id) => room.sync.commit(() => room.doc.getArray('messages').push([{ id, text: id }]), id)),
    );
    const outbox = (await readRawRows(dbName, 'outbox')) as OutboxRow[];
    expect(outbox.map((r) => r.clock).sort()).toEqual([1, 2, 3, 4]);
    expect(outbox.sort((a, b) => a.clock - b.clock).map((r) => r.messageId)).toEqual(ids);
    room.close();
  });

  it('rebuilds the same document from the store after a reload', async () => {
    const device = newDevice();
    const dbName = newDbName();
    const before = await openRoom(dbName, device);
    await before.sync.commit(
      () => before.doc.getArray('messages').push([{ id: 'msg-1', text: PLAINTEXT }]),
      'msg-1',
    );
    await before.sync.commit(() => before.doc.getMap('meta').set('topic', 'Thursday sessions'));
    before.close();

    const after = await openRoom(dbName, device);
    expect(messagesOf(after.doc)).toEqual([{ id: 'msg-1', text: PLAINTEXT }]);
    expect(after.doc.getMap('meta').toJSON()).toEqual({ topic: 'Thursday sessions' });
    expect(await after.sync.statuses()).toEqual(new Map([['msg-1', { state: 'queued', reason: null }]]));

    // Writing after the reload continues the clock rather than reusing 1.
    await after.sync.commit(
      () => after.doc.getArray('messages').push([{ id: 'msg-2', text: 'later' }]),
      'msg-2',
    );
    const clocks = ((await readRawRows(dbName, 'outbox')) as OutboxRow[]).map((r) => r.clock).sort();
    expect(clocks).toEqual([1, 2, 3]);
    after.close();
  });

  it('rebuilds each room from its own changes only', async () => {
    const device = newDevice();
    const otherRoom = newRoom().room;
    const dbName = newDbName();
    const first = await openRoom(dbName, device);
    await first.sync.commit(
      () => first.doc.getArray('messages').push([{ id: 'msg-a', text: 'room A' }]),
      'msg-a',
    );
    first.close();
    const second = await openRoom(dbName, device, otherRoom);
    await second.sync.commit(
      () => second.doc.getArray('messages').push([{ id: 'msg-b', text: 'room B' }]),
      'msg-b',
    );
    second.close();

    const reloadedFirst = await openRoom(dbName, device);
    expect(messagesOf(reloadedFirst.doc)).toEqual([{ id: 'msg-a', text: 'room A' }]);
    reloadedFirst.close();
    const reloadedSecond = await openRoom(dbName, device, otherRoom);
    expect(messagesOf(reloadedSecond.doc)).toEqual([{ id: 'msg-b', text: 'room B' }]);
    // Each room keeps its own clock.
    const outbox = (await readRawRows(dbName, 'outbox')) as OutboxRow[];
    expect(outbox.every((r) => r.clock === 1)).toBe(true);
    reloadedSecond.close();
  });
});
