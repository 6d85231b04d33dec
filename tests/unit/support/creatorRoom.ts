import * as Y from 'yjs';
import { newSymmetricKey, type DeviceKeys } from '$lib/crypto';
import { HearthDb } from '$lib/store/db';
import { firstDeviceKeyring } from '$lib/sync/keyring';
import { RoomMembership } from '$lib/sync/roomMembership';
import { RoomSync } from '$lib/sync/roomSync';
import { scriptedConnection } from './scriptedRelay';

/**
 * The room's creator's device, offline against a scripted relay that has just said it is ready: its store, document,
 * membership and sync, started as the app starts them. `close` stops and closes it all.
 */
export async function creatorRoom(
  dbName: string,
  creator: DeviceKeys,
  room: Uint8Array,
  keys: Map<number, Uint8Array>,
) {
  const keyring = firstDeviceKeyring(creator, newSymmetricKey());
  const db = new HearthDb(dbName);
  const { connection, socket } = scriptedConnection(keyring);
  const doc = new Y.Doc();
  const membership = new RoomMembership({
    connection,
    keyring,
    room,
    creator: creator.signPublic,
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
    trust: { creator: creator.signPublic, inviteSecrets: [] },
    doc,
    membership,
  });
  membership.attach(sync);
  await sync.load();
  membership.start();
  sync.start();
  socket.receive({ type: 'ready' });
  const close = () => {
    membership.stop();
    sync.stop();
    connection.stop();
    doc.destroy();
    db.close();
  };
  return { db, doc, socket, sync, membership, close };
}
