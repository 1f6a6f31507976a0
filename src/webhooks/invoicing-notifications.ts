import { MalformedNotificationError } from './push-notification';

/**
 * The invoicing providers' webhook deliveries, read leniently like the calendars' (only what
 * danwel acts on is checked; added fields are ignored).
 */

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** One event of a Xero delivery: what kind of record changed, and in which organisation. */
export interface XeroEvent {
  eventCategory: string;
  tenantId: string;
}

/**
 * `{ events: [{ resourceId, eventCategory, eventType, tenantId, … }], firstEventSequence, … }`.
 * The intent-to-receive check sends `events: []`. Read only after the signature was checked.
 */
export function xeroEvents(body: unknown): XeroEvent[] {
  if (!isObject(body) || !Array.isArray(body.events)) {
    throw new MalformedNotificationError('The body must be a JSON object with an `events` array.');
  }
  return body.events.flatMap((event: unknown) =>
    isObject(event) && typeof event.eventCategory === 'string' && typeof event.tenantId === 'string'
      ? [{ eventCategory: event.eventCategory, tenantId: event.tenantId }]
      : [],
  );
}
