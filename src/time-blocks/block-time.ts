import { DateTime } from 'luxon';

/*
 * Block times in and out. Input is ISO 8601 either with an offset (`2025-03-30T09:00:00+02:00`,
 * `…Z`: an instant) or without one (`2025-03-30T09:00`: a wall-clock reading in the block's
 * time zone). Stored in UTC to the whole second; shown in UTC and in the block's zone.
 */

/** Blocks are at most this long. The list query relies on it too (see `earliestStart`). */
export const MAX_BLOCK_MS = 24 * 60 * 60 * 1000;

/** Date, `T`, hours and minutes; optional seconds and fraction; optional `Z` or `±HH:MM`. */
export const BLOCK_TIME_PATTERN =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})?$/;

/** The same, but the offset is required: list ranges name instants. */
export const INSTANT_PATTERN =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

const PARTS =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|([+-])(\d{2}):(\d{2}))?$/;

/** Instants danwel accepts: DATETIME holds years 1000–9999; anything outside this is a typo. */
const EARLIEST = Date.UTC(1900, 0, 1);
const LATEST = Date.UTC(9999, 0, 1);

/** Why an input time was refused, phrased for the field it came from. */
export class TimeInputError extends Error {}

/** Whole seconds, as MariaDB's DATETIME(0) and TIMESTAMP(0) store them (fractions truncated). */
export function truncateToSecond(milliseconds: number): Date {
  return new Date(Math.floor(milliseconds / 1000) * 1000);
}

/**
 * The UTC instant `value` names. With an offset, that instant; without one, the reading of the
 * clock in `zone`:
 * - a reading the clocks skip (02:30 on the night summer time starts) does not exist: refused;
 * - a reading that happens twice (02:30 on the night summer time ends) is the earlier of the two
 *   instants, i.e. the one still at the summer-time offset — what Temporal calls `'earlier'`.
 * Fractions of a second are truncated.
 */
export function toInstant(field: string, value: string, zone: string): Date {
  const invalid = () => new TimeInputError(`${field} is not a valid date and time.`);
  const parts = PARTS.exec(value);
  if (!parts) throw invalid();
  const [year, month, day, hour, minute, second = '0', offset, sign, offsetHours, offsetMinutes] =
    parts.slice(1);
  const reading = {
    year: Number(year),
    month: Number(month),
    day: Number(day),
    hour: Number(hour),
    minute: Number(minute),
    second: Number(second),
  };
  // Luxon would roll 24:00 over to the next day and accept offsets beyond any real zone's.
  if (reading.hour > 23 || reading.minute > 59 || reading.second > 59) throw invalid();
  if (offsetHours !== undefined && (Number(offsetHours) > 18 || Number(offsetMinutes) > 59)) {
    throw invalid();
  }

  let milliseconds: number;
  if (offset === undefined) {
    const local = DateTime.fromObject(reading, { zone });
    if (!local.isValid) throw invalid();
    // Luxon moves a skipped reading forward (02:30 → 03:30); a different reading means a gap.
    const same = (Object.keys(reading) as (keyof typeof reading)[]).every(
      (unit) => local[unit] === reading[unit],
    );
    if (!same) {
      throw new TimeInputError(
        `${field} ${value} does not exist in ${zone}: the clocks skip it (daylight saving time).`,
      );
    }
    milliseconds = Math.min(...local.getPossibleOffsets().map((candidate) => candidate.toMillis()));
  } else {
    // The reading minus its offset, by arithmetic: a luxon parse here was a visible share of
    // every list request's CPU. setUTCFullYear, unlike Date.UTC, takes years below 100 as given.
    const date = new Date(0);
    date.setUTCFullYear(reading.year, reading.month - 1, reading.day);
    if (date.getUTCMonth() !== reading.month - 1 || date.getUTCDate() !== reading.day) {
      throw invalid();
    }
    const offsetTotal =
      offset === 'Z'
        ? 0
        : (sign === '-' ? -1 : 1) * (Number(offsetHours) * 60 + Number(offsetMinutes));
    milliseconds =
      date.getTime() +
      ((reading.hour * 60 + reading.minute - offsetTotal) * 60 + reading.second) * 1000;
  }
  if (milliseconds < EARLIEST || milliseconds >= LATEST) {
    throw new TimeInputError(`${field} must be between the years 1900 and 9998.`);
  }
  return truncateToSecond(milliseconds);
}

const HOUR_MS = 3_600_000;

/** A zone as luxon resolves it, and its offsets by UTC hour: lists show thousands of blocks. */
interface ZoneClock {
  valid: boolean;
  /** Fixed-offset zones at offset 0 (`UTC`) print `Z`; named zones print `+00:00`. */
  fixed: boolean;
  offsets: Map<number, number | null>;
}
const zoneClocks = new Map<string, ZoneClock>();
const ZONE_CLOCK_LIMIT = 1_000;

function zoneClock(zone: string): ZoneClock {
  let clock = zoneClocks.get(zone);
  if (!clock) {
    const probe = DateTime.fromMillis(0, { zone });
    clock = {
      valid: probe.isValid,
      fixed: probe.isValid && probe.isOffsetFixed,
      offsets: new Map(),
    };
    if (zoneClocks.size >= ZONE_CLOCK_LIMIT) zoneClocks.clear();
    zoneClocks.set(zone, clock);
  }
  return clock;
}

/**
 * The zone's offset in minutes throughout the UTC hour that holds `milliseconds`, or null when it
 * changes within that hour (a transition off the hour): then the caller asks luxon directly.
 */
function hourOffset(clock: ZoneClock, zone: string, milliseconds: number): number | null {
  const hour = Math.floor(milliseconds / HOUR_MS);
  let offset = clock.offsets.get(hour);
  if (offset === undefined) {
    const first = DateTime.fromMillis(hour * HOUR_MS, { zone }).offset;
    const last = DateTime.fromMillis((hour + 1) * HOUR_MS - 1, { zone }).offset;
    offset = first === last && Number.isInteger(first) ? first : null;
    if (clock.offsets.size >= 100_000) clock.offsets.clear();
    clock.offsets.set(hour, offset);
  }
  return offset;
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/**
 * ISO 8601 with the offset of `zone` at that instant: `2025-03-30T09:00:00.000+02:00`, exactly as
 * luxon's `toISO()` writes it; an unknown zone shows UTC. Offsets are looked up once per zone and
 * hour, since a DateTime per timestamp was a tenth of a list request's CPU time.
 */
export function localIso(instant: Date, zone: string): string {
  const clock = zoneClock(zone);
  const milliseconds = instant.getTime();
  if (!clock.valid) return instant.toISOString();
  const offset = hourOffset(clock, zone, milliseconds);
  if (offset === null || milliseconds < 0 || milliseconds >= 253402300800000) {
    return DateTime.fromJSDate(instant, { zone }).toISO()!;
  }
  const local = new Date(milliseconds + offset * 60_000).toISOString().slice(0, -1);
  if (offset === 0 && clock.fixed) return `${local}Z`;
  const magnitude = Math.abs(offset);
  const sign = offset < 0 ? '-' : '+';
  return `${local}${sign}${pad(Math.floor(magnitude / 60))}:${pad(magnitude % 60)}`;
}
