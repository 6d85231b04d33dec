import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cryptoReady, generateDeviceKeys, newSymmetricKey } from '$lib/crypto';
import type { Conversation } from '$lib/model/conversation';
import { ConversationIndex } from '$lib/model/conversationIndex';
import type { RoomRecord } from '$lib/model/schemas';
import { toHex } from '$lib/protocol/hex';
import { HearthDb } from '$lib/store/db';
import { firstDeviceKeyring, type Keyring } from '$lib/sync/keyring';
import { RecordStore } from '$lib/sync/records';
import { clientWrites, openOffline, therapistRoom } from '../support/offlineConversation';

describe('the conversations index', () => {
  let keyring: Keyring;
  const names: string[] = [];
  const opened: Conversation[] = [];

  beforeAll(async () => {
    await cryptoReady();
    keyring = firstDeviceKeyring(generateDeviceKeys(), newSymmetricKey());
  });

  afterEach(async () => {
    for (const conversation of opened.splice(0)) conversation.close();
    for (const name of names.splice(0)) await Dexie.delete(name);
  });

  /** An index over `db` whose rooms open as the session opens them, offline. */
  function indexOver(db: HearthDb, open = (record: RoomRecord) => openOffline(db, keyring, record)) {
    return new ConversationIndex(
      new RecordStore(db, keyring.storageKey),
      toHex(keyring.signPublic),
      async (record) => {
        const conversation = await open(record);
        opened.push(conversation);
        return conversation;
      },
      () => {},
    );
  }

  it('lists every conversation from its stored summary before any of them is loaded', async () => {
    const name = `test-${crypto.randomUUID()}`;
    names.push(name);
    const db = new HearthDb(name);
    const sam = therapistRoom(keyring, 'Sam');
    const lee = therapistRoom(keyring, 'Lee');
    const client = (who: string) => ({ key: toHex(generateDeviceKeys().signPublic), name: who });

    // A first unlock: the rooms load behind the list, and what the list shows of each is kept.
    const first = indexOver(db);
    expect(first.list()).toEqual([]);
    await first.start([sam, lee]);
    expect(first.list().map((item) => item.pending)).toEqual([true, true]);
    await first.whenLoaded();
    const [samConversation, leeConversation] = [sam, lee].map(
      (r) => opened.find((c) => c.room === r.room) as Conversation,
    );
    clientWrites(samConversation, client('Sam Okafor'), ['An older note']);
    await new Promise((r) => setTimeout(r, 10));
    clientWrites(leeConversation, client('Lee Chen'), ['The newest note', 'and one more']);
    await first.close();
    for (const conversation of opened.splice(0)) conversation.close();

    // The next unlock: nothing opens until the list has been read, and the list is already complete.
    const loads: string[] = [];
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const next = indexOver(db, async (record) => {
      loads.push(record.room);
      await held;
      return openOffline(db, keyring, record);
    });
    await next.start([sam, lee]);
    expect(next.list()).toMatchObject([
      {
        room: lee.room,
        participants: ['Lee Chen'],
        preview: { text: 'and one more', mine: false },
        unread: 2,
        pending: false,
      },
      {
        room: sam.room,
        participants: ['Sam Okafor'],
        preview: { text: 'An older note' },
        unread: 1,
        pending: false,
      },
    ]);
    expect(next.loading).toBe(true);
    expect(loads).toEqual([]);
    // Its latest lines are there to show while it opens.
    const recent = await next.recent(lee.room);
    expect(recent?.items.at(-1)).toMatchObject({ type: 'message', message: { text: 'and one more' } });

    // Then the rooms load behind it, most recent first; one someone opens goes ahead of the rest.
    const samOpened = next.open(sam.room);
    await new Promise((r) => setTimeout(r, 100));
    expect(loads).toEqual([sam.room]);
    release();
    await samOpened;
    await next.whenLoaded();
    expect(loads).toEqual([sam.room, lee.room]);
    expect(next.loading).toBe(false);
    await next.close();
    db.close();
  });
});
