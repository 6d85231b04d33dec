import { describe, expect, it } from 'vitest';
import {
  describeHours,
  describeMoment,
  describePromise,
  isOpen,
  lastClosing,
  nextOpening,
  replyDueBy,
} from '$lib/model/officeHours';
import { OfficeHours, PersonEntry } from '$lib/model/schemas';
import { dateKey, instantOf, localTime } from '$lib/model/zonedTime';
import { MAX_AWAY_MESSAGE_CHARS, MAX_REPLY_WITHIN } from '$lib/protocol/limits';

const NINE_TO_FIVE = [{ start: 9 * 60, end: 17 * 60 }];
const CLOSED: { start: number; end: number }[] = [];

/** Office hours in `timeZone`: Sunday first, as the schema keeps them. */
function hours(
  timeZone: string,
  week: { start: number; end: number }[][],
  replyWithin: OfficeHours['replyWithin'] = { amount: 1, unit: 'days' },
): OfficeHours {
  return OfficeHours.parse({ timeZone, week, replyWithin });
}

const weekdays = (day: { start: number; end: number }[]) => [CLOSED, day, day, day, day, day, CLOSED];
const london = (replyWithin?: OfficeHours['replyWithin']) =>
  hours('Europe/London', weekdays(NINE_TO_FIVE), replyWithin);
const t = (iso: string) => Date.parse(iso);

