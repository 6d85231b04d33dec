/**
 * Wall-clock time in an IANA time zone, with nothing but `Intl`: what a moment is called in a zone, and which moment
 * a zone's local date and time name. Office hours are kept in the therapist's zone and read in anyone's.
 */

const DAY_MS = 24 * 60 * 60 * 1000;

/** A calendar date in some zone (month 1-12). */
export interface LocalDate {
  year: number;
  month: number;
  day: number;
}

/** A moment as a zone's clock shows it. `weekday`: 0 Sunday … 6 Saturday; `minute`: minutes after local midnight. */
export interface LocalTime extends LocalDate {
  weekday: number;
  minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let found = formatters.get(timeZone);
  if (!found) {
    found = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, found);
  }
  return found;
}

/** True when `timeZone` is an IANA zone this browser knows (what `Intl.DateTimeFormat` accepts). */
export function isTimeZone(timeZone: string): boolean {
  if (timeZone.length === 0) return false;
  try {
    formatter(timeZone);
    return true;
  } catch {
    // Intl refuses unknown zones with a RangeError: that is the answer, not a failure.
    return false;
  }
}

/** This device's zone, as the browser reports it. */
export function deviceTimeZone(): string {
  return new Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** The zone's wall-clock fields of `at`, as if they were UTC: subtracting `at` gives the zone's offset. */
function wallClockAsUtc(at: number, timeZone: string): number {
  const fields: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(at)) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  return Date.UTC(fields.year, fields.month - 1, fields.day, fields.hour, fields.minute, fields.second);
}

/** The zone's offset from UTC at `at`, in milliseconds (positive east of Greenwich). */
export function offsetAt(at: number, timeZone: string): number {
  const wholeSeconds = Math.floor(at / 1000) * 1000;
  return wallClockAsUtc(wholeSeconds, timeZone) - wholeSeconds;
}

/** What the zone's clock shows at `at`. */
export function localTime(at: number, timeZone: string): LocalTime {
  const wall = new Date(at + offsetAt(at, timeZone));
  return {
    year: wall.getUTCFullYear(),
    month: wall.getUTCMonth() + 1,
    day: wall.getUTCDate(),
    weekday: wall.getUTCDay(),
    minute: wall.getUTCHours() * 60 + wall.getUTCMinutes(),
  };
}

/**
 * The moment the zone calls `minute` minutes after midnight of `date` (1440 is the next midnight). A time that a
 * clock change skips (spring forward) is read with the offset from before the change, so it lands as far after the
 * gap as it was into it; a time that happens twice (fall back) is its first occurrence. (Temporal's "compatible".)
 */
export function instantOf(date: LocalDate, minute: number, timeZone: string): number {
  const wall = Date.UTC(date.year, date.month - 1, date.day) + minute * 60_000;
  // Zones change offset at most once in two days, so the offsets a day either side are the only candidates.
  const before = offsetAt(wall - DAY_MS, timeZone);
  const after = offsetAt(wall + DAY_MS, timeZone);
  const fits = [before, after].filter((offset) => offsetAt(wall - offset, timeZone) === offset);
  if (fits.length === 0) return wall - before;
  return Math.min(...fits.map((offset) => wall - offset));
}

/** The calendar date `days` after `date` (negative: before). */
export function addDays(date: LocalDate, days: number): LocalDate {
  const moved = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: moved.getUTCFullYear(), month: moved.getUTCMonth() + 1, day: moved.getUTCDate() };
}

/** The day of the week of a calendar date, 0 Sunday … 6 Saturday. */
export function weekdayOf(date: LocalDate): number {
  return new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay();
}

/** `YYYY-MM-DD`: a calendar date as a key. */
export function dateKey(date: LocalDate): string {
  const pad = (n: number, width: number) => String(n).padStart(width, '0');
  return `${pad(date.year, 4)}-${pad(date.month, 2)}-${pad(date.day, 2)}`;
}

/** The zones to choose from: every zone this browser knows, with UTC and `current` among them, sorted. */
export function timeZoneChoices(current: string): string[] {
  const known =
    typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [deviceTimeZone()];
  return [...new Set([...known, 'UTC', current].filter(isTimeZone))].sort();
}
