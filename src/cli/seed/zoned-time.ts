import { DateTime } from 'luxon';

/*
 * Wall-clock time in an IANA zone ↔ UTC for the demo seed, which plans blocks as "Tuesday 09:30
 * in Amsterdam" and stores them in UTC, as the schema asks. luxon, like the rest of the app.
 */

export interface CalendarDate {
  year: number;
  /** 1–12 */
  month: number;
  day: number;
}

/** The wall-clock reading in `timeZone` at `instant`. */
export function wallClock(
  instant: Date,
  timeZone: string,
): CalendarDate & { hour: number; minute: number; second: number } {
  const { year, month, day, hour, minute, second } = DateTime.fromJSDate(instant, {
    zone: timeZone,
  });
  return { year, month, day, hour, minute, second };
}

/**
 * The UTC instant at which the clock in `timeZone` reads `date` `minutes` past midnight. A wall
 * time that does not exist (the skipped spring-forward hour) moves forward by the gap, which
 * working hours never hit.
 */
export function zonedTimeToUtc(date: CalendarDate, minutes: number, timeZone: string): Date {
  return DateTime.fromObject(
    { ...date, hour: Math.floor(minutes / 60), minute: minutes % 60 },
    { zone: timeZone },
  ).toJSDate();
}

/** `date` moved by `days` calendar days, and its ISO weekday (1 = Monday … 7 = Sunday). */
export function addDays(date: CalendarDate, days: number): CalendarDate & { isoWeekday: number } {
  const { year, month, day, weekday } = DateTime.utc(date.year, date.month, date.day).plus({
    days,
  });
  return { year, month, day, isoWeekday: weekday };
}
