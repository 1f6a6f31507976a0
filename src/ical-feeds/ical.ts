import { DateTime, IANAZone } from 'luxon';
import { tzlib_get_ical_block, tzlib_get_timezones } from 'timezones-ical-library';

/*
 * A small RFC 5545 writer for the published feed: no I/O, no clock (the caller passes `now`), so
 * the rules live in one place with unit specs beside it.
 *
 * - Content lines end in CRLF and are folded at 75 octets; a fold never splits a UTF-8 sequence.
 * - TEXT values escape `\`, `;`, `,` and newlines; other control characters, which TEXT may not
 *   contain, are dropped.
 * - Times carry `TZID=<zone>` with that zone's VTIMEZONE (from timezones-ical-library), so a
 *   client shows the block in the zone it was planned in. UTC, unknown zones, and the rare local
 *   time that names the second pass through a repeated hour (which RFC 5545 §3.3.5 reads as the
 *   first) are written as UTC (`…Z`) instead, which every reader places at the right instant.
 */

export const CRLF = '\r\n';
const MAX_LINE_OCTETS = 75;

export interface CalendarEvent {
  uid: string;
  start: Date;
  end: Date;
  /** IANA zone the event was planned in. */
  timezone: string;
  summary: string;
  description?: string | null;
  categories?: string[];
  created?: Date | null;
  lastModified: Date;
  sequence: number;
}

export interface Calendar {
  prodId: string;
  /** X-WR-CALNAME / NAME. */
  name: string;
  /** X-WR-TIMEZONE: the zone a client should show the calendar in. */
  timezone: string;
  /** How often subscribers should refresh (ISO 8601 duration): REFRESH-INTERVAL, X-PUBLISHED-TTL. */
  refreshInterval?: string;
  events: CalendarEvent[];
}

/** The serialized calendar; `now` becomes every DTSTAMP. */
export function serializeCalendar(calendar: Calendar, now: Date): string {
  const lines: string[] = [
    'BEGIN:VCALENDAR',
    property('PRODID', escapeText(calendar.prodId)),
    'VERSION:2.0',
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    property('NAME', escapeText(calendar.name)),
    property('X-WR-CALNAME', escapeText(calendar.name)),
    property('X-WR-TIMEZONE', escapeText(calendar.timezone)),
  ];
  if (calendar.refreshInterval) {
    lines.push(
      property('REFRESH-INTERVAL', calendar.refreshInterval, { VALUE: 'DURATION' }),
      property('X-PUBLISHED-TTL', calendar.refreshInterval),
    );
  }

  const events = calendar.events.map((event) => ({ event, times: eventTimes(event) }));
  const zones = [...new Set(events.flatMap(({ times }) => (times.tzid ? [times.tzid] : [])))];
  for (const zone of zones.sort()) lines.push(...vtimezone(zone));

  for (const { event, times } of events) {
    lines.push(
      'BEGIN:VEVENT',
      property('UID', escapeText(event.uid)),
      property('DTSTAMP', formatUtc(now)),
      times.start,
      times.end,
      property('SUMMARY', escapeText(event.summary)),
    );
    if (event.description) lines.push(property('DESCRIPTION', escapeText(event.description)));
    if (event.categories?.length) {
      lines.push(property('CATEGORIES', event.categories.map(escapeText).join(',')));
    }
    if (event.created) lines.push(property('CREATED', formatUtc(event.created)));
    lines.push(
      property('LAST-MODIFIED', formatUtc(event.lastModified)),
      property('SEQUENCE', String(Math.max(0, Math.trunc(event.sequence)))),
      'STATUS:CONFIRMED',
      'TRANSP:OPAQUE',
      'END:VEVENT',
    );
  }
  lines.push('END:VCALENDAR');
  return lines.map(foldLine).join(CRLF) + CRLF;
}

/** `NAME;PARAM=value:value`, unfolded. `value` must already be escaped for its type. */
export function property(name: string, value: string, params: Record<string, string> = {}): string {
  const rendered = Object.entries(params)
    .map(([key, param]) => `;${key}=${paramValue(param)}`)
    .join('');
  return `${name}${rendered}:${value}`;
}

/** A parameter value, double-quoted when it holds `;`, `:` or `,` (RFC 5545 §3.1, param-value). */
export function paramValue(value: string): string {
  const clean = stripControls(value.replace(/\r\n|\r|\n/g, ' ')).replace(/"/g, "'");
  return /[;:,]/.test(clean) ? `"${clean}"` : clean;
}

/** A TEXT value (RFC 5545 §3.3.11): `\` `;` `,` escaped, any newline as `\n`, other controls dropped. */
export function escapeText(value: string): string {
  return stripControls(
    value
      .replace(/\\/g, '\\\\')
      .replace(/;/g, '\\;')
      .replace(/,/g, '\\,')
      .replace(/\r\n|\r|\n/g, '\\n'),
  );
}

/** Controls other than HTAB have no place in a content line (after newlines were escaped). */
function stripControls(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, '');
}

