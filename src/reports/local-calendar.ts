import { DateTime } from 'luxon';
import { ValidationFailedError } from '../common/errors/domain.error';
import { ZoneClock } from './zone-clock';

/** The longest range a report or export covers: a (leap) year of local days. */
export const MAX_RANGE_DAYS = 366;

/** A report's half-open range `[from, to)`, as instants and in the report's time zone. */
export interface ReportRange {
  zone: string;
  from: DateTime;
  to: DateTime;
  /** Unix seconds. */
  fromSecond: number;
  toSecond: number;
}

/**
 * `from`/`to` as sent: ISO 8601. A value with an offset (`Z`, `+02:00`) is that instant; one
 * without (`2025-03-30`, `2025-03-30T08:00`) is wall-clock time in the report's zone, so a bare
 * date is local midnight. The range is half-open like every interval in danwel: `to=2025-04-01`
 * ends at the first instant of April 1st. At most 366 local days.
 */
export function parseRange(fromText: string, toText: string, zone: string): ReportRange {
  const from = DateTime.fromISO(fromText, { zone });
  const to = DateTime.fromISO(toText, { zone });
  const errors: Record<string, string[]> = {};
  if (!from.isValid) errors.from = ['from must be an ISO 8601 date or date-time'];
  if (!to.isValid) errors.to = ['to must be an ISO 8601 date or date-time'];
  else if (from.isValid && to <= from) errors.to = ['to must be after from'];
  else if (from.isValid && to > from.plus({ days: MAX_RANGE_DAYS })) {
    errors.to = [`the range from from to to must be at most ${MAX_RANGE_DAYS} days`];
  }
  if (Object.keys(errors).length > 0) throw new ValidationFailedError(errors);
  return { zone, from, to, fromSecond: toSecond(from), toSecond: toSecond(to) };
}

export function toSecond(value: DateTime): number {
  return Math.floor(value.toMillis() / 1000);
}

export function isoUtc(second: number): string {
  return new Date(second * 1000).toISOString();
}

/** A calendar period in the report's zone: `[start, end)` in Unix seconds and its key. */
export interface Period {
  /** `2025-03-30` (day), the Monday `2025-03-24` (ISO week), `2025-03` (month). */
  value: string;
  start: number;
  end: number;
}

export interface LocalDay extends Period {
  week: Period;
  month: Period;
}

/** A stretch of a block inside one local day. */
export interface DayPart {
  start: number;
  end: number;
  day: LocalDay;
}

/**
 * Local days, ISO weeks and months of one time zone, cut at local midnight, so a day is 23 or 25
 * hours long across a daylight-saving change and weeks start at Monday 00:00 local. Every period
 * starts at the first instant of its first date (luxon resolves a midnight that does not exist,
 * as in Havana's spring change, to the first instant after it, and one that happens twice to one
 * of them) and ends where the next period starts, so the periods tile time without gaps or
 * overlaps. Every week and month boundary is a day boundary, so splitting blocks by day places
 * each part in exactly one day, one week and one month. A date's start is computed once (luxon)
 * and found again through the zone's cached offsets (zone-clock.ts).
 */
export class LocalCalendar {
  private readonly days = new Map<string, LocalDay>();
  private readonly starts = new Map<string, number>();
  private readonly clock: ZoneClock;
  private last: LocalDay | null = null;

  constructor(readonly zone: string) {
    const clock = ZoneClock.of(zone);
    if (!clock) throw new Error(`Not an IANA time zone: ${zone}`);
    this.clock = clock;
  }

  dayAt(second: number): LocalDay {
    const last = this.last;
    if (last && second >= last.start && second < last.end) return last;
    let day = this.day(this.clock.localDate(second));
    // Around a midnight that happens twice, the wall-clock date can disagree with the tiling.
    while (second < day.start) day = this.day(shiftDate(day.value, { days: -1 }));
    while (second >= day.end) day = this.day(shiftDate(day.value, { days: 1 }));
    this.last = day;
    return day;
  }

  private day(date: string): LocalDay {
    let day = this.days.get(date);
    if (!day) {
      const calendarDate = DateTime.fromISO(date, { zone: 'utc' });
      const monday = calendarDate.startOf('week').toISODate()!;
      const first = calendarDate.startOf('month').toISODate()!;
      day = {
        value: date,
        start: this.startOf(date),
        end: this.startOf(shiftDate(date, { days: 1 })),
        week: {
          value: monday,
          start: this.startOf(monday),
          end: this.startOf(shiftDate(monday, { weeks: 1 })),
        },
        month: {
          value: first.slice(0, 7),
          start: this.startOf(first),
          end: this.startOf(shiftDate(first, { months: 1 })),
        },
      };
      this.days.set(date, day);
    }
    return day;
  }

  /** The first instant of a local date, in Unix seconds. */
  private startOf(date: string): number {
    let start = this.starts.get(date);
    if (start === undefined) {
      start = toSecond(DateTime.fromISO(date, { zone: this.zone }).startOf('day'));
      this.starts.set(date, start);
    }
    return start;
  }

  /** `[start, end)` cut at every local midnight it crosses. */
  splitByDay(start: number, end: number): DayPart[] {
    const parts: DayPart[] = [];
    for (let cursor = start; cursor < end;) {
      const day = this.dayAt(cursor);
      const partEnd = Math.min(end, day.end);
      if (partEnd <= cursor) throw new Error(`No progress splitting at ${cursor} in ${this.zone}`);
      parts.push({ start: cursor, end: partEnd, day });
      cursor = partEnd;
    }
    return parts;
  }
}

/** Calendar arithmetic on `YYYY-MM-DD` dates (no time zone involved). */
function shiftDate(date: string, by: { days?: number; weeks?: number; months?: number }): string {
  return DateTime.fromISO(date, { zone: 'utc' }).plus(by).toISODate()!;
}
