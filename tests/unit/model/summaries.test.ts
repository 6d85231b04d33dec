import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cryptoReady, generateDeviceKeys, newSymmetricKey } from '$lib/crypto';
import type { Conversation } from '$lib/model/conversation';
import type { RoomRecord } from '$lib/model/schemas';
import { listItem, loadingOrder, summarize, type ConversationSummary } from '$lib/model/summaries';
import { SUMMARY_DELAY_MS, SummaryStore } from '$lib/model/summaryStore';
import { CONVERSATION_PAGE_ITEMS, MAX_MESSAGE_CHARS, SUMMARY_PREVIEW_CHARS } from '$lib/protocol/limits';
import { toHex } from '$lib/protocol/hex';
import { HearthDb, type RecordRow } from '$lib/store/db';
import { firstDeviceKeyring, type Keyring } from '$lib/sync/keyring';
import { RecordStore } from '$lib/sync/records';
import { containsBytes, rowBytes } from '../support/containsBytes';
import { clientWrites, openOffline, THERAPIST, therapistRoom } from '../support/offlineConversation';
import { readRawRows } from '../support/rawIndexedDb';

const CLIENT = 'Sam Okafor';
const SECRET = 'the argument with my sister on Sunday';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Device {
  db: HearthDb;
  keyring: Keyring;
  records: RecordStore;
  record: RoomRecord;
  conversation: Conversation;
  me: string;
}

/** A therapist's device with one conversation, offline, opened as the app does. */
async function therapistDevice(dbName: string): Promise<Device> {
  const db = new HearthDb(dbName);
  const keyring = firstDeviceKeyring(generateDeviceKeys(), newSymmetricKey());
  const records = new RecordStore(db, keyring.storageKey);
  const record = therapistRoom(keyring, CLIENT);
  const conversation = await openOffline(db, keyring, record);
  return { db, keyring, records, record, conversation, me: toHex(keyring.signPublic) };
}

function close(device: Device): void {
  device.conversation.close();
  device.db.close();
}

function clientJoinsAndWrites(conversation: Conversation, client: string, texts: string[]): void {
  clientWrites(conversation, { key: client, name: CLIENT }, texts);
}

