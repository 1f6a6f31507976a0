import type { calendar_v3 } from './google-api';
import {
  BLOCK_ID_PROPERTY,
  EventContent,
  EventWrite,
  googleEventId,
  WriteFailure,
} from '../calendar-events';
import { invalidTimeZoneFailure, isoInZone } from '../event-time';

/** One Calendar API call for a write: `events.insert`, `events.update` (PUT) or `events.delete`. */
export interface EventCall {
  method: 'POST' | 'PUT' | 'DELETE';
  calendarId: string;
  /** Absent for an insert (the id is in the body). */
  eventId?: string;
  body?: calendar_v3.Schema$Event;
}

/** The call for a write, or why it cannot be sent. */
export function eventCallFor(write: EventWrite): EventCall | WriteFailure {
  if (write.kind === 'delete') {
    return { method: 'DELETE', calendarId: write.calendarExternalId, eventId: write.eventId };
  }
  const body = eventResource(write.event);
  if (!body) return invalidTimeZoneFailure(write.event.timeZone);
  if (write.kind === 'update') {
    return { method: 'PUT', calendarId: write.calendarExternalId, eventId: write.eventId, body };
  }
  // The deterministic id makes the insert idempotent: a second insert answers 409, never a copy.
  const id = expectedEventId(write);
  return { method: 'POST', calendarId: write.calendarExternalId, body: { id, ...body } };
}

/**
 * After a create answered 409 the event with our id exists: left by an earlier attempt whose
 * answer was lost, or deleted (cancelled, ids stay taken) before the block came back to this
 * calendar. Overwriting it with `status: confirmed` makes it the block's event again.
 */
export function reviveCallFor(
  write: Extract<EventWrite, { kind: 'create' }>,
): EventCall | WriteFailure {
  const body = eventResource(write.event);
  if (!body) return invalidTimeZoneFailure(write.event.timeZone);
  const eventId = expectedEventId(write);
  return { method: 'PUT', calendarId: write.calendarExternalId, eventId, body };
}

/** The id the write is about: the deterministic one for a create. */
export function expectedEventId(write: EventWrite): string {
  return write.kind === 'create'
    ? googleEventId(write.event.blockId, write.calendarId)
    : write.eventId;
}

/** `/calendar/v3/calendars/{calendarId}/events[/{eventId}]` under the API root's path. */
export function eventCallPath(call: EventCall, rootPath: string): string {
  const events = `${rootPath}/calendar/v3/calendars/${encodeURIComponent(call.calendarId)}/events`;
  return call.eventId === undefined ? events : `${events}/${encodeURIComponent(call.eventId)}`;
}

/**
 * The event as danwel owns it. An update is a PUT of this whole resource, so fields a user added
 * in Google Calendar are replaced: the block is the source of truth. `status: confirmed` revives
 * an event deleted in Google (Google keeps it as cancelled).
 */
function eventResource(event: EventContent): calendar_v3.Schema$Event | null {
  const start = isoInZone(event.start, event.timeZone);
  const end = isoInZone(event.end, event.timeZone);
  if (!start || !end) return null;
  return {
    summary: event.title,
    ...(event.description ? { description: event.description } : {}),
    start: { dateTime: start, timeZone: event.timeZone },
    end: { dateTime: end, timeZone: event.timeZone },
    status: 'confirmed',
    extendedProperties: { private: { [BLOCK_ID_PROPERTY]: String(event.blockId) } },
  };
}
