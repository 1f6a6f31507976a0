import type { Client } from '@microsoft/microsoft-graph-client';
import { DateTime } from 'luxon';
import {
  CalendarChangesClient,
  ChangePage,
  CursorExpiredError,
  ExternalChange,
  ExternalEvent,
  PullWindow,
  PushChannel,
} from '../calendar-changes';
import { GRAPH_BLOCK_ID_PROPERTY, WriteFailure } from '../calendar-events';
import { chunks } from '../event-batches';
import { ProviderHttp } from '../provider-http';
import {
  malformedAnswer,
  parseBlockId,
  parseInstant,
  pullFailed,
  utcMidnight,
} from '../pulled-event';
import { httpWriteFailure } from '../write-failure';
import { graphClient } from './graph-client';
import {
  errorOutcome,
  GRAPH_MAX_BATCH_REQUESTS,
  GraphOutcome,
  sendGraphBatch,
} from './graph-batch';

const PROVIDER = 'Microsoft Graph';

/** Graph's default delta page is 10 events; 100 is a reasonable answer size. */
const PAGE_SIZE = 100;

/** Times in UTC (Graph's wall clock without offset is then UTC), and bigger pages. */
const DELTA_PREFER = `outlook.timezone="UTC", odata.maxpagesize=${PAGE_SIZE}`;

/** A round that never ends (a provider bug) fails rather than loops: 100,000 events. */
const MAX_PAGES = 1000;

/**
 * Graph caps subscriptions to Outlook events at 4230 minutes (under 3 days) and refuses a longer
 * `expirationDateTime`; asking a little less leaves room for clock skew and the request's time.
 */
export const GRAPH_MAX_SUBSCRIPTION_MINUTES = 4230;
const SUBSCRIPTION_MARGIN_MS = 10 * 60_000;

/** `$expand` of danwel's block id property, the only extended property we read. */
const EXPAND_BLOCK_ID = `singleValueExtendedProperties($filter=id eq '${GRAPH_BLOCK_ID_PROPERTY}')`;

export interface MicrosoftCalendarChangesOptions {
  /** Graph's root without the version, e.g. `https://graph.microsoft.com`. */
  apiBaseUrl: string;
  /** Each request (one delta page, one `$batch`, a subscription call) is abandoned after this. */
  requestTimeoutMs: number;
  http: ProviderHttp;
}

interface GraphEvent {
  id?: string;
  '@removed'?: unknown;
  subject?: string | null;
  body?: { contentType?: string; content?: string } | null;
  start?: { dateTime?: string; timeZone?: string } | null;
  end?: { dateTime?: string; timeZone?: string } | null;
  isAllDay?: boolean;
  isCancelled?: boolean;
  showAs?: string;
  lastModifiedDateTime?: string;
  originalStartTimeZone?: string | null;
  singleValueExtendedProperties?: Array<{ id?: string; value?: string }>;
}

interface DeltaPage {
  value?: GraphEvent[];
  '@odata.nextLink'?: string;
  '@odata.deltaLink'?: string;
}

/**
 * Reads an Outlook calendar's changes with `calendarView/delta` and manages its subscriptions,
 * through the Graph SDK with the same chain as writes (no RetryHandler, a timeout per request,
 * the `ProviderHttp` dispatcher).
 *
 * Delta does not support `$expand` (Graph documents it for `event: delta`; Microsoft's feedback
 * portal has the request to add it), so it never returns the extended property with danwel's
 * block id: the changed events' property is fetched afterwards, 20 events per `$batch` of
 * `GET /me/events/{id}?$select=id&$expand=singleValueExtendedProperties(…)`.
 */
export class MicrosoftCalendarChanges implements CalendarChangesClient {
  private readonly origin: string;

  constructor(private readonly options: MicrosoftCalendarChangesOptions) {
    this.origin = new URL(options.apiBaseUrl).origin;
  }

