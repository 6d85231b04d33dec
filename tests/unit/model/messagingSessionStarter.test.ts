import 'fake-indexeddb/auto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cryptoReady, newSymmetricKey, toBase64Url } from '$lib/crypto';
import type { Conversation } from '$lib/model/conversation';
import type { MessagingSessionError } from '$lib/model/messagingSessions';
import type { HearthDb } from '$lib/store/db';
import { firstDeviceKeyring } from '$lib/sync/keyring';
import { applied, entryOn, identity, roomWith, type Identity } from '../support/membershipLog';
import { clientWrites, fromElsewhere, openOffline, therapistRoom } from '../support/offlineConversation';
import { freshDb } from '../support/testDb';

const MINUTE = 60_000;

describe('who may start a messaging session', () => {
  let db: HearthDb;
  let conversation: Conversation;
  let therapist: Identity;
  let client: Identity;
  let former: Identity;
  let madeUp: Identity;

  beforeAll(async () => {
    await cryptoReady();
    [therapist, client, former, madeUp] = [identity(), identity(), identity(), identity()];
  });

  afterEach(async () => {
    conversation?.close();
    await db?.delete();
  });

  function session(by: Identity, at: number) {
    return { id: crypto.randomUUID(), by: by.key, at, minutes: 15 };
  }

  it('counts only sessions started by someone the signed membership log names, now or before', async () => {
    db = freshDb();
    const keyring = firstDeviceKeyring(therapist, newSymmetricKey());
    const record = therapistRoom(keyring, 'Sam');
    const start = roomWith(record.room, therapist, [client, former]);
    const removal = entryOn(start.state, 'remove', therapist, former);
    applied(start.state, removal, start.log.length);
    const log = [...start.log, { entry: removal, afterSeq: start.log.length }];
    record.log = log.map((l) => ({ entry: toBase64Url(l.entry), afterSeq: l.afterSeq }));
    conversation = await openOffline(db, keyring, record);
    expect(conversation.participants().map((p) => p.key)).toEqual([therapist.key, client.key]);

    clientWrites(conversation, { key: client.key, name: 'Sam' }, []);
    const now = Date.now();
    const byFormer = session(former, now - 3 * 60 * MINUTE);
    const byMadeUp = session(madeUp, now - 2 * 60 * MINUTE);
    const byClient = session(client, now - 60 * MINUTE);
    fromElsewhere(conversation, (doc) => {
      // Anyone who can write the document can introduce a key of their own making.
      doc.getMap('people').set(madeUp.key, { name: 'Dr. Who', role: 'therapist', replyPromise: '' });
      doc.getArray('sessions').push([byFormer, byMadeUp, byClient]);
    });

    expect(conversation.messagingSessions().map((s) => s.id)).toEqual([byFormer.id, byClient.id]);
  });

  it('refuses to start one for someone the log does not name yet, and writes nothing', async () => {
    db = freshDb();
    const keyring = firstDeviceKeyring(client, newSymmetricKey());
    const record = { ...therapistRoom(keyring, 'Dr. Ellis'), creator: toBase64Url(therapist.signPublic) };
    const { log } = roomWith(record.room, therapist);
    record.log = log.map((l) => ({ entry: toBase64Url(l.entry), afterSeq: l.afterSeq }));
    conversation = await openOffline(db, keyring, record);

    const error = await conversation.startMessagingSession(15).catch((e: unknown) => e);
    expect((error as MessagingSessionError).code).toBe('not_a_member');
    expect(conversation.doc.getArray('sessions').length).toBe(0);
  });

  it('in a room from before membership logs, counts those of the people introduced there', async () => {
    db = freshDb();
    const keyring = firstDeviceKeyring(therapist, newSymmetricKey());
    conversation = await openOffline(db, keyring, therapistRoom(keyring, 'Sam'));
    clientWrites(conversation, { key: client.key, name: 'Sam' }, []);
    const byClient = session(client, Date.now() - 60 * MINUTE);
    const byStranger = session(madeUp, Date.now() - 30 * MINUTE);
    fromElsewhere(conversation, (doc) => doc.getArray('sessions').push([byClient, byStranger]));

    expect(conversation.messagingSessions().map((s) => s.id)).toEqual([byClient.id]);
  });
});
