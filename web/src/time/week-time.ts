// Every piece of calendar time maths the app does, in one place. The planner shows a member's
// week in their profile timezone (never the browser's): days are cut at that zone's midnights,
// so a day can be 23 or 25 hours long, and wall-clock times convert to instants through it.
import { DateTime } from 'luxon';

export const SNAP_MINUTES = 15;
export const MINUTES_PER_DAY = 24 * 60;

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';
export const WEEKDAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

export interface PlannerDay {
  /** The calendar date in the zone, yyyy-mm-dd. */
  date: string;
  weekday: Weekday;
  /** Instants (ms) of the day's start and of the next day's start in the zone. */
  startMs: number;
  endMs: number;
  /** Real length: 23 on a spring-forward day, 25 on a fall-back day. */
  hours: number;
}

export interface PlannerWeek {
  zone: string;
  days: PlannerDay[];
  /** Half-open [from, to) as ISO instants with the zone's offsets, for the API's range query. */
  from: string;
  to: string;
}

/** 1 = Monday … 7 = Sunday (ISO), as luxon numbers weekdays. */
export type WeekStart = 1 | 2 | 3 | 4 | 5 | 6 | 7;

export function isValidZone(zone: string): boolean {
  return DateTime.local().setZone(zone).isValid;
}

/** Today's date in the zone (yyyy-mm-dd). */
export function todayIn(zone: string, now: Date = new Date()): string {
  return DateTime.fromJSDate(now).setZone(zone).toISODate()!;
}

/** The first day (yyyy-mm-dd) of the week containing `date`, weeks starting on `weekStart`. */
export function startOfWeek(date: string, weekStart: WeekStart = 1): string {
  const day = DateTime.fromISO(date, { zone: 'UTC' });
  const back = (day.weekday - weekStart + 7) % 7;
  return day.minus({ days: back }).toISODate()!;
}

export function addDays(date: string, days: number): string {
  return DateTime.fromISO(date, { zone: 'UTC' }).plus({ days }).toISODate()!;
}

/** The week containing `date` in `zone`: seven days cut at the zone's midnights. */
export function weekOf(date: string, zone: string, weekStart: WeekStart = 1): PlannerWeek {
  const first = startOfWeek(date, weekStart);
  const days: PlannerDay[] = [];
  for (let i = 0; i < 7; i++) {
    const d = addDays(first, i);
    const start = DateTime.fromISO(d, { zone }).startOf('day');
    const end = DateTime.fromISO(addDays(d, 1), { zone }).startOf('day');
    days.push({
      date: d,
      weekday: WEEKDAYS[start.weekday - 1],
      startMs: start.toMillis(),
      endMs: end.toMillis(),
      hours: (end.toMillis() - start.toMillis()) / 3_600_000,
    });
  }
  return {
    zone,
    days,
    from: DateTime.fromMillis(days[0].startMs, { zone }).toISO()!,
    to: DateTime.fromMillis(days[6].endMs, { zone }).toISO()!,
  };
}

/** Rounds minutes to the nearest snap step (15 minutes by default). */
export function snap(minutes: number, step = SNAP_MINUTES): number {
  return Math.round(minutes / step) * step;
}

export interface WallClock {
  date: string;
  /** Minutes since the wall-clock midnight, 0–1440. */
  minutes: number;
}

// A week of hundreds of blocks asks for the same instants many times per render (placement,
// labels, visible hours); zone conversions are the costly part, so answers are remembered.
const wallClocks = new Map<string, WallClock>();
const WALL_CLOCK_CACHE = 10_000;

/** Where an instant falls on the zone's wall clock (the planner's position of a block). */
export function toWallClock(instant: string | number, zone: string): WallClock {
  const key = `${zone} ${instant}`;
  const known = wallClocks.get(key);
  if (known) return { ...known };
  const t = typeof instant === 'number' ? DateTime.fromMillis(instant) : DateTime.fromISO(instant);
  const local = t.setZone(zone);
  const wall = { date: local.toISODate()!, minutes: local.hour * 60 + local.minute };
  if (wallClocks.size >= WALL_CLOCK_CACHE) wallClocks.clear();
  wallClocks.set(key, wall);
  return { ...wall };
}

