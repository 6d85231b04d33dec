import { describe, expect, it } from 'vitest';
import type { MessageView } from '$lib/model/conversation';
import { isLongDraft, isMessageBurst } from '$lib/model/etiquette';
import { replyExpectation } from '$lib/model/replyExpectation';
import { OfficeHours, type PersonEntry } from '$lib/model/schemas';
import { LONG_MESSAGE_HINT_CHARS, MESSAGE_BURST_WINDOW_MS } from '$lib/protocol/limits';

const THERAPIST = 'a'.repeat(64);
const CLIENT = 'b'.repeat(64);
const NINE_TO_FIVE = [{ start: 540, end: 1020 }];
const HOURS = OfficeHours.parse({
  timeZone: 'Europe/London',
  week: [[], NINE_TO_FIVE, NINE_TO_FIVE, NINE_TO_FIVE, NINE_TO_FIVE, NINE_TO_FIVE, []],
  replyWithin: { amount: 1, unit: 'hours' },
});

function people(hours?: OfficeHours): Map<string, PersonEntry> {
  return new Map<string, PersonEntry>([
    [CLIENT, { name: 'Sam Okafor', role: 'client', replyPromise: '' }],
    [
      THERAPIST,
      {
        name: 'Dr. Rowan Ellis',
        role: 'therapist',
        replyPromise: 'within a day or two',
        ...(hours ? { hours } : {}),
      },
    ],
  ]);
}

function line(by: string, at: string, extra: Partial<MessageView> = {}): MessageView {
  const mine = by === CLIENT;
  return {
    id: crypto.randomUUID(),
    text: 'Hello',
    at: Date.parse(at),
    mine,
    by,
    authorName: mine ? 'Sam Okafor' : 'Dr. Rowan Ellis',
    state: mine ? 'sent' : null,
    failedReason: null,
    ...extra,
  };
}

const told = (
  messages: MessageView[],
  now: string,
  hours: OfficeHours | null = HOURS,
  zone = 'Europe/London',
) =>
  replyExpectation({
    people: people(hours ?? undefined),
    messages,
    myRole: 'client',
    now: Date.parse(now),
    readerZone: zone,
  });

describe('what a client is told about a reply', () => {
  it('shows the hours and promise, and when a waiting message will have its reply', () => {
    const friday = [line(THERAPIST, '2025-01-10T12:00:00Z'), line(CLIENT, '2025-01-10T18:00:00Z')];
    expect(told(friday, '2025-01-10T18:00:01Z')).toEqual({
      therapist: 'Dr. Rowan Ellis',
      hours: 'Mon–Fri 09:00–17:00',
      promise: 'within 1 working hour',
      waiting: {
        dueBy: Date.parse('2025-01-13T10:00:00Z'),
        due: 'Monday 10:00',
        yourTime: false,
        overdue: false,
      },
    });
  });

  it('counts from the first unanswered message, not from an automatic reply, and says gently when it is past', () => {
    const messages = [
      line(CLIENT, '2025-01-10T18:00:00Z'),
      line(THERAPIST, '2025-01-10T18:00:01Z', { auto: 'away' }),
      line(CLIENT, '2025-01-13T09:30:00Z'),
    ];
    const waiting = told(messages, '2025-01-13T11:00:00Z')?.waiting;
    expect(waiting).toMatchObject({ due: 'Monday 10:00', overdue: true });
  });

  it('has nothing waiting once the therapist replied', () => {
    const messages = [line(CLIENT, '2025-01-10T18:00:00Z'), line(THERAPIST, '2025-01-13T09:10:00Z')];
    expect(told(messages, '2025-01-13T09:11:00Z')?.waiting).toBeNull();
  });

  it('gives the due time on the reader’s clock, and says so, in another zone', () => {
    const waiting = told([line(CLIENT, '2025-01-10T18:00:00Z')], '2025-01-10T18:01:00Z', HOURS, 'Asia/Tokyo');
    expect(waiting?.hours).toBe('Mon–Fri 09:00–17:00 (Europe/London)');
    expect(waiting?.waiting).toMatchObject({ due: 'Monday 19:00', yourTime: true });
  });

  it('falls back to the therapist’s own words without office hours, and is nothing for a therapist', () => {
    expect(told([line(CLIENT, '2025-01-10T18:00:00Z')], '2025-01-10T18:01:00Z', null)).toEqual({
      therapist: 'Dr. Rowan Ellis',
      hours: null,
      promise: 'within a day or two',
      waiting: null,
    });
    const asTherapist = replyExpectation({
      people: people(HOURS),
      messages: [],
      myRole: 'therapist',
      now: 0,
    });
    expect(asTherapist).toBeNull();
  });
});

describe('etiquette hints', () => {
  it('calls a draft long past the threshold', () => {
    expect(isLongDraft('x'.repeat(LONG_MESSAGE_HINT_CHARS))).toBe(false);
    expect(isLongDraft('x'.repeat(LONG_MESSAGE_HINT_CHARS + 1))).toBe(true);
  });

  it('sees three unanswered messages in ten minutes as a burst, an away message not being an answer', () => {
    const three = [
      line(CLIENT, '2025-01-10T18:00:00Z'),
      line(THERAPIST, '2025-01-10T18:00:01Z', { auto: 'away' }),
      line(CLIENT, '2025-01-10T18:04:00Z'),
      line(CLIENT, '2025-01-10T18:10:00Z'),
    ];
    expect(isMessageBurst(three)).toBe(true);
    expect(isMessageBurst(three.slice(0, 3))).toBe(false);
    expect(isMessageBurst([...three, line(THERAPIST, '2025-01-10T18:11:00Z')])).toBe(false);
    const slow = [0, 1, 2].map((i) =>
      line(
        CLIENT,
        new Date(Date.parse('2025-01-10T18:00:00Z') + i * (MESSAGE_BURST_WINDOW_MS / 2 + 1)).toISOString(),
      ),
    );
    expect(isMessageBurst(slow)).toBe(false);
  });
});
