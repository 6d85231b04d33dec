import { MAX_AWAY_MESSAGE_CHARS, MAX_REPLY_WITHIN } from '../protocol/limits';
import { OfficeHours } from './schemas';
import { clock, WEEKDAY_NAMES } from './week';
import { deviceTimeZone, isTimeZone } from './zonedTime';

export type OfficeHoursProblem =
  | 'missing_time'
  | 'closes_before_opens'
  | 'break_overlaps'
  | 'no_days'
  | 'invalid_zone'
  | 'invalid_amount'
  | 'away_too_long'
  | 'not_a_professional'
  | 'invalid';

/** Office hours that cannot be saved as given, in words; `field` names the control to fix. */
export class OfficeHoursError extends Error {
  constructor(
    readonly code: OfficeHoursProblem,
    message: string,
    readonly field: string | null = null,
  ) {
    super(message);
    this.name = 'OfficeHoursError';
  }
}

/** A stretch of a day as `<input type="time">` gives its times ("09:00"). */
export interface OfficeStretchForm {
  from: string;
  to: string;
}

/**
 * One day of the settings form: open or not, its first stretch, and `after`, the stretch after a break, when it has
 * one (at most `MAX_FORM_STRETCHES_PER_DAY` stretches a day).
 */
export interface OfficeDayForm extends OfficeStretchForm {
  open: boolean;
  after: OfficeStretchForm | null;
}

/** Stretches a day the form edits: a morning, and an afternoon after a break. */
export const MAX_FORM_STRETCHES_PER_DAY = 2;

/** What the office hours settings hold while a therapist edits them. `days[0]` is Sunday, as in `OfficeHours`. */
export interface OfficeHoursForm {
  days: OfficeDayForm[];
  timeZone: string;
  amount: string;
  unit: 'hours' | 'days';
  awayMessage: string;
}

function minutes(time: string): number | null {
  const match = /^(\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?$/.exec(time);
  if (!match) return null;
  const [hours, mins] = [Number(match[1]), Number(match[2])];
  return hours < 24 && mins < 60 ? hours * 60 + mins : null;
}

/** "HH:MM" for `<input type="time">`; closing at midnight (1440) is "00:00", as the form reads it back. */
const timeInput = (minute: number) => clock(minute % 1440);

const stretch = (interval: { start: number; end: number }): OfficeStretchForm => ({
  from: timeInput(interval.start),
  to: timeInput(interval.end),
});

/** A saved day in the form: closed, one stretch, or two with a break between. */
function dayToForm(day: OfficeHours['week'][number]): OfficeDayForm {
  if (day.length === 0) return { open: false, from: '09:00', to: '17:00', after: null };
  if (day.length === MAX_FORM_STRETCHES_PER_DAY)
    return { open: true, ...stretch(day[0]), after: stretch(day[1]) };
  // One stretch, or more than the form edits (saved elsewhere): from the first opening to the last close.
  return { open: true, ...stretch({ start: day[0].start, end: day[day.length - 1].end }), after: null };
}

/**
 * The form for saved hours, or the usual Monday to Friday, 09:00 to 17:00, in this device's zone. The form holds up
 * to two stretches a day (a break between them); a day saved with more (by another version, or a peer) is shown, and
 * saved again, as one stretch from its first opening to its last close; the form's hint says so.
 */
export function officeHoursToForm(hours: OfficeHours | undefined): OfficeHoursForm {
  if (!hours) {
    return {
      days: WEEKDAY_NAMES.map((_, day) => ({
        open: day >= 1 && day <= 5,
        from: '09:00',
        to: '17:00',
        after: null,
      })),
      timeZone: deviceTimeZone(),
      amount: '1',
      unit: 'days',
      awayMessage: '',
    };
  }
  return {
    days: hours.week.map(dayToForm),
    timeZone: hours.timeZone,
    amount: String(hours.replyWithin.amount),
    unit: hours.replyWithin.unit,
    awayMessage: hours.awayMessage,
  };
}

const LUNCH = { start: 12 * 60, end: 13 * 60 };

/**
 * The day with a break added: a lunch hour (12:00 to 13:00) when its hours span one, otherwise an afternoon stretch
 * with empty times for the therapist to fill in.
 */
export function withBreak(day: OfficeDayForm): OfficeDayForm {
  const start = minutes(day.from);
  const end = minutes(day.to);
  if (start !== null && end !== null && start < LUNCH.start && (end === 0 ? 1440 : end) > LUNCH.end) {
    return { ...day, to: clock(LUNCH.start), after: { from: clock(LUNCH.end), to: day.to } };
  }
  return { ...day, after: { from: '', to: '' } };
}

/** A stretch in minutes, or `OfficeHoursError` naming its input (`prefix` is "day-1" or "day-1-after"). */
function stretchFromForm(
  times: OfficeStretchForm,
  prefix: string,
  name: string,
  which: string,
): { start: number; end: number } {
  const start = minutes(times.from);
  const end = minutes(times.to);
  if (start === null || end === null) {
    throw new OfficeHoursError(
      'missing_time',
      `Enter an opening and a closing time for ${name}${which}.`,
      start === null ? `${prefix}-from` : `${prefix}-to`,
    );
  }
  const close = end === 0 ? 1440 : end;
  if (close <= start) {
    throw new OfficeHoursError(
      'closes_before_opens',
      `On ${name}${which}, the closing time must be after the opening time.`,
      `${prefix}-to`,
    );
  }
  return { start, end: close };
}

/** Office hours from the form, or `OfficeHoursError` saying what to fix. A closing time of 00:00 is midnight. */
export function officeHoursFromForm(form: OfficeHoursForm): OfficeHours {
  const week = form.days.map((day, i) => {
    if (!day.open) return [];
    const name = WEEKDAY_NAMES[i];
    const first = stretchFromForm(day, `day-${i}`, name, day.after ? ' before the break' : '');
    if (!day.after) return [first];
    const second = stretchFromForm(day.after, `day-${i}-after`, name, ' after the break');
    if (second.start <= first.end) {
      throw new OfficeHoursError(
        'break_overlaps',
        `On ${name}, the hours after the break must start after ${clock(first.end % 1440)}, when the hours before it end.`,
        `day-${i}-after-from`,
      );
    }
    return [first, second];
  });
  if (week.every((day) => day.length === 0)) {
    throw new OfficeHoursError('no_days', 'Choose at least one day with office hours.', 'day-1');
  }
  if (!isTimeZone(form.timeZone)) {
    throw new OfficeHoursError('invalid_zone', 'Choose your time zone from the list.', 'time-zone');
  }
  const amount = Number(form.amount);
  if (!/^\d+$/.test(form.amount.trim()) || amount < 1 || amount > MAX_REPLY_WITHIN) {
    throw new OfficeHoursError(
      'invalid_amount',
      `Reply within a whole number of working hours or days, from 1 to ${MAX_REPLY_WITHIN}.`,
      'reply-within',
    );
  }
  const awayMessage = form.awayMessage.trim();
  if (awayMessage.length > MAX_AWAY_MESSAGE_CHARS) {
    throw new OfficeHoursError(
      'away_too_long',
      `The away message is ${awayMessage.length.toLocaleString()} characters; the limit is ${MAX_AWAY_MESSAGE_CHARS.toLocaleString()}.`,
      'away-message',
    );
  }
  const parsed = OfficeHours.safeParse({
    timeZone: form.timeZone,
    week,
    replyWithin: { amount, unit: form.unit },
    awayMessage,
  });
  if (!parsed.success) throw new OfficeHoursError('invalid', 'These office hours are not complete.');
  return parsed.data;
}
