import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import * as Y from 'yjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cryptoReady, generateDeviceKeys, newSymmetricKey } from '$lib/crypto';
import { AWAY_MAP, awayReplyDue, shownAway } from '$lib/model/awayReply';
import { OfficeHours, type MessageEntry, type PersonEntry } from '$lib/model/schemas';
import { toHex } from '$lib/protocol/hex';
import { HearthDb } from '$lib/store/db';
import { firstDeviceKeyring } from '$lib/sync/keyring';
import { REMOTE_ORIGIN } from '$lib/sync/roomSync';
import { openOffline, therapistRoom } from '../support/offlineConversation';

const THERAPIST_KEY = 'a'.repeat(64);
const CLIENT_KEY = 'b'.repeat(64);
const AWAY = 'Thank you for your message. I am out of the office and will reply when I am back.';
const NINE_TO_FIVE = [{ start: 540, end: 1020 }];

/** Monday to Friday, 09:00 to 17:00 in London, with an away message. */
const HOURS = OfficeHours.parse({
  timeZone: 'Europe/London',
  week: [[], NINE_TO_FIVE, NINE_TO_FIVE, NINE_TO_FIVE, NINE_TO_FIVE, NINE_TO_FIVE, []],
  replyWithin: { amount: 1, unit: 'days' },
  awayMessage: AWAY,
});

function people(hours: OfficeHours | null = HOURS): Map<string, PersonEntry> {
  return new Map<string, PersonEntry>([
    [
      THERAPIST_KEY,
      { name: 'Dr. Rowan Ellis', role: 'therapist', replyPromise: '', ...(hours ? { hours } : {}) },
    ],
    [CLIENT_KEY, { name: 'Sam Okafor', role: 'client', replyPromise: '' }],
  ]);
}

function message(by: string, at: string, n = 1): MessageEntry {
  return { id: crypto.randomUUID(), by, n, text: 'Hello', at: Date.parse(at) };
}

const FRIDAY_EVENING = '2025-01-10T18:00:00Z';

/** An away message the therapist's device sent at `at`. */
function automatic(at: string): MessageEntry {
  return { ...message(THERAPIST_KEY, at), text: AWAY, auto: 'away' };
}

