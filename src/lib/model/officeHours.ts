import type { OfficeHours } from './schemas';
import { clock, WEEK_ORDER, WEEKDAY_NAMES } from './week';
import { addDays, deviceTimeZone, instantOf, localTime, weekdayOf, type LocalDate } from './zonedTime';

/**
 * Office hours as moments, and in words. Every function takes parsed `OfficeHours` (at least one day open) and
 * works in its zone, so a clock change or a reader elsewhere moves nothing: a moment is a moment.
 *
 * Working time, for a reply promise:
 * - `hours`: N hours of office time, counted from the message, or from the next opening if it came while closed.
 * - `days`: a working day is a date (in the office's zone) with office hours. The reply is due when the Nth working
 *   day that opens at or after the message closes: a message before Monday's opening is due by Monday's close; one
 *   during Monday, or Friday evening, counts from the next working day.
 */

/** An open stretch, from its first to its last moment (exclusive). */
interface Span {
  start: number;
  end: number;
}

/** Days searched ahead before giving up: far beyond any promise over any week with an open day. */
const SEARCH_DAYS = 40_000;

/** A working day's open intervals as moments, in order (empty when closed that day). */
function dayOpenings(hours: OfficeHours, date: LocalDate): Span[] {
  const out: Span[] = [];
  for (const interval of hours.week[weekdayOf(date)]) {
    const start = instantOf(date, interval.start, hours.timeZone);
    const end = instantOf(date, interval.end, hours.timeZone);
    // A time a clock change skips is read an hour later (see `instantOf`), so an interval inside the skipped hour is
    // open an hour later; one that starts in the gap and ends just after it can end by the time it starts: left out.
    if (end > start) out.push({ start, end });
  }
  return out;
}

/** Each working day at or after the date holding `from`, with its openings. */
function* workingDays(hours: OfficeHours, from: number): Generator<Span[]> {
  const first = localTime(from, hours.timeZone);
  for (let i = 0; i < SEARCH_DAYS; i++) {
    const openings = dayOpenings(hours, addDays(first, i));
    if (openings.length > 0) yield openings;
  }
  throw new RangeError('These office hours never open.');
}

/** Open intervals that have not ended by `from`, in order (one running into the next is left as two). */
function* openStretches(hours: OfficeHours, from: number): Generator<Span> {
  for (const day of workingDays(hours, from)) {
    for (const span of day) if (span.end > from) yield span;
  }
}

/** True when the office is open at `at`. */
export function isOpen(hours: OfficeHours, at: number): boolean {
  return nextOpening(hours, at) === at;
}

/** When the office last closed at or before `at`: the end of the latest open interval that has ended by then. */
export function lastClosing(hours: OfficeHours, at: number): number {
  const today = localTime(at, hours.timeZone);
  for (let i = 0; i < SEARCH_DAYS; i++) {
    const ended = dayOpenings(hours, addDays(today, -i)).filter((span) => span.end <= at);
    if (ended.length > 0) return ended[ended.length - 1].end;
  }
  throw new RangeError('These office hours never open.');
}

/** The first moment at or after `at` when the office is open: `at` itself while it is open. */
export function nextOpening(hours: OfficeHours, at: number): number {
  for (const span of openStretches(hours, at)) return Math.max(span.start, at);
  throw new RangeError('These office hours never open.');
}

/** When a reply to a message sent at `sentAt` is due under the promise (see the rules above). */
export function replyDueBy(hours: OfficeHours, sentAt: number): number {
  const { amount, unit } = hours.replyWithin;
  if (unit === 'hours') {
    let remaining = amount * 60 * 60 * 1000;
    for (const span of openStretches(hours, sentAt)) {
      const from = Math.max(span.start, sentAt);
      if (remaining <= span.end - from) return from + remaining;
      remaining -= span.end - from;
    }
  } else {
    let counted = 0;
    for (const day of workingDays(hours, sentAt)) {
      if (day[0].start < sentAt) continue;
      if (++counted === amount) return day[day.length - 1].end;
    }
  }
  throw new RangeError('These office hours never open.');
}

/** "Mon" for Monday. */
const shortName = (day: number) => WEEKDAY_NAMES[day].slice(0, 3);

/** Days in week order as "Mon–Fri" for runs of three or more, else "Sat, Sun". */
function dayList(days: number[]): string {
  const runs: number[][] = [];
  for (const day of days) {
    const run = runs.at(-1);
    const position = WEEK_ORDER.indexOf(day);
    if (run && WEEK_ORDER.indexOf(run[run.length - 1]) === position - 1) run.push(day);
    else runs.push([day]);
  }
  return runs
    .map((run) =>
      run.length >= 3
        ? `${shortName(run[0])}–${shortName(run[run.length - 1])}`
        : run.map(shortName).join(', '),
    )
    .join(', ');
}

/**
 * The week in words, in the office's zone: "Mon–Fri 09:00–17:00; Sat 10:00–12:00". The zone is named, as in
 * "(Europe/London)", when it is not the reader's.
 */
export function describeHours(hours: OfficeHours, readerZone = deviceTimeZone()): string {
  const groups = new Map<string, number[]>();
  for (const day of WEEK_ORDER) {
    const intervals = hours.week[day];
    if (intervals.length === 0) continue;
    const times = intervals.map((i) => `${clock(i.start)}–${clock(i.end)}`).join(' and ');
    groups.set(times, [...(groups.get(times) ?? []), day]);
  }
  const text = [...groups].map(([times, days]) => `${dayList(days)} ${times}`).join('; ');
  return readerZone === hours.timeZone ? text : `${text} (${hours.timeZone})`;
}

/** The reply promise in words: "within 1 working day", "within 4 working hours". */
export function describePromise(hours: OfficeHours): string {
  const { amount, unit } = hours.replyWithin;
  const noun = unit === 'hours' ? 'hour' : 'day';
  return `within ${amount} working ${noun}${amount === 1 ? '' : 's'}`;
}

const WEEK_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * A moment in words, on the reader's clock: "Tuesday 17:00" within the week either side of `now`, otherwise with
 * its date, "Tuesday 12 January 17:00".
 */
export function describeMoment(at: number, now: number, readerZone = deviceTimeZone()): string {
  const near = Math.abs(at - now) < WEEK_MS - 24 * 60 * 60 * 1000;
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: readerZone,
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const field = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  const time = `${field('hour')}:${field('minute')}`;
  return near
    ? `${field('weekday')} ${time}`
    : `${field('weekday')} ${field('day')} ${field('month')} ${time}`;
}
