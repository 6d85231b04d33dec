import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import * as Y from 'yjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cryptoReady, generateDeviceKeys, newSymmetricKey } from '$lib/crypto';
import type { Conversation } from '$lib/model/conversation';
import { Search, SearchError, SEARCH_INDEX_BUILT_MARK, type SearchHost } from '$lib/model/search';
import { listItem } from '$lib/model/summaries';
import { SEARCH_MAX_QUERY_CHARS, SEARCH_SEGMENT_MESSAGES } from '$lib/protocol/limits';
import { toHex } from '$lib/protocol/hex';
import { HearthDb, type RecordRow } from '$lib/store/db';
import { firstDeviceKeyring, type Keyring } from '$lib/sync/keyring';
import { RecordStore } from '$lib/sync/records';
import { REMOTE_ORIGIN } from '$lib/sync/roomSync';
import { containsBytes, rowBytes } from '../support/containsBytes';
import { clientWrites, openOffline, therapistRoom } from '../support/offlineConversation';
import { readRawRows } from '../support/rawIndexedDb';

const CLIENT = 'Sam Okafor';
const STORES = ['vault', 'records', 'envelopes', 'outbox', 'cursors', 'statuses', 'snapshots'];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Device {
  db: HearthDb;
  keyring: Keyring;
  records: RecordStore;
  conversation: Conversation;
}

/** The session's side of search: one conversation on the device, loaded when `loaded` says so. */
function hostFor(device: Device, loaded = true): SearchHost & { opened: string[] } {
  const opened: string[] = [];
  const { conversation } = device;
  const conversations = new Map(loaded ? [[conversation.room, conversation]] : []);
  const item = () => ({
    ...listItem(conversation.record, undefined),
    topic: 'Weekly',
    participants: [CLIENT],
  });
  return {
    opened,
    conversations,
    index: {
      list: () => [item()],
      item: (room) => (room === conversation.room ? item() : undefined),
      open: async (room) => {
        opened.push(room);
        return conversation;
      },
    },
  };
}

/** A search over the device, its stored index read. */
async function started(device: Device, host = hostFor(device)): Promise<Search> {
  const search = new Search(device.records, host, () => {});
  search.start();
  await until(() => search.progress.phase !== 'loading');
  return search;
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await sleep(10);
  expect(check()).toBe(true);
}

function found(search: Search, query: string): string[] {
  return search.query(query).results.map((r) => r.messageId);
}

function textOf(conversation: Conversation, id: string): string | undefined {
  return conversation.messages().find((m) => m.id === id)?.text;
}

/** Another participant puts a message at the start of the document, as a merge of concurrent edits may. */
function peerInsertsFirst(conversation: Conversation, by: string, text: string): string {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(conversation.doc));
  const updates: Uint8Array[] = [];
  doc.on('update', (update: Uint8Array) => updates.push(update));
  const id = crypto.randomUUID();
  doc.getArray('messages').insert(0, [{ id, by, n: 99, text, at: 500 }]);
  Y.applyUpdate(conversation.doc, Y.mergeUpdates(updates), REMOTE_ORIGIN);
  doc.destroy();
  return id;
}

async function searchRows(db: HearthDb): Promise<RecordRow[]> {
  return db.records.where('kind').equals('search').toArray();
}