describe('office hours as moments', () => {
  it('is open from opening time up to (not including) closing time, on open days only', () => {
    const h = london();
    expect(isOpen(h, t('2025-01-06T09:00:00Z'))).toBe(true); // Monday, GMT
    expect(isOpen(h, t('2025-01-06T16:59:59Z'))).toBe(true);
    expect(isOpen(h, t('2025-01-06T08:59:59Z'))).toBe(false);
    expect(isOpen(h, t('2025-01-06T17:00:00Z'))).toBe(false);
    expect(isOpen(h, t('2025-01-11T12:00:00Z'))).toBe(false); // Saturday
    expect(isOpen(h, t('2025-07-07T08:30:00Z'))).toBe(true); // Monday 09:30 BST
    expect(isOpen(h, t('2025-07-07T16:30:00Z'))).toBe(false); // 17:30 BST
  });

  it('finds the next opening: after a Friday evening it is Monday morning, while open it is now', () => {
    const h = london();
    expect(nextOpening(h, t('2025-01-10T18:00:00Z'))).toBe(t('2025-01-13T09:00:00Z'));
    expect(nextOpening(h, t('2025-01-07T07:00:00Z'))).toBe(t('2025-01-07T09:00:00Z'));
    expect(nextOpening(h, t('2025-01-07T11:00:00Z'))).toBe(t('2025-01-07T11:00:00Z'));
    // Across the spring change: Friday in GMT, Monday in BST.
    expect(nextOpening(h, t('2025-03-28T18:00:00Z'))).toBe(t('2025-03-31T09:00:00+01:00'));
  });

  it('finds when the office last closed: Friday evening for the weekend, the lunch break for the afternoon', () => {
    const h = london();
    expect(lastClosing(h, t('2025-01-10T20:00:00Z'))).toBe(t('2025-01-10T17:00:00Z'));
    expect(lastClosing(h, t('2025-01-13T08:00:00Z'))).toBe(t('2025-01-10T17:00:00Z'));
    expect(lastClosing(h, t('2025-01-10T17:00:00Z'))).toBe(t('2025-01-10T17:00:00Z'));
    const split = [
      { start: 9 * 60, end: 12 * 60 },
      { start: 14 * 60, end: 18 * 60 },
    ];
    const tuesdays = hours('Europe/London', [CLOSED, CLOSED, split, CLOSED, CLOSED, CLOSED, CLOSED]);
    expect(lastClosing(tuesdays, t('2025-01-07T13:00:00Z'))).toBe(t('2025-01-07T12:00:00Z'));
    expect(lastClosing(tuesdays, t('2025-01-09T13:00:00Z'))).toBe(t('2025-01-07T18:00:00Z'));
  });

  it('counts working hours only in office time, from the next opening when a message comes while closed', () => {
    const one = london({ amount: 1, unit: 'hours' });
    expect(replyDueBy(one, t('2025-01-10T18:00:00Z'))).toBe(t('2025-01-13T10:00:00Z'));
    expect(replyDueBy(one, t('2025-01-10T16:30:00Z'))).toBe(t('2025-01-13T09:30:00Z'));
    expect(replyDueBy(one, t('2025-01-08T12:15:00Z'))).toBe(t('2025-01-08T13:15:00Z'));
    const eight = london({ amount: 8, unit: 'hours' });
    expect(replyDueBy(eight, t('2025-01-06T10:00:00Z'))).toBe(t('2025-01-07T10:00:00Z'));
    expect(replyDueBy(eight, t('2025-01-06T09:00:00Z'))).toBe(t('2025-01-06T17:00:00Z'));
  });

  it('counts working days as the close of the Nth day that opens after the message', () => {
    const one = london();
    expect(replyDueBy(one, t('2025-01-06T10:00:00Z'))).toBe(t('2025-01-07T17:00:00Z')); // Monday, during
    expect(replyDueBy(one, t('2025-01-06T08:00:00Z'))).toBe(t('2025-01-06T17:00:00Z')); // before opening
    expect(replyDueBy(one, t('2025-01-06T09:00:00Z'))).toBe(t('2025-01-06T17:00:00Z')); // at opening
    expect(replyDueBy(one, t('2025-01-10T18:00:00Z'))).toBe(t('2025-01-13T17:00:00Z')); // Friday evening
    expect(replyDueBy(one, t('2025-01-11T11:00:00Z'))).toBe(t('2025-01-13T17:00:00Z')); // Saturday
    const three = london({ amount: 3, unit: 'days' });
    expect(replyDueBy(three, t('2025-01-09T10:00:00Z'))).toBe(t('2025-01-14T17:00:00Z'));
  });

  it('keeps promises on the clock across the spring and autumn changes in London', () => {
    const oneHour = london({ amount: 1, unit: 'hours' });
    expect(replyDueBy(oneHour, t('2025-03-28T18:00:00Z'))).toBe(t('2025-03-31T10:00:00+01:00'));
    expect(replyDueBy(oneHour, t('2025-10-24T18:00:00+01:00'))).toBe(t('2025-10-27T10:00:00Z'));
    const twoDays = london({ amount: 2, unit: 'days' });
    expect(replyDueBy(twoDays, t('2025-03-28T18:00:00Z'))).toBe(t('2025-04-01T17:00:00+01:00'));
    expect(replyDueBy(twoDays, t('2025-10-24T18:00:00+01:00'))).toBe(t('2025-10-28T17:00:00Z'));
  });

  it('keeps promises across the change in New York, a zone with other dates', () => {
    const h = hours('America/New_York', weekdays(NINE_TO_FIVE), { amount: 1, unit: 'hours' });
    expect(replyDueBy(h, t('2025-03-07T18:00:00-05:00'))).toBe(t('2025-03-10T10:00:00-04:00'));
    expect(replyDueBy(h, t('2025-10-31T18:00:00-04:00'))).toBe(t('2025-11-03T10:00:00-05:00'));
    expect(isOpen(h, t('2025-03-10T13:30:00Z'))).toBe(true); // 09:30 EDT
    expect(isOpen(h, t('2025-03-03T13:30:00Z'))).toBe(false); // 08:30 EST
  });

  it('counts real hours on a day the clocks change: a Sunday open all day lasts 23 hours in spring', () => {
    const sundays = hours(
      'Europe/London',
      [[{ start: 0, end: 1440 }], CLOSED, CLOSED, CLOSED, CLOSED, CLOSED, CLOSED],
      { amount: 24, unit: 'hours' },
    );
    // 23 hours on 30 March (00:00 GMT to midnight BST), the last hour on the next Sunday.
    expect(replyDueBy(sundays, t('2025-03-29T23:00:00Z'))).toBe(t('2025-04-06T01:00:00+01:00'));
    // 25 hours on 26 October: the promise is kept within the day.
    expect(replyDueBy(sundays, t('2025-10-25T12:00:00+01:00'))).toBe(t('2025-10-26T23:00:00Z'));
  });

  it('opens on a skipped or repeated hour as the clock shows it', () => {
    const earlySunday = (start: number, end: number) =>
      hours('Europe/London', [[{ start, end }], CLOSED, CLOSED, CLOSED, CLOSED, CLOSED, CLOSED], {
        amount: 1,
        unit: 'hours',
      });
    // 01:00–03:00 on 30 March 2025: 01:00–02:00 never happens, so it is open one hour, from 02:00 BST.
    const spring = earlySunday(60, 180);
    expect(isOpen(spring, t('2025-03-30T00:30:00Z'))).toBe(false);
    expect(isOpen(spring, t('2025-03-30T01:30:00Z'))).toBe(true);
    expect(isOpen(spring, t('2025-03-30T02:00:00Z'))).toBe(false);
    // 01:15–01:45 falls wholly in the gap: it is open an hour later, 02:15–02:45 BST.
    const inGap = earlySunday(75, 105);
    expect(nextOpening(inGap, t('2025-03-29T12:00:00Z'))).toBe(t('2025-03-30T02:15:00+01:00'));
    expect(isOpen(inGap, t('2025-03-30T02:44:00+01:00'))).toBe(true);
    // 01:00–02:00 on 26 October 2025: from the first 01:00 (BST) to 02:00 GMT, two real hours.
    const autumn = earlySunday(60, 120);
    expect(nextOpening(autumn, t('2025-10-25T12:00:00Z'))).toBe(t('2025-10-26T00:00:00Z'));
    expect(isOpen(autumn, t('2025-10-26T01:30:00Z'))).toBe(true);
    expect(replyDueBy(autumn, t('2025-10-25T12:00:00Z'))).toBe(t('2025-10-26T01:00:00Z'));
  });

  it('handles a day with a morning and an afternoon', () => {
    const split = [
      { start: 9 * 60, end: 12 * 60 },
      { start: 14 * 60, end: 18 * 60 },
    ];
    const tuesdays = (replyWithin: OfficeHours['replyWithin']) =>
      hours('Europe/London', [CLOSED, CLOSED, split, CLOSED, CLOSED, CLOSED, CLOSED], replyWithin);
    const fourHours = tuesdays({ amount: 4, unit: 'hours' });
    expect(isOpen(fourHours, t('2025-01-07T13:00:00Z'))).toBe(false);
    expect(nextOpening(fourHours, t('2025-01-07T13:00:00Z'))).toBe(t('2025-01-07T14:00:00Z'));
    expect(replyDueBy(fourHours, t('2025-01-07T11:00:00Z'))).toBe(t('2025-01-07T17:00:00Z'));
    expect(replyDueBy(fourHours, t('2025-01-07T17:00:00Z'))).toBe(t('2025-01-14T12:00:00Z'));
    const oneDay = tuesdays({ amount: 1, unit: 'days' });
    expect(replyDueBy(oneDay, t('2025-01-06T20:00:00Z'))).toBe(t('2025-01-07T18:00:00Z'));
    expect(replyDueBy(oneDay, t('2025-01-07T13:00:00Z'))).toBe(t('2025-01-14T18:00:00Z'));
  });
});

