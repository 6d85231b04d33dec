import 'fake-indexeddb/auto';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { cryptoReady, generateDeviceKeys, newSymmetricKey } from '$lib/crypto';
import type { Conversation } from '$lib/model/conversation';
import { MessagingSessionError } from '$lib/model/messagingSessions';
import { toHex } from '$lib/protocol/hex';
import { MAX_CLOCK_SKEW_MS } from '$lib/protocol/limits';
import type { HearthDb } from '$lib/store/db';
import { firstDeviceKeyring } from '$lib/sync/keyring';
import { clientWrites, fromElsewhere, openOffline, therapistRoom } from '../support/offlineConversation';
import { freshDb } from '../support/testDb';

const MINUTE = 60_000;
const CLIENT = 'Sam Okafor';
const NOW = new Date('2030-03-04T10:00:00Z').getTime();

describe('messaging sessions dated ahead of this device’s clock', () => {
  let db: HearthDb;
  let conversation: Conversation;
  let client = '';

  beforeAll(async () => {
    await cryptoReady();
    client = toHex(generateDeviceKeys().signPublic);
  });

  afterEach(async () => {
    vi.useRealTimers();
    conversation?.close();
    await db?.delete();
  });

  /** A therapist's conversation, offline, where the client has started a session at `at`. */
  async function withClientSessionAt(at: number): Promise<{ id: string }> {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
    db = freshDb();
    const keyring = firstDeviceKeyring(generateDeviceKeys(), newSymmetricKey());
    conversation = await openOffline(db, keyring, therapistRoom(keyring, CLIENT));
    clientWrites(conversation, { key: client, name: CLIENT }, []);
    const entry = { id: crypto.randomUUID(), by: client, at, minutes: 60 };
    fromElsewhere(conversation, (doc) => doc.getArray('sessions').push([entry]));
    return entry;
  }

  it('ignores one dated further ahead than clocks drift, so it neither runs nor blocks a new one', async () => {
    await withClientSessionAt(NOW + 24 * 60 * MINUTE);

    expect(conversation.messagingSessions()).toEqual([]);
    expect(conversation.runningMessagingSession()).toBeNull();
    await conversation.startMessagingSession(15);
    expect(conversation.runningMessagingSession()).toMatchObject({ byName: 'You', minutes: 15, at: NOW });
  });

  it('runs one dated a little ahead only once its time comes, and does not start another over it', async () => {
    const early = await withClientSessionAt(NOW + MAX_CLOCK_SKEW_MS);

    expect(conversation.messagingSessions().map((s) => s.id)).toEqual([early.id]);
    expect(conversation.runningMessagingSession()).toBeNull();
    const error = await conversation.startMessagingSession(15).catch((e: unknown) => e);
    expect((error as MessagingSessionError).code).toBe('already_running');

    vi.setSystemTime(NOW + MAX_CLOCK_SKEW_MS);
    expect(conversation.runningMessagingSession()?.id).toBe(early.id);
  });
});