describe('when the away message is due', () => {
  const away = () => new Y.Doc().getMap(AWAY_MAP);
  const due = (
    entries: MessageEntry[],
    now: string,
    input: Partial<Parameters<typeof awayReplyDue>[0]> = {},
  ) =>
    awayReplyDue({
      me: THERAPIST_KEY,
      people: people(),
      entries,
      away: away(),
      running: null,
      now: Date.parse(now),
      ...input,
    });

  it('is due for a client message written outside office hours while they are still closed, for that day', () => {
    expect(due([message(CLIENT_KEY, FRIDAY_EVENING)], '2025-01-10T18:00:05Z')).toEqual({
      day: '2025-01-10',
      text: AWAY,
    });
    // Synced on Sunday, still before Monday's opening: it goes out then, for Sunday.
    expect(due([message(CLIENT_KEY, FRIDAY_EVENING)], '2025-01-12T20:00:00Z')?.day).toBe('2025-01-12');
    // The day is the therapist's: 23:30 in New York on Friday is already Saturday in London.
    expect(due([message(CLIENT_KEY, '2025-01-11T04:30:00Z')], '2025-01-11T04:30:01Z')?.day).toBe(
      '2025-01-11',
    );
  });

  it('is not due in office hours, after an opening passed, for one’s own or no message, or without an away message', () => {
    expect(due([message(CLIENT_KEY, '2025-01-10T10:00:00Z')], '2025-01-10T10:00:01Z')).toBeNull();
    // Written Friday evening, first seen Monday evening: it waited through office hours and wants a reply instead.
    expect(due([message(CLIENT_KEY, FRIDAY_EVENING)], '2025-01-13T18:00:00Z')).toBeNull();
    expect(
      due([message(CLIENT_KEY, FRIDAY_EVENING), message(THERAPIST_KEY, FRIDAY_EVENING)], FRIDAY_EVENING),
    ).toBeNull();
    expect(due([], FRIDAY_EVENING)).toBeNull();
    const quiet = OfficeHours.parse({ ...HOURS, awayMessage: '' });
    expect(due([message(CLIENT_KEY, FRIDAY_EVENING)], FRIDAY_EVENING, { people: people(quiet) })).toBeNull();
    expect(due([message(CLIENT_KEY, FRIDAY_EVENING)], FRIDAY_EVENING, { people: people(null) })).toBeNull();
    // A client's device never answers for anyone.
    expect(due([message(THERAPIST_KEY, FRIDAY_EVENING)], FRIDAY_EVENING, { me: CLIENT_KEY })).toBeNull();
  });

  it('is not due while a messaging session runs, even outside office hours', () => {
    const entries = [message(CLIENT_KEY, FRIDAY_EVENING)];
    const running = { at: Date.parse('2025-01-10T17:45:00Z'), minutes: 30 };
    expect(due(entries, '2025-01-10T18:00:05Z', { running })).toBeNull();
  });

  it('is not due after the therapist wrote in person since the office closed', () => {
    // The therapist answers at 20:00 on Friday; the client writes back at 20:05.
    const evening = [
      message(CLIENT_KEY, FRIDAY_EVENING),
      message(THERAPIST_KEY, '2025-01-10T20:00:00Z'),
      message(CLIENT_KEY, '2025-01-10T20:05:00Z', 2),
    ];
    expect(due(evening, '2025-01-10T20:05:01Z')).toBeNull();
    // A reply written before Friday's close, or an automatic one, does not say the therapist is there now.
    const afternoon = [message(THERAPIST_KEY, '2025-01-10T16:30:00Z'), message(CLIENT_KEY, FRIDAY_EVENING)];
    expect(due(afternoon, '2025-01-10T18:00:05Z')?.day).toBe('2025-01-10');
    const later = [
      ...afternoon,
      automatic('2025-01-10T18:00:05Z'),
      message(CLIENT_KEY, '2025-01-11T10:00:00Z', 2),
    ];
    expect(due(later, '2025-01-11T10:00:01Z')?.day).toBe('2025-01-11');
  });

  it('is not due again on a day it went out', () => {
    const sent = away();
    const reply = automatic('2025-01-10T18:00:05Z');
    sent.set('2025-01-10', { id: reply.id, by: THERAPIST_KEY, at: reply.at });
    const entries = [
      message(CLIENT_KEY, FRIDAY_EVENING),
      reply,
      message(CLIENT_KEY, '2025-01-10T21:00:00Z', 2),
    ];
    expect(due(entries, '2025-01-10T21:00:01Z', { away: sent })).toBeNull();
    expect(due(entries, '2025-01-11T09:00:00Z', { away: sent })?.day).toBe('2025-01-11');
  });

  it('is still due when today’s entry was filled in by someone else or names no away message of today', () => {
    const yesterday = automatic('2025-01-09T18:00:05Z');
    const entries = [
      message(CLIENT_KEY, '2025-01-09T18:00:00Z'),
      yesterday,
      message(CLIENT_KEY, FRIDAY_EVENING, 2),
    ];
    const now = '2025-01-10T18:00:05Z';
    const filled = (value: unknown, day = '2025-01-10') => {
      const map = away();
      map.set(day, value);
      return map;
    };
    const at = Date.parse(FRIDAY_EVENING);
    // The client wrote today's key, or named a message that is not there, or is not automatic, or is yesterday's.
    expect(due(entries, now, { away: filled({ id: yesterday.id, by: CLIENT_KEY, at }) })?.day).toBe(
      '2025-01-10',
    );
    expect(
      due(entries, now, { away: filled({ id: crypto.randomUUID(), by: THERAPIST_KEY, at }) }),
    ).not.toBeNull();
    expect(due(entries, now, { away: filled({ id: entries[2].id, by: THERAPIST_KEY, at }) })).not.toBeNull();
    expect(due(entries, now, { away: filled({ id: yesterday.id, by: THERAPIST_KEY, at }) })).not.toBeNull();
    expect(due(entries, now, { away: filled('sent') })).not.toBeNull();
  });
});

