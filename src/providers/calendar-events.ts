/**
 * What the calendar reconciler asks of a provider: apply a batch of event writes with one access
 * token and say, per write, what happened. Providers speak their own protocol (Google batch,
 * Graph `$batch`) behind this and never import our entities; the reconciler never sees an SDK.
 */

/** A block as an event: what danwel owns in the provider's calendar. */
export interface EventContent {
  /** danwel's block id, stored in the event's private extended properties. */
  blockId: number;
  title: string;
  description: string | null;
  start: Date;
  end: Date;
  /** IANA zone the block was planned in; the event is written in it. */
  timeZone: string;
}

export type EventWrite =
  /**
   * Create the event for a block in a calendar, idempotently: Google gets the deterministic event
   * id `googleEventId(blockId, calendarId)`, Graph the `transactionId` `graphTransactionId(…)`, so
   * a retry after a lost response finds or replaces the event instead of adding a second one.
   */
  | { kind: 'create'; calendarExternalId: string; calendarId: number; event: EventContent }
  /** Overwrite the event with the block's content (Google: revives a cancelled event). */
  | { kind: 'update'; calendarExternalId: string; eventId: string; event: EventContent }
  /** Delete the event; 404/410 count as done. */
  | { kind: 'delete'; calendarExternalId: string; eventId: string };

/**
 * How a failure should be handled, decided by the provider client from status and reason
 * (docs/architecture.md, "Errors, classified once"):
 * - `throttled`: 429, Google 403 `rateLimitExceeded`/`userRateLimitExceeded`, Graph 429/503 with
 *   `Retry-After` — the whole integration waits (`retryAfterSeconds` when the provider said).
 * - `retryable`: 5xx, timeouts, connection resets — this write backs off.
 * - `unauthorized`: 401 — refresh the access token once and retry.
 * - `gone`: 404/410 on update (the event was deleted in the provider) — create it again.
 * - `permanent`: anything else (400 invalid, 403 forbidden, read-only calendar) — the block shows
 *   the error until it changes.
 */
export type WriteFailureKind = 'throttled' | 'retryable' | 'unauthorized' | 'gone' | 'permanent';

export interface WriteFailure {
  kind: WriteFailureKind;
  /** HTTP status, or null for a transport failure (timeout, reset). */
  status: number | null;
  /** Short, safe to show: `rateLimitExceeded`, `ErrorAccessDenied`, `timeout`, … */
  code: string;
  message: string;
  retryAfterSeconds?: number;
}

export type WriteResult = { ok: true; eventId: string } | { ok: false; failure: WriteFailure };

export interface CalendarEventsClient {
  /** Most writes sent in one request (Google batch ≤ 50, Graph `$batch` ≤ 20). */
  readonly maxBatchSize: number;
  /**
   * Applies up to `maxBatchSize` writes (in one batch request where there is more than one) and
   * returns one result per write, in the same order. Never throws for a provider or transport
   * failure: a failure of the whole request is that failure for every write.
   * `delete` results carry the deleted id as `eventId`.
   */
  apply(accessToken: string, writes: EventWrite[]): Promise<WriteResult[]>;
}

/**
 * Google's client-supplied event id for a block in a calendar: base32hex (`a-v`, `0-9`), so the
 * block and calendar ids are written in base 32 (which uses exactly those digits), fixed width.
 * The same block in the same calendar always gets the same id: inserting it twice answers 409,
 * never a second event.
 */
export function googleEventId(blockId: number, calendarId: number): string {
  const part = (n: number) => n.toString(32).padStart(13, '0');
  return `dn${part(blockId)}${part(calendarId)}`;
}

/** Graph's `transactionId` for a block in a calendar: a retried POST answers the same event. */
export function graphTransactionId(blockId: number, calendarId: number): string {
  return `danwel-block-${blockId}-calendar-${calendarId}`;
}

/** The private extended property that carries danwel's block id on every event. */
export const BLOCK_ID_PROPERTY = 'danwelBlockId';

/**
 * Graph's single-value extended property id for the block id: a string property in danwel's own
 * property set (a fixed GUID), named like Google's private property.
 */
export const GRAPH_BLOCK_ID_PROPERTY = `String {5a0a8c64-3d53-4f0e-9d0b-6d616e77656c} Name ${BLOCK_ID_PROPERTY}`;
