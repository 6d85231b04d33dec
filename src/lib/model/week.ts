/** The office week as people read it: the days' names, their order, and times of day. */

/** Day names by `OfficeHours` index: 0 Sunday … 6 Saturday. */
export const WEEKDAY_NAMES = [
  'Sunday',
  'Monday',
  'Tuesday',
  'Wednesday',
  'Thursday',
  'Friday',
  'Saturday',
] as const;

/** The week in the order people read it, Monday first, as `OfficeHours` indices (which start on Sunday). */
export const WEEK_ORDER: readonly number[] = [1, 2, 3, 4, 5, 6, 0];

/** Minutes after local midnight as "HH:MM"; the midnight after a day (1440) is "24:00". */
export function clock(minute: number): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(minute / 60))}:${pad(minute % 60)}`;
}