/** What a therapist's device writes when it sends the day's away message (as `Conversation` does). */
function sendAway(doc: Y.Doc, day: string): string {
  const id = crypto.randomUUID();
  const at = Date.parse(FRIDAY_EVENING);
  doc.transact(() => {
    doc.getMap(AWAY_MAP).set(day, { id, by: THERAPIST_KEY, at });
    doc.getArray('messages').push([{ id, by: THERAPIST_KEY, n: 1, text: AWAY, at, auto: 'away' }]);
  });
  return id;
}

describe('the away messages shown', () => {
  it('are those the map names by date, by the therapist, pointing at an automatic message of theirs', () => {
    const doc = new Y.Doc();
    const map = doc.getMap(AWAY_MAP);
    const friday = automatic(FRIDAY_EVENING);
    const saturday = automatic('2025-01-11T18:00:00Z');
    const fromClient = { ...message(CLIENT_KEY, '2025-01-12T18:00:00Z'), auto: 'away' as const };
    const plain = message(THERAPIST_KEY, '2025-01-13T18:00:00Z');
    const entries = [friday, saturday, fromClient, plain];
    map.set('2025-01-10', { id: friday.id, by: THERAPIST_KEY, at: friday.at });
    map.set('2025-01-11', { id: saturday.id, by: CLIENT_KEY, at: saturday.at });
    map.set('2025-01-12', { id: fromClient.id, by: CLIENT_KEY, at: fromClient.at });
    map.set('2025-01-13', { id: plain.id, by: THERAPIST_KEY, at: plain.at });
    map.set('someday', { id: saturday.id, by: THERAPIST_KEY, at: saturday.at });
    expect([...shownAway(map, entries, people())]).toEqual([friday.id]);
  });
});

describe('two of the therapist’s devices that both sent the day’s away message', () => {
  const dbNames: string[] = [];
  beforeAll(cryptoReady);
  afterEach(async () => {
    for (const name of dbNames.splice(0)) await Dexie.delete(name);
  });

  it('agree, once merged, on one of them, and show only that one', async () => {
    const base = new Y.Doc();
    for (const [key, person] of people()) base.getMap('people').set(key, person);
    base.getArray('messages').push([message(CLIENT_KEY, FRIDAY_EVENING)]);
    const phone = new Y.Doc();
    const laptop = new Y.Doc();
    Y.applyUpdate(phone, Y.encodeStateAsUpdate(base));
    Y.applyUpdate(laptop, Y.encodeStateAsUpdate(base));
    // Neither has seen the other's: both send.
    const ids = [sendAway(phone, '2025-01-10'), sendAway(laptop, '2025-01-10')];
    const fromPhone = Y.encodeStateAsUpdate(phone);
    Y.applyUpdate(phone, Y.encodeStateAsUpdate(laptop));
    Y.applyUpdate(laptop, fromPhone);

    const shownOn = (doc: Y.Doc) => [
      ...shownAway(doc.getMap(AWAY_MAP), doc.getArray<MessageEntry>('messages').toArray(), people()),
    ];
    const shown = shownOn(phone);
    expect(shown).toHaveLength(1);
    expect(ids).toContain(shown[0]);
    expect(shownOn(laptop)).toEqual(shown);
    expect(phone.getArray('messages').length).toBe(3);

    // The client's device, given the merged document, shows the one the map names, marked automatic.
    const db = new HearthDb(`test-${crypto.randomUUID()}`);
    dbNames.push(db.name);
    const keyring = firstDeviceKeyring(generateDeviceKeys(), newSymmetricKey());
    const conversation = await openOffline(db, keyring, therapistRoom(keyring, 'Sam'));
    Y.applyUpdate(conversation.doc, Y.encodeStateAsUpdate(phone), REMOTE_ORIGIN);
    const automatic = conversation.messages().filter((m) => m.auto === 'away');
    expect(automatic.map((m) => m.id)).toEqual(shown);
    expect(automatic[0]).toMatchObject({ text: AWAY, by: THERAPIST_KEY, mine: false });
    expect(conversation.messages()).toHaveLength(2);
    expect(toHex(keyring.signPublic)).not.toBe(THERAPIST_KEY);
    conversation.close();
    db.close();
  });
});