describe('search', () => {
  const devices: Device[] = [];
  let client = '';

  beforeAll(async () => {
    await cryptoReady();
    client = toHex(generateDeviceKeys().signPublic);
  });

  afterEach(async () => {
    for (const { conversation, db } of devices.splice(0)) {
      conversation.close();
      db.close();
      await Dexie.delete(db.name);
    }
  });

  async function device(): Promise<Device> {
    const db = new HearthDb(`test-${crypto.randomUUID()}`);
    const keyring = firstDeviceKeyring(generateDeviceKeys(), newSymmetricKey());
    const conversation = await openOffline(db, keyring, therapistRoom(keyring, CLIENT));
    const made = { db, keyring, records: new RecordStore(db, keyring.storageKey), conversation };
    devices.push(made);
    return made;
  }

  it('indexes a conversation once it loads, and each message added after, wherever it lands', async () => {
    const d = await device();
    clientWrites(d.conversation, { key: client, name: CLIENT }, ['Anxiety kept me up', 'Sleep was better']);
    const search = await started(d);
    search.track(d.conversation);
    await until(() => found(search, 'anx').length === 1);
    expect(search.progress).toEqual({ phase: 'ready', done: 1, total: 1 });

    await d.conversation.send('Try the breathing exercise before bed');
    const middle = peerInsertsFirst(d.conversation, client, 'Written earlier on the train, about breathing');
    expect(d.conversation.messages()[0].id).toBe(middle);
    await until(() => found(search, 'breath').length === 2);

    const [first, second] = search.query('breath').results;
    // Newest first: the message put at the start of the document was written earliest.
    expect(textOf(d.conversation, first.messageId)).toBe('Try the breathing exercise before bed');
    expect(second.messageId).toBe(middle);
    expect(first).toMatchObject({ authorName: 'You', mine: true, topic: 'Weekly', participants: [CLIENT] });
    expect(second.snippet?.filter((p) => p.match).map((p) => p.text)).toEqual(['breathing']);
    expect(found(search, 'sleep bett')).toHaveLength(1);
    expect(found(search, 'sleep anx')).toEqual([]);
    await search.close();
  });

  it('reads the index back from the store after a restart, and loads a conversation a result needs', async () => {
    const d = await device();
    clientWrites(d.conversation, { key: client, name: CLIENT }, ['Thursday appointment works']);
    const first = await started(d);
    first.track(d.conversation);
    await until(() => found(first, 'appoint').length === 1);
    await first.close();

    const host = hostFor(d, false);
    const again = await started(d, host);
    expect(again.progress.phase).toBe('ready');
    const [result] = again.query('thursday appo').results;
    // The conversation has not loaded: the result says where and when, and asks for the conversation.
    expect(result).toMatchObject({ room: d.conversation.room, snippet: null, authorName: null });
    expect(host.opened).toEqual([d.conversation.room]);
    await again.close();
  });

  it('rewrites only the last part of a room when a message is added', async () => {
    const d = await device();
    const texts = Array.from({ length: SEARCH_SEGMENT_MESSAGES + 10 }, (_, i) => `note number${i}`);
    clientWrites(d.conversation, { key: client, name: CLIENT }, texts);
    const search = await started(d);
    search.track(d.conversation);
    await until(() => search.progress.phase === 'ready');
    await search.flush();
    const before = await searchRows(d.db);
    expect(before).toHaveLength(2);

    await d.conversation.send('one more note');
    await until(() => found(search, 'more').length === 1);
    await search.flush();
    const after = await searchRows(d.db);
    const changed = after.filter((row) => {
      const old = before.find((b) => b.id === row.id);
      return !old || toHex(old.ciphertext) !== toHex(row.ciphertext);
    });
    expect(changed.map((row) => row.id)).toEqual([`search:${d.conversation.room}:1`]);
    await search.close();
  });

  it('rebuilds a part that does not open from the conversation, and deletes the unreadable one', async () => {
    const d = await device();
    const texts = Array.from({ length: SEARCH_SEGMENT_MESSAGES + 5 }, (_, i) => `entry marker${i}`);
    clientWrites(d.conversation, { key: client, name: CLIENT }, texts);
    const first = await started(d);
    first.track(d.conversation);
    await until(() => first.progress.phase === 'ready');
    await first.close();
    const damaged = `search:${d.conversation.room}:0`;
    const row = (await d.db.records.get(damaged)) as RecordRow;
    row.ciphertext[5] ^= 1;
    await d.db.records.put(row);

    const again = await started(d);
    expect(again.progress).toEqual({ phase: 'building', done: 0, total: 1 });
    expect(found(again, 'marker0 ')).toEqual([]);
    expect(found(again, `marker${SEARCH_SEGMENT_MESSAGES + 1} `)).toHaveLength(1);
    expect(await d.db.records.get(damaged)).toBeUndefined();

    again.track(d.conversation);
    await until(() => again.progress.phase === 'ready');
    expect(found(again, 'marker0 ')).toHaveLength(1);
    expect(again.query('entry').total).toBe(texts.length);
    await again.close();
    const marks = performance.getEntriesByName(SEARCH_INDEX_BUILT_MARK);
    expect(marks.length).toBeGreaterThan(0);

    const third = await started(d, hostFor(d, false));
    expect(third.query('entry').total).toBe(texts.length);
    await third.close();
  });

  it('locked in the middle of a first build, stores what it has and indexes the rest after the next unlock', async () => {
    const d = await device();
    const texts = Array.from({ length: 2_500 }, (_, i) => `line tag${i}`);
    clientWrites(d.conversation, { key: client, name: CLIENT }, texts);
    const first = await started(d);
    first.track(d.conversation);
    await first.close();
    const stored = await started(d, hostFor(d, false));
    expect(stored.query('line').total).toBeGreaterThan(0);
    expect(stored.query('line').total).toBeLessThan(texts.length);
    // The stored index says the conversation was not gone through to the end.
    expect(stored.progress).toEqual({ phase: 'building', done: 0, total: 1 });
    await stored.close();

    const again = await started(d);
    again.track(d.conversation);
    await until(() => again.query('line').total === texts.length);
    expect(found(again, 'tag2499 ')).toHaveLength(1);
    await again.close();
    const complete = await started(d, hostFor(d, false));
    expect(complete.progress.phase).toBe('ready');
    await complete.close();
  });

  it('keeps the index sealed: no word of the messages is anywhere in IndexedDB', async () => {
    const d = await device();
    const words = ['insomnia', 'Rosalind', 'tachycardia', 'Wexford', 'clonazepam'];
    clientWrites(d.conversation, { key: client, name: CLIENT }, [
      'My insomnia came back after Rosalind called',
      'The tachycardia in Wexford scared me',
    ]);
    await d.conversation.send('Did the clonazepam help?');
    const search = await started(d);
    search.track(d.conversation);
    await until(() => found(search, 'clonaz').length === 1);
    await search.close();

    expect(await searchRows(d.db)).toHaveLength(1);
    let rows = 0;
    for (const store of STORES) {
      for (const stored of await readRawRows(d.db.name, store)) {
        rows++;
        const bytes = rowBytes(stored);
        for (const word of words) {
          for (const form of [word, word.toLowerCase()]) {
            expect(containsBytes(bytes, new TextEncoder().encode(form)), `${word} in ${store}`).toBe(false);
          }
        }
      }
    }
    expect(rows).toBeGreaterThan(3);
  });

  it('refuses a query over the length limit, and finds nothing for one with no word', async () => {
    const d = await device();
    const search = await started(d);
    expect(() => search.query('a'.repeat(SEARCH_MAX_QUERY_CHARS + 1))).toThrow(SearchError);
    expect(search.query(' ,.; ')).toEqual({ results: [], total: 0 });
    await search.close();
  });
});