/**
 * The instant a wall-clock time in the zone stands for, as ISO 8601 with the zone's offset.
 * Midnight at the end of a day (1440) is the next day's 00:00. A time skipped when clocks go
 * forward moves forward by the gap (02:30 → 03:30), as calendar apps do; a repeated time takes
 * the earlier offset, like the server.
 */
export function fromWallClock({ date, minutes }: WallClock, zone: string): string {
  const base = DateTime.fromISO(date, { zone: 'UTC' }).plus({ minutes });
  const local = DateTime.fromObject(
    { year: base.year, month: base.month, day: base.day, hour: base.hour, minute: base.minute },
    { zone },
  );
  // Luxon resolves a repeated time to the later offset; prefer the earlier one when it exists.
  const wallMs = base.toMillis();
  const earliest = [local.minus({ days: 1 }).offset, local.plus({ days: 1 }).offset]
    .map((offset) => DateTime.fromMillis(wallMs - offset * 60_000, { zone }))
    .filter((t) => t.toFormat('yyyy-MM-dd HH:mm') === local.toFormat('yyyy-MM-dd HH:mm'))
    .sort((a, b) => a.toMillis() - b.toMillis())[0];
  return (earliest ?? local).toISO({ suppressMilliseconds: true })!;
}

/** Length of [start, end) in minutes, by the clock on the wall (a day's 24-hour grid). */
export function wallMinutesBetween(start: WallClock, end: WallClock): number {
  const days = DateTime.fromISO(end.date, { zone: 'UTC' })
    .diff(DateTime.fromISO(start.date, { zone: 'UTC' }), 'days')
    .as('days');
  return days * MINUTES_PER_DAY + end.minutes - start.minutes;
}

/** Moves a block by whole days and snapped minutes, keeping its real duration. */
export function shiftInterval(
  startIso: string,
  endIso: string,
  zone: string,
  deltaDays: number,
  deltaMinutes: number,
): { start_time: string; end_time: string } {
  const start = toWallClock(startIso, zone);
  const durationMs = Date.parse(endIso) - Date.parse(startIso);
  const movedStart = fromWallClock(
    { date: addDays(start.date, deltaDays), minutes: start.minutes + deltaMinutes },
    zone,
  );
  const movedEnd = DateTime.fromMillis(Date.parse(movedStart) + durationMs).setZone(zone);
  return { start_time: movedStart, end_time: movedEnd.toISO({ suppressMilliseconds: true })! };
}

/** "HH:mm" ↔ minutes, for work hours and time inputs. */
export function parseClock(value: string): number {
  const [h, m] = value.split(':').map(Number);
  return h * 60 + (m || 0);
}

export function formatClock(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
}

/** A day header such as "Tue 24 Nov". */
export function formatDay(date: string, locale = 'en-GB'): string {
  return DateTime.fromISO(date).setLocale(locale).toFormat('ccc d LLL');
}

/** "9:00–11:30" in the zone. */
export function formatRange(startIso: string, endIso: string, zone: string): string {
  const s = toWallClock(startIso, zone);
  const e = toWallClock(endIso, zone);
  return `${formatClock(s.minutes)}–${formatClock(e.minutes)}`;
}

/** A moment such as "7 Dec 2026, 14:05" on the zone's clock. */
export function formatInstant(iso: string, zone: string, locale = 'en-GB'): string {
  return DateTime.fromISO(iso).setZone(zone).setLocale(locale).toFormat('d LLL yyyy, HH:mm');
}

export function formatDuration(seconds: number): string {
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, '0')}`;
}

/** The week start a locale uses (1 = Monday, 7 = Sunday), where the browser knows it. */
export function localeWeekStart(locale: string): WeekStart {
  try {
    const info = (
      new Intl.Locale(locale) as Intl.Locale & { getWeekInfo?: () => { firstDay: number } }
    ).getWeekInfo?.();
    if (info && info.firstDay >= 1 && info.firstDay <= 7) return info.firstDay as WeekStart;
  } catch {
    // an unknown locale falls back to Monday
  }
  return 1;
}