  async changes(
    accessToken: string,
    calendarExternalId: string,
    cursor: string | null,
    window: PullWindow,
  ): Promise<ChangePage> {
    // The cursor is the deltaLink Graph gave us; one for another host is not ours to follow.
    if (cursor !== null && !this.isGraphUrl(cursor)) throw new CursorExpiredError();
    const client = this.client(accessToken);
    const query = new URLSearchParams({
      startDateTime: window.from.toISOString(),
      endDateTime: window.to.toISOString(),
    });
    let url =
      cursor ??
      `/me/calendars/${encodeURIComponent(calendarExternalId)}/calendarView/delta?${query}`;
    const changes: ExternalChange[] = [];
    for (let page = 0; page < MAX_PAGES; page++) {
      let body: DeltaPage;
      try {
        body = (await client.api(url).header('Prefer', DELTA_PREFER).get()) as DeltaPage;
      } catch (error) {
        const outcome = errorOutcome(error);
        if ('http' in outcome && outcome.http.status === 410) {
          // 410 SyncStateNotFound: the delta (or, mid-round, skip) token is stale.
          if (cursor !== null) throw new CursorExpiredError();
          throw pullFailed({ ...this.failure(outcome), kind: 'retryable' }, accessToken);
        }
        throw pullFailed(this.failure(outcome), accessToken);
      }
      for (const item of body?.value ?? []) {
        const change = deltaChange(item);
        if (change) changes.push(change);
      }
      const next = body?.['@odata.nextLink'];
      if (next && this.isGraphUrl(next)) {
        url = next;
        continue;
      }
      const deltaLink = body?.['@odata.deltaLink'];
      if (!deltaLink) throw pullFailed(malformedAnswer(PROVIDER, '@odata.deltaLink'), accessToken);
      return {
        changes: await this.withBlockIds(client, changes, accessToken),
        nextCursor: deltaLink,
        full: cursor === null,
      };
    }
    throw pullFailed(malformedAnswer(PROVIDER, `end after ${MAX_PAGES} pages`), accessToken);
  }

  async watch(
    accessToken: string,
    calendarExternalId: string,
    address: string,
    secret: string,
    expiresAt: Date,
  ): Promise<PushChannel> {
    const latest = Date.now() + GRAPH_MAX_SUBSCRIPTION_MINUTES * 60_000 - SUBSCRIPTION_MARGIN_MS;
    const expiration = new Date(Math.min(expiresAt.getTime(), latest));
    let body: { id?: unknown; expirationDateTime?: unknown };
    try {
      body = (await this.client(accessToken)
        .api('/subscriptions')
        .post({
          changeType: 'created,updated,deleted',
          notificationUrl: address,
          // A resource path, not a URL: the id as Graph gave it (Graph's examples do not escape).
          resource: `/me/calendars/${calendarExternalId}/events`,
          expirationDateTime: expiration.toISOString(),
          clientState: secret,
        })) as typeof body;
    } catch (error) {
      throw pullFailed(this.failure(errorOutcome(error)), accessToken);
    }
    if (typeof body?.id !== 'string' || !body.id) {
      throw pullFailed(malformedAnswer(PROVIDER, 'subscription id'), accessToken);
    }
    return {
      id: body.id,
      resourceId: null,
      expiresAt: parseInstant(body.expirationDateTime) ?? expiration,
    };
  }

  async stopWatch(accessToken: string, channel: PushChannel): Promise<void> {
    try {
      await this.client(accessToken)
        .api(`/subscriptions/${encodeURIComponent(channel.id)}`)
        .delete();
    } catch (error) {
      const outcome = errorOutcome(error);
      // An unknown (expired, already deleted) subscription is stopped.
      if ('http' in outcome && outcome.http.status === 404) return;
      throw pullFailed(this.failure(outcome), accessToken);
    }
  }

