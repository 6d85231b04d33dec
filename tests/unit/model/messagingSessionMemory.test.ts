import 'fake-indexeddb/auto';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { cryptoReady, generateDeviceKeys, newSymmetricKey } from '$lib/crypto';
import type { Conversation } from '$lib/model/conversation';
import { MessagingSessionError } from '$lib/model/messagingSessions';
import { RoomRecord } from '$lib/model/schemas';
import { toHex } from '$lib/protocol/hex';
import type { HearthDb } from '$lib/store/db';
import { firstDeviceKeyring } from '$lib/sync/keyring';
import { clientWrites, fromElsewhere, openOffline, therapistRoom } from '../support/offlineConversation';
import { freshDb } from '../support/testDb';

const MINUTE = 60_000;
const CLIENT = 'Sam Okafor';

describe('a messaging session this device has counted', () => {
  let db: HearthDb;
  let conversation: Conversation;
  let client = '';

  beforeAll(async () => {
    await cryptoReady();
    client = toHex(generateDeviceKeys().signPublic);
  });

  afterEach(async () => {
    conversation?.close();
    await db?.delete();
  });

  /** A therapist's conversation, offline, where the client started a 30-minute session 5 minutes ago. */
  async function withClientSession(): Promise<{ id: string; at: number; by: string; minutes: number }> {
    db = freshDb();
    const keyring = firstDeviceKeyring(generateDeviceKeys(), newSymmetricKey());
    conversation = await openOffline(db, keyring, therapistRoom(keyring, CLIENT));
    clientWrites(conversation, { key: client, name: CLIENT }, []);
    const real = { id: crypto.randomUUID(), by: client, at: Date.now() - 5 * MINUTE, minutes: 30 };
    fromElsewhere(conversation, (doc) => doc.getArray('sessions').push([real]));
    // The device remembers it in the room's sealed record.
    await vi.waitFor(() => expect(conversation.record.sessions?.map((s) => s.id)).toEqual([real.id]));
    expect(RoomRecord.parse(conversation.record).sessions).toEqual([real]);
    return real;
  }

  function sessionLines(): string[] {
    return conversation
      .auditTrail()
      .filter((l) => l.kind.startsWith('session'))
      .map((l) => l.text);
  }

  it('is not replaced by an entry added later and dated a little before it', async () => {
    const real = await withClientSession();
    const backdated = { id: crypto.randomUUID(), by: client, at: real.at - 1_000, minutes: 15 };
    fromElsewhere(conversation, (doc) => doc.getArray('sessions').push([backdated]));

    expect(conversation.messagingSessions().map((s) => s.id)).toEqual([real.id]);
    expect(conversation.runningMessagingSession()?.id).toBe(real.id);
  });

  it('is not replaced by a backdated entry slipped in before it in the document', async () => {
    const real = await withClientSession();
    const backdated = { id: crypto.randomUUID(), by: client, at: real.at - 1_000, minutes: 15 };
    fromElsewhere(conversation, (doc) => doc.getArray('sessions').insert(0, [backdated]));

    expect(conversation.messagingSessions().map((s) => s.id)).toEqual([real.id]);
    expect(sessionLines()).toEqual([`${CLIENT} started a 30-minute messaging session`]);
  });

  it('still shows, runs its time and blocks another when its entry is deleted', async () => {
    const real = await withClientSession();
    fromElsewhere(conversation, (doc) => doc.getArray('sessions').delete(0, 1));
    expect(conversation.doc.getArray('sessions').length).toBe(0);

    expect(conversation.runningMessagingSession()?.id).toBe(real.id);
    expect(sessionLines()).toEqual([`${CLIENT} started a 30-minute messaging session`]);
    const error = await conversation.startMessagingSession(15).catch((e: unknown) => e);
    expect((error as MessagingSessionError).code).toBe('already_running');
  });
});
