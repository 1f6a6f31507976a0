/*
 * Wall-clock time in an IANA zone ↔ UTC, with Intl only (no date library is installed).
 * The seed plans blocks as "Tuesday 09:30 in Amsterdam" and stores them in UTC, as the schema asks.
 */

export interface CalendarDate {
  year: number;
  /** 1–12 */
  month: number;
  day: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

/** The wall-clock reading in `timeZone` at `instant`. */
export function wallClock(
  instant: Date,
  timeZone: string,
): CalendarDate & { hour: number; minute: number; second: number } {
  const parts = Object.fromEntries(
    formatter(timeZone)
      .formatToParts(instant)
      .filter((part) => part.type !== 'literal')
      .map((part) => [part.type, Number(part.value)]),
  );
  return {
    year: parts.year,
    month: parts.month,
    day: parts.day,
    hour: parts.hour,
    minute: parts.minute,
    second: parts.second,
  };
}

/** How far `timeZone` is ahead of UTC at `instant`, in milliseconds. */
function offsetAt(instant: Date, timeZone: string): number {
  const wall = wallClock(instant, timeZone);
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

/**
 * The UTC instant at which the clock in `timeZone` reads `date` `minutes` past midnight. Two
 * passes settle the offset across a DST change; a wall time that does not exist (the skipped
 * spring-forward hour) resolves to the instant one offset later, which working hours never hit.
 */
export function zonedTimeToUtc(date: CalendarDate, minutes: number, timeZone: string): Date {
  const wallAsUtc = Date.UTC(date.year, date.month - 1, date.day, 0, minutes);
  let instant = wallAsUtc - offsetAt(new Date(wallAsUtc), timeZone);
  instant = wallAsUtc - offsetAt(new Date(instant), timeZone);
  return new Date(instant);
}

/** `date` moved by `days` calendar days, and its ISO weekday (1 = Monday … 7 = Sunday). */
export function addDays(date: CalendarDate, days: number): CalendarDate & { isoWeekday: number } {
  const moved = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return {
    year: moved.getUTCFullYear(),
    month: moved.getUTCMonth() + 1,
    day: moved.getUTCDate(),
    isoWeekday: moved.getUTCDay() === 0 ? 7 : moved.getUTCDay(),
  };
}
