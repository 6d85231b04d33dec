import { afterEach, beforeAll, vi } from 'vitest';
import { cryptoReady, generateDeviceKeys, newSymmetricKey } from '$lib/crypto';
import type { Conversation } from '$lib/model/conversation';
import type { MessagingSessionEntry } from '$lib/model/schemas';
import { toHex } from '$lib/protocol/hex';
import type { HearthDb } from '$lib/store/db';
import { firstDeviceKeyring, type Keyring } from '$lib/sync/keyring';
import { clientWrites, openOffline, therapistRoom } from './offlineConversation';
import { freshDb } from './testDb';

/** A therapist's offline conversation with one client, for the tests of one describe block. */
export interface ClientConversation {
  /** The client's signing key (hex), made before the tests run. */
  readonly client: string;
  /** The conversation the test opened last. */
  readonly conversation: Conversation;
  /** The therapist's keyring behind that conversation. */
  readonly keyring: Keyring;
  /** Open a fresh one, offline in a database of its own, with the client introduced and having written `texts`. */
  open(texts?: string[]): Promise<Conversation>;
}

/**
 * For the describe block that calls it: the client's key made once before its tests, and after each test fake
 * timers undone, the conversation closed and its database deleted.
 */
export function clientConversation(clientName: string): ClientConversation {
  let client = '';
  let db: HearthDb | undefined;
  let conversation: Conversation | undefined;
  let keyring: Keyring | undefined;

  beforeAll(async () => {
    await cryptoReady();
    client = toHex(generateDeviceKeys().signPublic);
  });

  afterEach(async () => {
    vi.useRealTimers();
    conversation?.close();
    await db?.delete();
    db = conversation = keyring = undefined;
  });

  return {
    get client() {
      return client;
    },
    get conversation() {
      if (!conversation) throw new Error('no conversation opened in this test');
      return conversation;
    },
    get keyring() {
      if (!keyring) throw new Error('no conversation opened in this test');
      return keyring;
    },
    async open(texts = []) {
      db = freshDb();
      keyring = firstDeviceKeyring(generateDeviceKeys(), newSymmetricKey());
      conversation = await openOffline(db, keyring, therapistRoom(keyring, clientName));
      clientWrites(conversation, { key: client, name: clientName }, texts);
      return conversation;
    },
  };
}

/** A messaging session entry as a peer writes it into the document. */
export function sessionEntry(by: string, at: number, minutes: number): MessagingSessionEntry {
  return { id: crypto.randomUUID(), by, at, minutes };
}
