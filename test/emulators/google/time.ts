/** RFC 3339 and IANA time-zone helpers on Intl (no dependency). */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallClock(ms: number, timeZone: string): Wall {
  const parts = Object.fromEntries(
    formatter(timeZone)
      .formatToParts(new Date(ms))
      .map((p) => [p.type, Number(p.value)]),
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

/** Offset of `timeZone` from UTC at the instant, in minutes (east positive). */
export function offsetMinutes(ms: number, timeZone: string): number {
  const w = wallClock(ms, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60_000);
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `2025-01-06T10:00:00+01:00`, or `…Z` in UTC: how Google writes `dateTime`. */
export function formatInZone(ms: number, timeZone: string): string {
  const offset = offsetMinutes(ms, timeZone);
  const local = new Date(Math.floor(ms / 1000) * 1000 + offset * 60_000);
  const base =
    `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}` +
    `T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
  if (offset === 0) return `${base}Z`;
  const sign = offset > 0 ? '+' : '-';
  const abs = Math.abs(offset);
  return `${base}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?$/;

export interface ParsedDateTime {
  /** Epoch milliseconds when the string carries an offset. */
  ms?: number;
  /** The wall clock, when it carries none (to be read in a time zone). */
  wall?: Wall;
}

/** Parses an RFC 3339 date-time; the offset may be missing (then only `wall` is set). */
export function parseDateTime(value: string): ParsedDateTime | undefined {
  const m = RFC3339.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return undefined;
  }
  const wall = { year, month, day, hour, minute, second };
  const zone = m[8];
  if (!zone) return { wall };
  const fraction = m[7] ? Math.floor(Number(m[7]) * 1000) : 0;
  let offset = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    offset = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  }
  return {
    ms: Date.UTC(year, month - 1, day, hour, minute, second) + fraction - offset * 60_000,
  };
}

/** The instant a wall clock denotes in `timeZone` (the earlier one in a DST fold). */
export function wallToInstant(wall: Wall, timeZone: string): number {
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  let guess = asUtc - offsetMinutes(asUtc, timeZone) * 60_000;
  guess = asUtc - offsetMinutes(guess, timeZone) * 60_000;
  return guess;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** `2025-01-06` → its midnight in `timeZone`. */
export function parseDate(value: string, timeZone: string): number | undefined {
  const m = DATE.exec(value);
  if (!m) return undefined;
  const [year, month, day] = m.slice(1).map(Number);
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  return wallToInstant({ year, month, day, hour: 0, minute: 0, second: 0 }, timeZone);
}
