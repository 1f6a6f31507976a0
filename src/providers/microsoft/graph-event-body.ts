import {
  EventContent,
  EventWrite,
  GRAPH_BLOCK_ID_PROPERTY,
  graphTransactionId,
  WriteFailure,
} from '../calendar-events';
import { invalidTimeZoneFailure, wallClockInZone } from '../event-time';
import { GraphRequest } from './graph-batch';

/** The Graph request for a write. */
export type GraphCall = GraphRequest & { method: 'POST' | 'PATCH' | 'DELETE' };

/** The request for a write, or why it cannot be sent. */
export function graphCallFor(write: EventWrite): GraphCall | WriteFailure {
  if (write.kind === 'delete') {
    return { method: 'DELETE', url: eventUrl(write.eventId) };
  }
  const body = eventBody(write.event);
  if (!body) return invalidTimeZoneFailure(write.event.timeZone);
  if (write.kind === 'update') {
    // No transactionId: it cannot change after the create.
    return { method: 'PATCH', url: eventUrl(write.eventId), body };
  }
  return {
    method: 'POST',
    url: `/me/calendars/${encodeURIComponent(write.calendarExternalId)}/events`,
    // A retried POST with the same transactionId answers the event the first one created.
    body: { ...body, transactionId: graphTransactionId(write.event.blockId, write.calendarId) },
  };
}

const eventUrl = (eventId: string) => `/me/events/${encodeURIComponent(eventId)}`;

/**
 * The fields danwel owns. Times are wall clock in the block's zone with that zone named, so the
 * event shows in the zone it was planned in; the block id rides in our extended property.
 */
function eventBody(event: EventContent): Record<string, unknown> | null {
  const start = wallClockInZone(event.start, event.timeZone);
  const end = wallClockInZone(event.end, event.timeZone);
  if (!start || !end) return null;
  return {
    subject: event.title,
    body: { contentType: 'text', content: event.description ?? '' },
    start: { dateTime: start, timeZone: event.timeZone },
    end: { dateTime: end, timeZone: event.timeZone },
    singleValueExtendedProperties: [{ id: GRAPH_BLOCK_ID_PROPERTY, value: String(event.blockId) }],
  };
}
