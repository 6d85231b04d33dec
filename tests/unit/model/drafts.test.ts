import 'fake-indexeddb/auto';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { cryptoReady, generateDeviceKeys, newSymmetricKey } from '$lib/crypto';
import { DRAFT_SAVE_DELAY_MS, Draft, DraftError, Drafts } from '$lib/model/drafts';
import { Session } from '$lib/model/session';
import { MAX_DRAFT_CHARS } from '$lib/protocol/limits';
import type { HearthDb, RecordRow } from '$lib/store/db';
import { firstDeviceKeyring } from '$lib/sync/keyring';
import { RecordStore } from '$lib/sync/records';
import { containsBytes, rowBytes } from '../support/containsBytes';
import { readRawRows } from '../support/rawIndexedDb';
import { pointAtRelay } from '../support/sessions';
import { freshDb } from '../support/testDb';

const ROOM = 'a1'.repeat(16);
const OTHER_ROOM = 'b2'.repeat(16);
const DRAFT = 'I keep thinking about what my father said at the funeral';

describe('drafts', () => {
  let db: HearthDb;

  beforeAll(async () => {
    await cryptoReady();
  });

  afterEach(async () => {
    vi.useRealTimers();
    await db?.delete();
  });

  function device(key = newSymmetricKey()) {
    const records = new RecordStore(db, key);
    return { key, records, drafts: new Drafts(records, () => {}) };
  }

  it('are sealed at rest, one record per conversation, and come back after a restart', async () => {
    db = freshDb();
    const { key, drafts } = device();
    drafts.set(ROOM, DRAFT);
    drafts.set(OTHER_ROOM, 'short one');
    await drafts.flush();

    const rows = (await readRawRows(db.name, 'records')) as RecordRow[];
    expect(rows.map((r) => [r.id, r.kind]).sort()).toEqual([
      [`draft:${ROOM}`, 'draft'],
      [`draft:${OTHER_ROOM}`, 'draft'],
    ]);
    for (const needle of [DRAFT, 'father', 'short one']) {
      for (const row of rows)
        expect(containsBytes(rowBytes(row), new TextEncoder().encode(needle))).toBe(false);
    }

    // Unlocked again: a new session reads them back.
    const again = device(key).drafts;
    await again.load();
    expect(again.get(ROOM)).toBe(DRAFT);
    expect(again.get(OTHER_ROOM)).toBe('short one');
    expect(again.has(ROOM)).toBe(true);
  });

  it('are written once per burst of typing, the delay after the first change, with the latest text', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    db = freshDb();
    const { records, drafts } = device();
    const putAll = vi.spyOn(records, 'putAll');
    drafts.set(ROOM, 'I');
    drafts.set(ROOM, 'I keep');
    drafts.set(ROOM, DRAFT);
    await vi.advanceTimersByTimeAsync(DRAFT_SAVE_DELAY_MS - 1);
    expect(putAll).not.toHaveBeenCalled();

    await vi.advanceTimersByTimeAsync(1);
    expect(putAll).toHaveBeenCalledTimes(1);
    expect(putAll.mock.calls[0][0]).toEqual([
      { id: `draft:${ROOM}`, kind: 'draft', value: { room: ROOM, text: DRAFT } },
    ]);
    await drafts.flush();
    expect(await records.get(`draft:${ROOM}`, Draft)).toEqual({ room: ROOM, text: DRAFT });
  });

  it('are stored at once by flush (locking), without waiting for the delay', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    db = freshDb();
    const { records, drafts } = device();
    drafts.set(ROOM, DRAFT);
    await drafts.flush();
    expect(await records.get(`draft:${ROOM}`, Draft)).toEqual({ room: ROOM, text: DRAFT });
    // Nothing is left to write when the timer would have fired.
    const putAll = vi.spyOn(records, 'putAll');
    await vi.advanceTimersByTimeAsync(DRAFT_SAVE_DELAY_MS);
    expect(putAll).not.toHaveBeenCalled();
  });

  it('are deleted when emptied or sent, and say when a conversation gains or loses one', async () => {
    db = freshDb();
    const records = new RecordStore(db, newSymmetricKey());
    const changed = vi.fn();
    const drafts = new Drafts(records, changed);
    drafts.set(ROOM, DRAFT);
    drafts.set(OTHER_ROOM, 'Thanks, see you Thursday');
    expect(changed).toHaveBeenCalledTimes(2);
    drafts.set(ROOM, `${DRAFT}.`);
    expect(changed).toHaveBeenCalledTimes(2);
    await drafts.flush();

    // Emptied (only spaces left): no draft, and no record.
    drafts.set(ROOM, '   ');
    expect(drafts.has(ROOM)).toBe(false);
    expect(changed).toHaveBeenCalledTimes(3);
    await drafts.flush();
    expect(await records.get(`draft:${ROOM}`, Draft)).toBeUndefined();

    // Sent: cleared at once.
    await drafts.clear(OTHER_ROOM);
    expect(drafts.get(OTHER_ROOM)).toBe('');
    expect(changed).toHaveBeenCalledTimes(4);
    expect(await readRawRows(db.name, 'records')).toEqual([]);
  });

  it('refuses a draft over the limit with a clear error and keeps the one before', async () => {
    db = freshDb();
    const { records, drafts } = device();
    drafts.set(ROOM, DRAFT);
    expect(() => drafts.set(ROOM, 'x'.repeat(MAX_DRAFT_CHARS + 1))).toThrow(DraftError);
    expect(drafts.get(ROOM)).toBe(DRAFT);
    await drafts.flush();
    expect(await records.get(`draft:${ROOM}`, Draft)).toEqual({ room: ROOM, text: DRAFT });
    drafts.set(ROOM, 'x'.repeat(MAX_DRAFT_CHARS));
    await drafts.flush();
    expect((await records.get(`draft:${ROOM}`, Draft))?.text).toHaveLength(MAX_DRAFT_CHARS);
  });

  it('typed just before the session locks, are there again when it is unlocked', async () => {
    // No relay listens here: the device stays offline, as drafts need nothing of the network.
    pointAtRelay(9);
    db = freshDb();
    const keyring = firstDeviceKeyring(generateDeviceKeys(), newSymmetricKey());
    await new RecordStore(db, keyring.storageKey).put('profile', 'profile', {
      name: 'Dr. Rowan Ellis',
      role: 'therapist',
      replyPromise: '',
    });
    const session = await Session.open(db, keyring);
    session.drafts.set(ROOM, DRAFT);
    session.close();

    const unlocked = await Session.open(db, keyring);
    expect(unlocked.drafts.get(ROOM)).toBe(DRAFT);
    unlocked.close();
  });
});
