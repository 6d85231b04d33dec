import { MAX_AWAY_MESSAGE_CHARS, MAX_REPLY_WITHIN } from '../protocol/limits';
import { OfficeHours } from './schemas';
import { clock, WEEKDAY_NAMES } from './week';
import { deviceTimeZone, isTimeZone } from './zonedTime';

export type OfficeHoursProblem =
  | 'missing_time'
  | 'closes_before_opens'
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

/** One day of the settings form: open or not, and its times as `<input type="time">` gives them ("09:00"). */
export interface OfficeDayForm {
  open: boolean;
  from: string;
  to: string;
}

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

/**
 * The form for saved hours, or the usual Monday to Friday, 09:00 to 17:00, in this device's zone. The form holds one
 * stretch a day: a day saved with a break (by another version, or a peer) is shown, and saved again, as one stretch
 * from its first opening to its last close; the form's hint says so.
 */
export function officeHoursToForm(hours: OfficeHours | undefined): OfficeHoursForm {
  if (!hours) {
    return {
      days: WEEKDAY_NAMES.map((_, day) => ({ open: day >= 1 && day <= 5, from: '09:00', to: '17:00' })),
      timeZone: deviceTimeZone(),
      amount: '1',
      unit: 'days',
      awayMessage: '',
    };
  }
  return {
    days: hours.week.map((day) => ({
      open: day.length > 0,
      from: day.length > 0 ? timeInput(day[0].start) : '09:00',
      to: day.length > 0 ? timeInput(day[day.length - 1].end) : '17:00',
    })),
    timeZone: hours.timeZone,
    amount: String(hours.replyWithin.amount),
    unit: hours.replyWithin.unit,
    awayMessage: hours.awayMessage,
  };
}

/** Office hours from the form, or `OfficeHoursError` saying what to fix. A closing time of 00:00 is midnight. */
export function officeHoursFromForm(form: OfficeHoursForm): OfficeHours {
  const week = form.days.map((day, i) => {
    if (!day.open) return [];
    const start = minutes(day.from);
    const end = minutes(day.to);
    const name = WEEKDAY_NAMES[i];
    if (start === null || end === null) {
      throw new OfficeHoursError(
        'missing_time',
        `Enter an opening and a closing time for ${name}.`,
        start === null ? `day-${i}-from` : `day-${i}-to`,
      );
    }
    const close = end === 0 ? 1440 : end;
    if (close <= start) {
      throw new OfficeHoursError(
        'closes_before_opens',
        `On ${name}, the closing time must be after the opening time.`,
        `day-${i}-to`,
      );
    }
    return [{ start, end: close }];
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
