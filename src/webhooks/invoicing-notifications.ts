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

/** A Moneybird delivery, as far as danwel reads it. Ids are strings (18 digits). */
export interface MoneybirdDelivery {
  webhookId: string | null;
  webhookToken: string | null;
  entityType: string | null;
  entityId: string | null;
  action: string | null;
}

/**
 * `{ administration_id, webhook_id, webhook_token, entity_type, entity_id, state, action, entity }`.
 * Moneybird's ids have 18 digits, more than a JSON number holds exactly: one sent as a number
 * is read from the raw body's digits instead of the parsed (rounded) value.
 */
export function moneybirdDelivery(body: unknown, rawBody: Buffer | undefined): MoneybirdDelivery {
  if (!isObject(body)) {
    throw new MalformedNotificationError('The body must be a JSON object.');
  }
  const raw = rawBody?.toString('utf8') ?? '';
  const id = (name: string): string | null => {
    const value = body[name];
    if (typeof value === 'string' && value !== '') return value;
    if (typeof value !== 'number') return null;
    return new RegExp(`"${name}"\\s*:\\s*(\\d+)`).exec(raw)?.[1] ?? String(value);
  };
  const text = (name: string): string | null =>
    typeof body[name] === 'string' && body[name] !== '' ? (body[name] as string) : null;
  return {
    webhookId: id('webhook_id'),
    webhookToken: text('webhook_token'),
    entityType: text('entity_type'),
    entityId: id('entity_id'),
    action: text('action'),
  };
}