describe('office hours in words', () => {
  it('describes the week Monday first, grouping days with the same hours', () => {
    expect(describeHours(london(), 'Europe/London')).toBe('Mon–Fri 09:00–17:00');
    const saturdayMorning = weekdays(NINE_TO_FIVE);
    saturdayMorning[6] = [{ start: 600, end: 720 }];
    expect(describeHours(hours('Europe/London', saturdayMorning), 'Europe/London')).toBe(
      'Mon–Fri 09:00–17:00; Sat 10:00–12:00',
    );
    const odd = [CLOSED, NINE_TO_FIVE, CLOSED, NINE_TO_FIVE, CLOSED, NINE_TO_FIVE, CLOSED];
    expect(describeHours(hours('Europe/London', odd), 'Europe/London')).toBe('Mon, Wed, Fri 09:00–17:00');
    const split = [
      { start: 540, end: 720 },
      { start: 840, end: 1440 },
    ];
    const weekend = [split, CLOSED, CLOSED, CLOSED, CLOSED, CLOSED, split];
    expect(describeHours(hours('Europe/London', weekend), 'Europe/London')).toBe(
      'Sat, Sun 09:00–12:00 and 14:00–24:00',
    );
  });

  it("names the office's zone when the reader is in another", () => {
    expect(describeHours(london(), 'Asia/Tokyo')).toBe('Mon–Fri 09:00–17:00 (Europe/London)');
  });

  it('words the promise', () => {
    expect(describePromise(london())).toBe('within 1 working day');
    expect(describePromise(london({ amount: 3, unit: 'days' }))).toBe('within 3 working days');
    expect(describePromise(london({ amount: 1, unit: 'hours' }))).toBe('within 1 working hour');
    expect(describePromise(london({ amount: 4, unit: 'hours' }))).toBe('within 4 working hours');
  });

  it("says a moment on the reader's clock, with its date when it is not this week", () => {
    const due = t('2025-01-13T10:00:00Z');
    expect(describeMoment(due, t('2025-01-10T18:00:00Z'), 'Europe/London')).toBe('Monday 10:00');
    expect(describeMoment(due, t('2025-01-10T18:00:00Z'), 'Asia/Tokyo')).toBe('Monday 19:00');
    expect(describeMoment(due, t('2025-01-10T18:00:00Z'), 'America/Los_Angeles')).toBe('Monday 02:00');
    expect(describeMoment(due, t('2024-12-20T18:00:00Z'), 'Europe/London')).toBe('Monday 13 January 10:00');
  });
});

