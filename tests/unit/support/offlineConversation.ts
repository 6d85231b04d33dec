import * as Y from 'yjs';
import { toBase64Url } from '$lib/crypto';
import { Conversation } from '$lib/model/conversation';
import type { Profile, RoomRecord } from '$lib/model/schemas';
import { toHex } from '$lib/protocol/hex';
import type { HearthDb } from '$lib/store/db';
import { newRoom } from '$lib/sync/invites';
import type { Keyring } from '$lib/sync/keyring';
import { RelayConnection } from '$lib/sync/relayConnection';
import { REMOTE_ORIGIN } from '$lib/sync/roomSync';

export const THERAPIST: Profile = {
  name: 'Dr. Rowan Ellis',
  role: 'therapist',
  replyPromise: 'within a day',
};

/** The record of a room this therapist made, as the device keeps it. */
export function therapistRoom(keyring: Keyring, label: string, createdAt = 1_000): RoomRecord {
  const { room, roomKey } = newRoom();
  return {
    room: toHex(room),
    epoch: 0,
    keys: { 0: toBase64Url(roomKey) },
    creator: toBase64Url(keyring.signPublic),
    inviteSecrets: [],
    createdAt,
    label,
    inviteLink: '',
    log: [],
    pendingMembership: [],
  };
}

/** Open a room's conversation as the app does, with a relay connection that never starts: offline throughout. */
export async function openOffline(db: HearthDb, keyring: Keyring, record: RoomRecord): Promise<Conversation> {
  const connection = new RelayConnection('ws://relay.invalid/sync', keyring);
  const conversation = new Conversation(db, connection, keyring, record, THERAPIST, async () => {});
  await conversation.open();
  return conversation;
}

/**
 * The client introduces themselves and writes `texts`, applied as if it had arrived from the relay (after the
 * introductions in the audit trail, as in a real conversation).
 */
export function clientWrites(
  conversation: Conversation,
  client: { key: string; name: string },
  texts: string[],
  from = 1,
): void {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(conversation.doc));
  const updates: Uint8Array[] = [];
  doc.on('update', (update: Uint8Array) => updates.push(update));
  doc.transact(() => {
    doc.getMap('people').set(client.key, { name: client.name, role: 'client', replyPromise: '' });
    const at = Date.now() + 1_000;
    texts.forEach((text, i) => {
      const entry = { id: crypto.randomUUID(), by: client.key, n: from + i, text, at: at + i };
      doc.getArray('messages').push([entry]);
    });
  });
  Y.applyUpdate(conversation.doc, Y.mergeUpdates(updates), REMOTE_ORIGIN);
  doc.destroy();
}

/** Apply a change as if it had arrived from another device through the relay. */
export function fromElsewhere(conversation: Conversation, change: (doc: Y.Doc) => void): void {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(conversation.doc));
  const updates: Uint8Array[] = [];
  doc.on('update', (update: Uint8Array) => updates.push(update));
  doc.transact(() => change(doc));
  Y.applyUpdate(conversation.doc, Y.mergeUpdates(updates), REMOTE_ORIGIN);
  doc.destroy();
}
