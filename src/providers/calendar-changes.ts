import { WriteFailure } from './calendar-events';

/**
 * What the reconciler asks of a provider to pull a calendar (two-way sync): the changes since a
 * cursor, and push channels that say when to pull. Providers speak their own protocol (Google
 * `syncToken` and watch channels, Graph `calendarView/delta` and subscriptions) behind this.
 */

/** An event as it is in the provider now. */
export interface ExternalEvent {
  /** The provider's event id. */
  id: string;
  title: string;
  description: string | null;
  /** Timed events: instants. All-day events: midnight UTC of the first day / the day after. */
  start: Date;
  end: Date;
  isAllDay: boolean;
  /** The zone the event was written in, when the provider says (IANA or Windows name). */
  timeZone: string | null;
  /** `busy` unless the provider marks it free/transparent. */
  showAs: 'busy' | 'free';
  /** When the provider last changed it. */
  updatedAt: Date | null;
  /** danwel's block id from the event's private extended property: our own event. */
  blockId: number | null;
}

export type ExternalChange =
  | { kind: 'upsert'; event: ExternalEvent }
  /** Deleted (Google `cancelled`, Graph `@removed`), or moved out of the pulled window. */
  | { kind: 'removed'; id: string };

export interface ChangePage {
  changes: ExternalChange[];
  /**
   * The cursor to store once these changes are committed (Google `nextSyncToken`, Graph
   * `@odata.deltaLink`). Clients follow `pageToken` / `@odata.nextLink` themselves and return
   * the changes of all pages with the final cursor.
   */
  nextCursor: string;
  /** True when this was a full read (no cursor, or the cursor had expired). */
  full: boolean;
}

/** The window a full read covers: events that end after `from` and start before `to`. */
export interface PullWindow {
  from: Date;
  to: Date;
}

/** A pull or channel request failed; `failure` classifies it as for writes. */
export class PullFailedError extends Error {
  constructor(readonly failure: WriteFailure) {
    super(`${failure.code}: ${failure.message}`);
    this.name = 'PullFailedError';
  }
}

/** The provider no longer knows the cursor (Google 410 `fullSyncRequired`, Graph 410). */
export class CursorExpiredError extends Error {
  constructor() {
    super('The sync cursor expired; a full read is needed.');
    this.name = 'CursorExpiredError';
  }
}

/** A push channel (Google watch channel, Graph subscription) as the provider confirmed it. */
export interface PushChannel {
  /** Google: the channel id we chose; Graph: the subscription id. */
  id: string;
  /** Google: `resourceId` (needed to stop the channel); Graph: null. */
  resourceId: string | null;
  expiresAt: Date;
}

export interface CalendarChangesClient {
  /**
   * Everything that changed since `cursor` (or, without one, every event in `window`). Throws
   * `CursorExpiredError` on a stale cursor and `PullFailedError` for any other failure.
   */
  changes(
    accessToken: string,
    calendarExternalId: string,
    cursor: string | null,
    window: PullWindow,
  ): Promise<ChangePage>;
  /**
   * Asks the provider to POST to `address` when the calendar changes. `secret` comes back with
   * every notification (Google `X-Goog-Channel-Token`, Graph `clientState`).
   */
  watch(
    accessToken: string,
    calendarExternalId: string,
    address: string,
    secret: string,
    expiresAt: Date,
  ): Promise<PushChannel>;
  /** Stops a channel; an unknown one counts as stopped. Throws `PullFailedError`. */
  stopWatch(accessToken: string, channel: PushChannel): Promise<void>;
}
