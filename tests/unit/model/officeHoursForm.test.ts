import { describe, expect, it } from 'vitest';
import {
  officeHoursFromForm,
  officeHoursToForm,
  withBreak,
  type OfficeHoursForm,
} from '$lib/model/officeHoursForm';
import { describeHours } from '$lib/model/officeHours';
import { MAX_AWAY_MESSAGE_CHARS, MAX_REPLY_WITHIN } from '$lib/protocol/limits';

function form(change: (f: OfficeHoursForm) => void = () => {}): OfficeHoursForm {
  const f = officeHoursToForm(undefined);
  f.timeZone = 'Europe/London';
  change(f);
  return f;
}

describe('the office hours form', () => {
  it('starts at Monday to Friday, 09:00 to 17:00, and reads back what it saved', () => {
    const hours = officeHoursFromForm(form((f) => (f.awayMessage = '  Back on Monday.  ')));
    expect(hours.week.map((d) => d.length)).toEqual([0, 1, 1, 1, 1, 1, 0]);
    expect(hours.week[1]).toEqual([{ start: 540, end: 1020 }]);
    expect(hours.awayMessage).toBe('Back on Monday.');
    expect(officeHoursToForm(hours)).toEqual(form((f) => (f.awayMessage = 'Back on Monday.')));
  });

  it('reads a closing time of 00:00 as midnight', () => {
    const hours = officeHoursFromForm(
      form((f) => (f.days[6] = { open: true, from: '18:00', to: '00:00', after: null })),
    );
    expect(hours.week[6]).toEqual([{ start: 1080, end: 1440 }]);
    expect(officeHoursToForm(hours).days[6]).toEqual({ open: true, from: '18:00', to: '00:00', after: null });
  });

  it('holds a day with a break as two stretches, and reads it back; the week says so in words', () => {
    const hours = officeHoursFromForm(
      form((f) => {
        for (const day of [1, 2, 3, 4, 5]) f.days[day] = withBreak(f.days[day]);
        f.days[1].to = '12:30';
        f.days[1].after = { from: '13:30', to: '17:00' };
      }),
    );
    expect(hours.week[1]).toEqual([
      { start: 540, end: 750 },
      { start: 810, end: 1020 },
    ]);
    expect(hours.week[2]).toEqual([
      { start: 540, end: 720 },
      { start: 780, end: 1020 },
    ]);
    expect(officeHoursToForm(hours).days[1]).toEqual({
      open: true,
      from: '09:00',
      to: '12:30',
      after: { from: '13:30', to: '17:00' },
    });
    expect(officeHoursFromForm(officeHoursToForm(hours))).toEqual(hours);
    expect(describeHours(hours, 'Europe/London')).toBe(
      'Mon 09:00–12:30 and 13:30–17:00; Tue–Fri 09:00–12:00 and 13:00–17:00',
    );
  });

  it('adds a lunch hour when the day spans one, otherwise an afternoon to fill in', () => {
    const open = { open: true, from: '14:00', to: '18:00', after: null };
    expect(withBreak(open)).toEqual({ ...open, after: { from: '', to: '' } });
    expect(() => officeHoursFromForm(form((f) => (f.days[1] = withBreak(open))))).toThrow(
      'Enter an opening and a closing time for Monday after the break.',
    );
  });

  it('reads a day saved elsewhere with more than two stretches from its first opening to its last close', () => {
    const hours = officeHoursFromForm(form());
    hours.week[2] = [
      { start: 540, end: 600 },
      { start: 660, end: 720 },
      { start: 840, end: 1080 },
    ];
    const read = officeHoursToForm(hours);
    expect(read.days[2]).toEqual({ open: true, from: '09:00', to: '18:00', after: null });
    expect(officeHoursFromForm(read).week[2]).toEqual([{ start: 540, end: 1080 }]);
  });

  it('says in words what to fix, and which control', () => {
    const cases: [(f: OfficeHoursForm) => void, string, string][] = [
      [
        (f) => (f.days[2].to = '08:00'),
        'On Tuesday, the closing time must be after the opening time.',
        'day-2-to',
      ],
      [(f) => (f.days[3].from = ''), 'Enter an opening and a closing time for Wednesday.', 'day-3-from'],
      [(f) => (f.days[4].to = ''), 'Enter an opening and a closing time for Thursday.', 'day-4-to'],
      [
        (f) => (f.days[1] = { ...withBreak(f.days[1]), after: { from: '11:00', to: '17:00' } }),
        'On Monday, the hours after the break must start after 12:00, when the hours before it end.',
        'day-1-after-from',
      ],
      [
        (f) => (f.days[5] = { ...withBreak(f.days[5]), after: { from: '13:00', to: '12:30' } }),
        'On Friday after the break, the closing time must be after the opening time.',
        'day-5-after-to',
      ],
      [
        (f) => (f.days[2] = { ...withBreak(f.days[2]), to: '08:00' }),
        'On Tuesday before the break, the closing time must be after the opening time.',
        'day-2-to',
      ],
      [(f) => f.days.forEach((d) => (d.open = false)), 'Choose at least one day with office hours.', 'day-1'],
      [(f) => (f.timeZone = 'Mars/Olympus_Mons'), 'Choose your time zone from the list.', 'time-zone'],
      [(f) => (f.amount = '0'), `from 1 to ${MAX_REPLY_WITHIN}`, 'reply-within'],
      [(f) => (f.amount = '1.5'), `from 1 to ${MAX_REPLY_WITHIN}`, 'reply-within'],
      [(f) => (f.amount = String(MAX_REPLY_WITHIN + 1)), `from 1 to ${MAX_REPLY_WITHIN}`, 'reply-within'],
      [
        (f) => (f.awayMessage = 'x'.repeat(MAX_AWAY_MESSAGE_CHARS + 1)),
        'The away message is',
        'away-message',
      ],
    ];
    for (const [change, words, field] of cases) {
      expect(() => officeHoursFromForm(form(change))).toThrow(words);
      try {
        officeHoursFromForm(form(change));
      } catch (error) {
        expect(error).toMatchObject({ name: 'OfficeHoursError', field });
      }
    }
    // A closed day's times are not checked.
    expect(() =>
      officeHoursFromForm(
        form((f) => (f.days[0] = { open: false, from: '', to: '', after: { from: '', to: '' } })),
      ),
    ).not.toThrow();
  });
});
