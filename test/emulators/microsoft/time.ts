import { DateTime } from 'luxon';

/**
 * Graph's dateTimeTimeZone: `dateTime` is a wall-clock time WITHOUT offset, `timeZone` names the
 * zone it is read in (Windows names such as "W. Europe Standard Time" or IANA names). An offset or
 * `Z` embedded in `dateTime` is ignored, as Graph does.
 */
export interface DateTimeTimeZone {
  dateTime: string;
  timeZone: string;
}

/** The Windows zone names Outlook uses most, mapped to IANA (a subset of CLDR windowsZones). */
const WINDOWS_ZONES: Record<string, string> = {
  UTC: 'UTC',
  'Coordinated Universal Time': 'UTC',
  'GMT Standard Time': 'Europe/London',
  'Greenwich Standard Time': 'Atlantic/Reykjavik',
  'W. Europe Standard Time': 'Europe/Berlin',
  'Romance Standard Time': 'Europe/Paris',
  'Central Europe Standard Time': 'Europe/Budapest',
  'Central European Standard Time': 'Europe/Warsaw',
  'E. Europe Standard Time': 'Europe/Chisinau',
  'FLE Standard Time': 'Europe/Kiev',
  'GTB Standard Time': 'Europe/Bucharest',
  'Russian Standard Time': 'Europe/Moscow',
  'Eastern Standard Time': 'America/New_York',
  'Central Standard Time': 'America/Chicago',
  'Mountain Standard Time': 'America/Denver',
  'US Mountain Standard Time': 'America/Phoenix',
  'Pacific Standard Time': 'America/Los_Angeles',
  'Alaskan Standard Time': 'America/Anchorage',
  'Hawaiian Standard Time': 'Pacific/Honolulu',
  'E. South America Standard Time': 'America/Sao_Paulo',
  'India Standard Time': 'Asia/Kolkata',
  'China Standard Time': 'Asia/Shanghai',
  'Singapore Standard Time': 'Asia/Singapore',
  'Tokyo Standard Time': 'Asia/Tokyo',
  'AUS Eastern Standard Time': 'Australia/Sydney',
  'New Zealand Standard Time': 'Pacific/Auckland',
};

export class TimeZoneError extends Error {}

/** IANA zone for a Graph time zone name, or a TimeZoneError. */
export function ianaZone(name: string): string {
  const mapped = WINDOWS_ZONES[name];
  if (mapped) return mapped;
  const probe = DateTime.now().setZone(name);
  if (!probe.isValid) throw new TimeZoneError(`Time zone '${name}' is not supported.`);
  return name;
}

const WALL_CLOCK = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?/;

/** Reads a dateTimeTimeZone to epoch milliseconds, ignoring any embedded offset. */
export function toEpochMs(value: DateTimeTimeZone | undefined, field: string): number {
  if (!value || typeof value !== 'object' || typeof value.dateTime !== 'string') {
    throw new TimeZoneError(`${field}.dateTime is required.`);
  }
  if (typeof value.timeZone !== 'string' || value.timeZone === '') {
    throw new TimeZoneError(`${field}.timeZone is required.`);
  }
  const zone = ianaZone(value.timeZone);
  const match = WALL_CLOCK.exec(value.dateTime);
  if (!match) throw new TimeZoneError(`Cannot convert '${value.dateTime}' to a DateTime.`);
  const [, date, hh = '00', mm = '00', ss = '00', fraction = ''] = match;
  const ms = Number((fraction + '000').slice(0, 3));
  const parsed = DateTime.fromISO(`${date}T${hh}:${mm}:${ss}`, { zone }).set({ millisecond: ms });
  if (!parsed.isValid) throw new TimeZoneError(`Cannot convert '${value.dateTime}' to a DateTime.`);
  return parsed.toMillis();
}

/** Formats epoch milliseconds the way Graph does: wall clock with 7 fraction digits, no offset. */
export function fromEpochMs(epochMs: number, timeZone: string): DateTimeTimeZone {
  const local = DateTime.fromMillis(epochMs, { zone: ianaZone(timeZone) });
  return { dateTime: `${local.toFormat("yyyy-MM-dd'T'HH:mm:ss.SSS")}0000`, timeZone };
}

/** Graph's own timestamps (createdDateTime …): UTC with 7 fraction digits and `Z`. */
export function graphTimestamp(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
}

/** Parses `startDateTime`/`endDateTime` query values (ISO 8601; no offset means UTC). */
export function parseQueryInstant(value: string): number | undefined {
  const parsed = DateTime.fromISO(value, { zone: 'UTC' });
  return parsed.isValid ? parsed.toMillis() : undefined;
}

/** Midnight check for all-day events, in the event's own zone. */
export function isMidnight(value: DateTimeTimeZone): boolean {
  const match = WALL_CLOCK.exec(value.dateTime);
  if (!match) return false;
  return (match[2] ?? '00') === '00' && (match[3] ?? '00') === '00' && (match[4] ?? '00') === '00';
}