describe('wall-clock time in a zone', () => {
  it('reads and names local times, a skipped time after its gap and a repeated one at its first', () => {
    expect(instantOf({ year: 2025, month: 3, day: 30 }, 90, 'Europe/London')).toBe(t('2025-03-30T01:30:00Z'));
    expect(instantOf({ year: 2025, month: 10, day: 26 }, 90, 'Europe/London')).toBe(
      t('2025-10-26T00:30:00Z'),
    );
    expect(instantOf({ year: 2025, month: 7, day: 1 }, 1440, 'Europe/London')).toBe(
      t('2025-07-01T23:00:00Z'),
    );
    const there = localTime(t('2025-01-05T23:30:00Z'), 'Asia/Tokyo');
    expect({ ...there, key: dateKey(there) }).toEqual({
      year: 2025,
      month: 1,
      day: 6,
      weekday: 1,
      minute: 8 * 60 + 30,
      key: '2025-01-06',
    });
  });
});

describe('the office hours schema', () => {
  const valid = {
    timeZone: 'Europe/London',
    week: weekdays(NINE_TO_FIVE),
    replyWithin: { amount: 1, unit: 'days' },
  };

  it('accepts hours as the settings make them, with an empty away message by default', () => {
    expect(OfficeHours.parse(valid).awayMessage).toBe('');
  });

  it('refuses an unknown zone, backwards or overlapping intervals, a closed week and promises out of range', () => {
    const bad = [
      { ...valid, timeZone: 'Mars/Olympus_Mons' },
      { ...valid, timeZone: '' },
      { ...valid, week: weekdays([{ start: 600, end: 540 }]) },
      {
        ...valid,
        week: weekdays([
          { start: 540, end: 720 },
          { start: 700, end: 800 },
        ]),
      },
      { ...valid, week: weekdays([{ start: 0, end: 1441 }]) },
      { ...valid, week: [CLOSED, CLOSED, CLOSED, CLOSED, CLOSED, CLOSED, CLOSED] },
      { ...valid, week: weekdays(NINE_TO_FIVE).slice(1) },
      { ...valid, replyWithin: { amount: 0, unit: 'days' } },
      { ...valid, replyWithin: { amount: MAX_REPLY_WITHIN + 1, unit: 'hours' } },
      { ...valid, replyWithin: { amount: 1.5, unit: 'hours' } },
      { ...valid, replyWithin: { amount: 1, unit: 'weeks' } },
      { ...valid, awayMessage: 'x'.repeat(MAX_AWAY_MESSAGE_CHARS + 1) },
    ];
    for (const input of bad) expect(OfficeHours.safeParse(input).success).toBe(false);
  });

  it('reads a person whose hours a peer wrote wrong as having none, keeping the rest of them', () => {
    const person = PersonEntry.parse({
      name: 'Dr. Rowan Ellis',
      role: 'therapist',
      replyPromise: 'within 1 working day',
      hours: { ...valid, timeZone: 'Nowhere/Special' },
    });
    expect(person.name).toBe('Dr. Rowan Ellis');
    expect(person.hours).toBeUndefined();
  });
});
