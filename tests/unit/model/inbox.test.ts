import { describe, expect, it } from 'vitest';
import { inbox, inboxPeople, type InboxQuery } from '$lib/model/inbox';
import { waitingSince, type ConversationListItem } from '$lib/model/summaries';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 11, 7, 9); // a Monday, 09:00 UTC
const key = (c: string) => c.repeat(64);
const ALL: InboxQuery = { filter: 'all', person: null };

function item(room: string, fields: Partial<ConversationListItem>): ConversationListItem {
  return {
    room: room.repeat(32),
    topic: '',
    participants: [],
    participantKeys: [],
    preview: null,
    lastActivity: T0,
    unread: 0,
    unsent: false,
    waitingSince: null,
    label: '',
    pending: false,
    ...fields,
  };
}

const sam = item('a', {
  participants: ['Sam'],
  participantKeys: [key('a')],
  waitingSince: T0 + 2 * HOUR,
  lastActivity: T0 + 5 * HOUR,
  unread: 2,
});
const ava = item('b', {
  participants: ['Ava'],
  participantKeys: [key('b')],
  waitingSince: T0 + 1 * HOUR,
  lastActivity: T0 + 1 * HOUR,
  unread: 1,
});
const kim = item('c', { participants: ['Kim'], participantKeys: [key('c')], lastActivity: T0 + 9 * HOUR });
const family = item('d', {
  participants: ['Sam', 'Lee'],
  participantKeys: [key('a'), key('d')],
  lastActivity: T0 + 3 * HOUR,
  unsent: true,
});
const everyone = [kim, family, sam, ava];

describe('the inbox', () => {
  it('puts whoever has waited longest against the promised reply time first, then the rest by latest activity', () => {
    const rows = inbox(everyone, ALL, (since) => since + 24 * HOUR);
    expect(rows.map((r) => r.participants.join('+'))).toEqual(['Ava', 'Sam', 'Kim', 'Sam+Lee']);
    expect(rows[0].replyDue).toBe(T0 + 25 * HOUR);
    expect(rows[2].replyDue).toBeNull();
  });

  it('orders by the reply due time, not by how long ago the message came', () => {
    // Ava wrote first, but on a day the promise runs longer (say a Friday evening before a weekend).
    const due = (since: number) => (since === ava.waitingSince ? since + 72 * HOUR : since + 24 * HOUR);
    expect(inbox(everyone, ALL, due).map((r) => r.participants[0])).toEqual(['Sam', 'Ava', 'Kim', 'Sam']);
  });

  it('filters to unread, awaiting a reply, or not sent yet', () => {
    const due = (since: number) => since + HOUR;
    const names = (q: InboxQuery) => inbox(everyone, q, due).map((r) => r.participants.join('+'));
    expect(names({ filter: 'unread', person: null })).toEqual(['Ava', 'Sam']);
    expect(names({ filter: 'waiting', person: null })).toEqual(['Ava', 'Sam']);
    expect(names({ filter: 'unsent', person: null })).toEqual(['Sam+Lee']);
  });

  it('narrows to the conversations one person is in, groups included', () => {
    const due = (since: number) => since + HOUR;
    expect(inbox(everyone, { filter: 'all', person: key('a') }, due).map((r) => r.room)).toEqual([
      sam.room,
      family.room,
    ]);
    expect(inbox(everyone, { filter: 'unsent', person: key('b') }, due)).toEqual([]);
  });

  it('lists each person once, by name', () => {
    expect(inboxPeople(everyone)).toEqual([
      { key: key('b'), name: 'Ava' },
      { key: key('c'), name: 'Kim' },
      { key: key('d'), name: 'Lee' },
      { key: key('a'), name: 'Sam' },
    ]);
  });
});

describe('waiting since', () => {
  it('is the first of the unanswered messages at the end, or null once answered', () => {
    expect(waitingSince([])).toBeNull();
    expect(waitingSince([{ at: 1, mine: false }])).toBe(1);
    expect(
      waitingSince([
        { at: 1, mine: false },
        { at: 2, mine: true },
        { at: 3, mine: false },
        { at: 4, mine: false },
      ]),
    ).toBe(3);
    expect(
      waitingSince([
        { at: 1, mine: false },
        { at: 2, mine: true },
      ]),
    ).toBeNull();
  });

  it('is ended by a colleague in the same role, and never started by one', () => {
    const therapists = new Set(['colleague']);
    const sameRole = (by: string) => therapists.has(by);
    const client = { mine: false, by: 'client' };
    const colleague = { mine: false, by: 'colleague' };
    expect(
      waitingSince(
        [
          { at: 1, ...client },
          { at: 2, ...colleague },
        ],
        sameRole,
      ),
    ).toBeNull();
    expect(
      waitingSince(
        [
          { at: 1, ...colleague },
          { at: 2, ...client },
        ],
        sameRole,
      ),
    ).toBe(2);
  });

  it('is not ended by an automatic reply', () => {
    expect(
      waitingSince([
        { at: 1, mine: true },
        { at: 2, mine: false },
        { at: 3, mine: true, auto: 'away' },
        { at: 4, mine: false },
      ]),
    ).toBe(2);
  });
});