  /**
   * Fills in `blockId` of the upserted events from their extended property. An event deleted
   * since the delta page (404) is reported removed: that is what the next round would say.
   */
  private async withBlockIds(
    client: Client,
    changes: ExternalChange[],
    accessToken: string,
  ): Promise<ExternalChange[]> {
    const ids = [...new Set(changes.flatMap((c) => (c.kind === 'upsert' ? [c.event.id] : [])))];
    const found = new Map<string, number | null | 'gone'>();
    for (const chunk of chunks(ids, GRAPH_MAX_BATCH_REQUESTS)) {
      const outcomes = await this.propertyBatch(client, chunk);
      chunk.forEach((id, index) => {
        const outcome = outcomes[index];
        if ('ok' in outcome) {
          found.set(id, blockIdOf(outcome.body as GraphEvent | undefined));
        } else if ('http' in outcome && outcome.http.status === 404) {
          found.set(id, 'gone');
        } else {
          throw pullFailed(this.failure(outcome), accessToken);
        }
      });
    }
    return changes.map((change) => {
      if (change.kind === 'removed') return change;
      const blockId = found.get(change.event.id);
      if (blockId === 'gone') return { kind: 'removed', id: change.event.id };
      return { kind: 'upsert', event: { ...change.event, blockId: blockId ?? null } };
    });
  }

  /** One `$batch` of property GETs. */
  private propertyBatch(client: Client, eventIds: string[]): Promise<GraphOutcome[]> {
    const expand = `$select=id&$expand=${encodeURIComponent(EXPAND_BLOCK_ID)}`;
    return sendGraphBatch(
      client,
      eventIds.map((id) => ({
        method: 'GET',
        url: `/me/events/${encodeURIComponent(id)}?${expand}`,
      })),
    );
  }

  private failure(outcome: GraphOutcome): WriteFailure {
    if ('failure' in outcome) return outcome.failure;
    if ('http' in outcome) return httpWriteFailure(PROVIDER, outcome.http, 'request');
    return malformedAnswer(PROVIDER, 'error');
  }

  private isGraphUrl(url: string): boolean {
    try {
      return new URL(url).origin === this.origin;
    } catch {
      return false;
    }
  }

  private client(accessToken: string): Client {
    return graphClient({
      baseUrl: this.options.apiBaseUrl,
      accessToken,
      http: this.options.http,
      requestTimeoutMs: this.options.requestTimeoutMs,
    });
  }
}

/** One delta item as a change (block id still unknown); null for an item that is no event. */
export function deltaChange(item: GraphEvent): ExternalChange | null {
  const id = item.id;
  if (!id) return null;
  // A cancelled meeting stays in attendees' calendars until they remove it, but takes no time.
  if (item['@removed'] !== undefined || item.isCancelled === true) return { kind: 'removed', id };
  const isAllDay = item.isAllDay === true;
  const start = isAllDay ? utcMidnight(item.start?.dateTime) : graphInstant(item.start);
  const end = isAllDay ? utcMidnight(item.end?.dateTime) : graphInstant(item.end);
  if (!start || !end) return null;
  const content = item.body?.content;
  const event: ExternalEvent = {
    id,
    title: item.subject ?? '',
    description: content ? content : null,
    start,
    end,
    isAllDay,
    timeZone: item.originalStartTimeZone || null,
    showAs: item.showAs === 'free' ? 'free' : 'busy',
    updatedAt: parseInstant(item.lastModifiedDateTime),
    blockId: blockIdOf(item),
  };
  return { kind: 'upsert', event };
}

/**
 * Graph's wall clock without offset (`2025-03-10T08:00:00.0000000`) in the zone it names: UTC,
 * since we send `Prefer: outlook.timezone="UTC"`; an IANA zone is honoured should Graph answer in
 * one, anything else is read as UTC.
 */
function graphInstant(value: { dateTime?: string; timeZone?: string } | null | undefined) {
  if (!value?.dateTime) return null;
  const zone = value.timeZone && value.timeZone !== 'UTC' ? value.timeZone : 'UTC';
  let local = DateTime.fromISO(value.dateTime, { zone });
  if (!local.isValid) local = DateTime.fromISO(value.dateTime, { zone: 'UTC' });
  return local.isValid ? local.toJSDate() : null;
}

function blockIdOf(event: GraphEvent | undefined): number | null {
  // Graph may spell the property id in its canonical form (GUID case, spacing).
  const wanted = GRAPH_BLOCK_ID_PROPERTY.toLowerCase();
  const property = event?.singleValueExtendedProperties?.find(
    (p) => typeof p.id === 'string' && p.id.trim().replace(/\s+/g, ' ').toLowerCase() === wanted,
  );
  return parseBlockId(property?.value);
}
