import 'fake-indexeddb/auto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cryptoReady, generateDeviceKeys, newSymmetricKey } from '$lib/crypto';
import { AWAY_MAP } from '$lib/model/awayReply';
import type { Conversation } from '$lib/model/conversation';
import { toHex } from '$lib/protocol/hex';
import type { HearthDb } from '$lib/store/db';
import { firstDeviceKeyring } from '$lib/sync/keyring';
import { fromElsewhere, openOffline, therapistRoom } from '../support/offlineConversation';
import { freshDb } from '../support/testDb';

describe('the unread count', () => {
  let db: HearthDb;
  let conversation: Conversation;

  beforeAll(cryptoReady);

  afterEach(async () => {
    conversation?.close();
    await db?.delete();
  });

  it('counts exactly the messages from others that the conversation shows', async () => {
    db = freshDb();
    const keyring = firstDeviceKeyring(generateDeviceKeys(), newSymmetricKey());
    conversation = await openOffline(db, keyring, therapistRoom(keyring, 'Dr. Ellis'));
    const other = toHex(generateDeviceKeys().signPublic);
    const at = Date.now();
    const away = (n: number) => ({
      id: crypto.randomUUID(),
      by: other,
      n,
      text: 'I am away until Monday.',
      at: at + n,
      auto: 'away' as const,
    });
    // Two of the other person's devices raced and both sent the day's away message: the map names one.
    const [shown, hidden] = [away(1), away(2)];
    const reply = { id: crypto.randomUUID(), by: other, n: 3, text: 'Back now.', at: at + 3 };
    fromElsewhere(conversation, (doc) => {
      doc.getMap('people').set(other, { name: 'Rowan', role: 'therapist', replyPromise: '' });
      doc.getMap(AWAY_MAP).set('2030-03-04', { id: shown.id, by: other, at: shown.at });
      doc.getArray('messages').push([shown, hidden, reply]);
    });

    const fromOthers = conversation.messages().filter((m) => !m.mine);
    expect(fromOthers.map((m) => m.id)).toEqual([shown.id, reply.id]);
    expect(conversation.unreadCount()).toBe(fromOthers.length);
  });
});