/**
 * Folds one content line (RFC 5545 §3.1): no physical line longer than 75 octets, continuation
 * lines starting with one space (which counts). Breaks fall between code points, so a multi-byte
 * UTF-8 sequence (or a surrogate pair) is never split.
 */
export function foldLine(line: string): string {
  const parts: string[] = [];
  let current = '';
  let octets = 0;
  let limit = MAX_LINE_OCTETS;
  for (const character of line) {
    const size = utf8Length(character.codePointAt(0)!);
    if (octets + size > limit) {
      parts.push(current);
      current = '';
      octets = 0;
      limit = MAX_LINE_OCTETS - 1;
    }
    current += character;
    octets += size;
  }
  parts.push(current);
  return parts.join(`${CRLF} `);
}

function utf8Length(codePoint: number): number {
  if (codePoint < 0x80) return 1;
  if (codePoint < 0x800) return 2;
  if (codePoint < 0x10000) return 3;
  return 4;
}

/** `20250101T093000Z`. */
export function formatUtc(date: Date): string {
  return date
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
}

/** The wall-clock time at `date` in `zone`: `20251026T013000` (no zone designator). */
export function formatLocal(date: Date, zone: string): string {
  return DateTime.fromMillis(wholeSeconds(date), { zone }).toFormat("yyyyMMdd'T'HHmmss");
}

const UTC_ZONES = /^(Etc\/)?(UTC|UCT|GMT|GMT0|GMT[+-]0|Universal|Zulu|Greenwich)$/i;
let knownZones: ReadonlySet<string> | undefined;

/**
 * The TZID to write times in for `zone`, or null to write them in UTC: UTC itself, and zones that
 * timezones-ical-library (the VTIMEZONE source) or the runtime's tz database does not know.
 */
export function tzidFor(zone: string): string | null {
  if (UTC_ZONES.test(zone)) return null;
  knownZones ??= new Set(tzlib_get_timezones() as string[]);
  return knownZones.has(zone) && IANAZone.isValidZone(zone) ? zone : null;
}

/**
 * Whether `date` reads back as itself when written as wall-clock time in `zone`: false only for
 * the second pass through a repeated hour (RFC 5545 takes the first occurrence of an ambiguous
 * local time). Every instant has some wall-clock reading, so gaps never matter.
 */
export function isLocalTimeUnambiguous(date: Date, zone: string): boolean {
  const instant = wholeSeconds(date);
  const tz = IANAZone.create(zone);
  const local = DateTime.fromMillis(instant, { zone: tz });
  const wall = Date.UTC(
    local.year,
    local.month - 1,
    local.day,
    local.hour,
    local.minute,
    local.second,
  );
  const offsets = new Set(
    [-1, 0, 1].map((days) => tz.offset(instant + days * 86_400_000)).concat(local.offset),
  );
  let first = Infinity;
  for (const offset of offsets) {
    const candidate = wall - offset * 60_000;
    if (tz.offset(candidate) === offset) first = Math.min(first, candidate);
  }
  return first === instant;
}

interface EventTimes {
  start: string;
  end: string;
  /** The VTIMEZONE the lines refer to, if any. */
  tzid: string | null;
}

/** DTSTART/DTEND: both in the event's zone when both read back exactly, else both in UTC. */
function eventTimes(event: CalendarEvent): EventTimes {
  const tzid = tzidFor(event.timezone);
  if (
    tzid &&
    isLocalTimeUnambiguous(event.start, tzid) &&
    isLocalTimeUnambiguous(event.end, tzid)
  ) {
    return {
      start: property('DTSTART', formatLocal(event.start, tzid), { TZID: tzid }),
      end: property('DTEND', formatLocal(event.end, tzid), { TZID: tzid }),
      tzid,
    };
  }
  return {
    start: property('DTSTART', formatUtc(event.start)),
    end: property('DTEND', formatUtc(event.end)),
    tzid: null,
  };
}

/**
 * The VTIMEZONE lines for `zone`. The library answers aliases (Europe/Amsterdam) with the
 * canonical zone's rules under the canonical TZID (Europe/Brussels); the block is renamed to the
 * zone asked for, so it matches the TZID the events use.
 */
export function vtimezone(zone: string): string[] {
  const block = tzlib_get_ical_block(zone);
  const text = Array.isArray(block) ? block[0] : '';
  if (!text) throw new Error(`No VTIMEZONE for ${zone}`);
  return text
    .split(/\r\n|\n/)
    .filter((line) => line !== '')
    .map((line) => {
      if (line.startsWith('TZID:')) return `TZID:${zone}`;
      if (line.startsWith('X-LIC-LOCATION:')) return `X-LIC-LOCATION:${zone}`;
      return line;
    });
}

function wholeSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000) * 1000;
}
