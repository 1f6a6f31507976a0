import { DateTime } from 'luxon';
import { WriteFailure } from './calendar-events';

/**
 * The two ways providers want an event's times, both in the zone the block was planned in (so the
 * event shows in that zone in the calendar app). null when the zone is unknown to luxon: the
 * write is refused before anything is sent.
 */

/** Google: ISO 8601 with the zone's offset at that instant, e.g. `2025-03-10T09:00:00+01:00`. */
export function isoInZone(instant: Date, timeZone: string): string | null {
  const local = DateTime.fromJSDate(instant).setZone(timeZone);
  return local.isValid ? local.toISO({ suppressMilliseconds: true }) : null;
}

/**
 * Graph: the wall clock WITHOUT offset (Graph ignores an embedded one and reads the time in
 * `timeZone`). In the hour repeated when clocks go back, the wall clock is ambiguous and Graph
 * picks one of the two instants; that is inherent to Graph's format.
 */
export function wallClockInZone(instant: Date, timeZone: string): string | null {
  const local = DateTime.fromJSDate(instant).setZone(timeZone);
  return local.isValid ? local.toFormat("yyyy-MM-dd'T'HH:mm:ss") : null;
}

/** A block whose zone luxon does not know is refused before anything is sent. */
export function invalidTimeZoneFailure(timeZone: string): WriteFailure {
  return {
    kind: 'permanent',
    status: null,
    code: 'invalid_time_zone',
    message: `Unknown time zone "${timeZone}".`,
  };
}