describe('conversation summaries', () => {
  const dbNames: string[] = [];
  const newDbName = () => {
    const name = `test-${crypto.randomUUID()}`;
    dbNames.push(name);
    return name;
  };
  let client = '';

  beforeAll(async () => {
    await cryptoReady();
    client = toHex(generateDeviceKeys().signPublic);
  });

  afterEach(async () => {
    for (const name of dbNames.splice(0)) await Dexie.delete(name);
  });

  /** A therapist's device whose conversation holds the client's SECRET, its summary stored and the store closed. */
  async function deviceWithStoredSummary(): Promise<{ dbName: string; device: Device }> {
    const dbName = newDbName();
    const device = await therapistDevice(dbName);
    clientJoinsAndWrites(device.conversation, client, [SECRET]);
    const store = new SummaryStore(device.records, device.me, () => {});
    store.track(device.conversation);
    await store.close();
    return { dbName, device };
  }

  it('holds the topic, the other participant, the last message, the unread count, the unsent mark and who waits', async () => {
    const device = await therapistDevice(newDbName());
    const { conversation, me } = device;
    clientJoinsAndWrites(conversation, client, ['Hello', 'Are you there?', SECRET]);

    let summary = summarize(conversation, me);
    expect(summary).toEqual({
      room: device.record.room,
      topic: `Messages with ${THERAPIST.name}`,
      participants: [CLIENT],
      participantKeys: [client],
      preview: { text: SECRET, mine: false, author: CLIENT },
      lastActivity: conversation.messages()[2].at,
      unread: 3,
      unsent: false,
      // The client has waited for a reply since their first unanswered message.
      waitingSince: conversation.messages()[0].at,
    });

    // Offline, a reply stays queued on this device: the list marks the conversation as having unsent messages.
    await conversation.send('x'.repeat(MAX_MESSAGE_CHARS));
    summary = summarize(conversation, me);
    expect(summary.unsent).toBe(true);
    // Answered: nobody is waiting any more.
    expect(summary.waitingSince).toBeNull();
    expect(summary.preview).toEqual({
      text: 'x'.repeat(SUMMARY_PREVIEW_CHARS),
      mine: true,
      author: THERAPIST.name,
    });

    // Opening the conversation marks what it shows as read.
    conversation.markRead();
    await sleep(300);
    expect(summarize(conversation, me).unread).toBe(0);
    close(device);
  });

  it('are sealed at rest and read back as they were after a restart', async () => {
    const { dbName, device } = await deviceWithStoredSummary();

    const rows = (await readRawRows(dbName, 'records')) as RecordRow[];
    expect(rows.map((r) => r.kind).sort()).toEqual(['recent', 'summary']);
    for (const needle of [SECRET, CLIENT, THERAPIST.name, 'Messages with']) {
      for (const row of rows)
        expect(containsBytes(rowBytes(row), new TextEncoder().encode(needle))).toBe(false);
    }

    const expected = summarize(device.conversation, device.me);
    const reopened = new SummaryStore(device.records, device.me, () => {});
    await reopened.load();
    expect(reopened.get(device.record.room)).toEqual(expected);
    close(device);
  });

  it('follow the conversation after it changes, and say the list changed', async () => {
    const dbName = newDbName();
    const device = await therapistDevice(dbName);
    let changes = 0;
    const store = new SummaryStore(device.records, device.me, () => changes++);
    store.track(device.conversation);
    const before = changes;

    clientJoinsAndWrites(device.conversation, client, ['First', 'Second']);
    await sleep(SUMMARY_DELAY_MS * 3);
    expect(store.get(device.record.room)?.preview?.text).toBe('Second');
    expect(store.get(device.record.room)?.unread).toBe(2);
    expect(changes).toBeGreaterThan(before);
    await store.flush();

    const reopened = new SummaryStore(device.records, device.me, () => {});
    await reopened.load();
    expect(reopened.get(device.record.room)?.preview?.text).toBe('Second');
    close(device);
  });

  it('keep the latest page of lines, and how many there are in all, for the next opening', async () => {
    const device = await therapistDevice(newDbName());
    const texts = Array.from({ length: CONVERSATION_PAGE_ITEMS + 20 }, (_, i) => `line ${i + 1}`);
    clientJoinsAndWrites(device.conversation, client, texts);
    const store = new SummaryStore(device.records, device.me, () => {});
    store.track(device.conversation);
    await store.flush();

    const recent = await store.recent(device.record.room);
    const audit = device.conversation.auditTrail().length;
    expect(recent?.total).toBe(texts.length + audit);
    expect(recent?.items).toHaveLength(CONVERSATION_PAGE_ITEMS);
    const last = recent?.items.at(-1);
    expect(last?.type === 'message' && last.message.text).toBe(texts.at(-1));
    close(device);
  });

  it('that do not open are left out, and rebuilt when their conversation loads', async () => {
    const { device } = await deviceWithStoredSummary();
    const row = await device.db.records.get(`summary:${device.record.room}`);
    if (!row) throw new Error('no summary stored');
    row.ciphertext[0] ^= 1;
    await device.db.records.put(row);

    const reopened = new SummaryStore(device.records, device.me, () => {});
    await reopened.load();
    expect(reopened.get(device.record.room)).toBeUndefined();
    reopened.track(device.conversation);
    await reopened.flush();
    const again = new SummaryStore(device.records, device.me, () => {});
    await again.load();
    expect(again.get(device.record.room)?.preview?.text).toBe(SECRET);
    close(device);
  });
});

describe('the conversations list before rooms are loaded', () => {
  const record = (room: string, createdAt: number): RoomRecord => ({
    room: room.repeat(32),
    epoch: 0,
    keys: {},
    creator: '',
    inviteSecrets: [],
    createdAt,
    label: `label ${room}`,
    inviteLink: '',
    log: [],
    pendingMembership: [],
  });
  const summary = (room: string, lastActivity: number): ConversationSummary => ({
    room: room.repeat(32),
    topic: '',
    participants: [],
    participantKeys: [],
    preview: null,
    lastActivity,
    unread: 0,
    unsent: false,
    waitingSince: null,
  });

  it('shows a room it knows nothing of yet from its record, as pending', () => {
    expect(listItem(record('a', 5), undefined)).toMatchObject({
      room: 'a'.repeat(32),
      label: 'label a',
      lastActivity: 5,
      pending: true,
      preview: null,
    });
    expect(listItem(record('a', 5), summary('a', 9))).toMatchObject({ lastActivity: 9, pending: false });
  });

  it('loads rooms the list knows nothing of first, then the most recently active', () => {
    const rooms = [record('a', 1), record('b', 2), record('c', 3), record('d', 4)];
    const summaries = new Map([
      ['a'.repeat(32), summary('a', 50)],
      ['c'.repeat(32), summary('c', 70)],
    ]);
    expect(loadingOrder(rooms, summaries).map((r) => r.room[0])).toEqual(['d', 'b', 'c', 'a']);
  });
});
