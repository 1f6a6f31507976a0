import { randomUUID } from 'node:crypto';
import type { calendar_v3 } from './google-api';
import {
  CalendarChangesClient,
  ChangePage,
  CursorExpiredError,
  ExternalChange,
  PullWindow,
  PushChannel,
} from '../calendar-changes';
import { BLOCK_ID_PROPERTY } from '../calendar-events';
import {
  malformedAnswer,
  parseBlockId,
  parseInstant,
  pullFailed,
  utcMidnight,
} from '../pulled-event';
import { transportFailureCode } from '../transport-failure';
import { httpWriteFailure, transportWriteFailure } from '../write-failure';
import { GoogleAnswer } from './google-batch';
import { googleSession } from './google-client';
import { googleError, headerRecord } from './google-calendar-events';

const PROVIDER = 'Google';

/** Google's largest page for `events.list` is 2500; 250 keeps each answer small. */
const PAGE_SIZE = 250;

/** A listing that never ends (a provider bug) fails rather than loops: 250,000 events. */
const MAX_PAGES = 1000;

export interface GoogleCalendarChangesOptions {
  /** API root, e.g. `https://www.googleapis.com` (the emulator's URL in tests). */
  apiBaseUrl: string;
  /** Each request (one page, a watch, a stop) is abandoned after this long. */
  requestTimeoutMs: number;
}

/** The per-request options every call gets: no gaxios retries, a timeout, answers not thrown. */
type CallOptions = { signal: AbortSignal; retry: false; validateStatus: () => true };

/**
 * Reads a Google calendar's changes with `events.list` (a windowed full read, then `syncToken`
 * incremental reads) and manages its push channels (`events.watch`, `channels.stop`). As for
 * writes, gaxios's retries are off (it would retry GETs blindly, ignoring `Retry-After`) and every
 * failure is classified and thrown for the puller's backoff.
 */
export class GoogleCalendarChanges implements CalendarChangesClient {
  private readonly rootUrl: string;

  constructor(private readonly options: GoogleCalendarChangesOptions) {
    this.rootUrl = options.apiBaseUrl.replace(/\/+$/, '');
  }

  async changes(
    accessToken: string,
    calendarExternalId: string,
    cursor: string | null,
    window: PullWindow,
  ): Promise<ChangePage> {
    const { calendar } = googleSession(this.rootUrl, accessToken);
    const changes: ExternalChange[] = [];
    let pageToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      // `singleEvents` in both: Google wants every parameter but the ones syncToken excludes to be
      // the same as in the read that issued the token (its own sync guide passes it with the token).
      const params: calendar_v3.Params$Resource$Events$List = cursor
        ? {
            calendarId: calendarExternalId,
            syncToken: cursor,
            showDeleted: true,
            singleEvents: true,
            maxResults: PAGE_SIZE,
            pageToken,
          }
        : {
            calendarId: calendarExternalId,
            timeMin: window.from.toISOString(),
            timeMax: window.to.toISOString(),
            showDeleted: true,
            singleEvents: true,
            maxResults: PAGE_SIZE,
            pageToken,
          };
      const answer = await this.send(accessToken, (options) =>
        calendar.events.list(params, options),
      );
      if (answer.status === 410) {
        // A stale sync token (410 fullSyncRequired). Without a cursor it can only be a page token
        // that went stale mid-read: the next full read starts over.
        if (cursor) throw new CursorExpiredError();
        throw pullFailed(
          { ...httpWriteFailure(PROVIDER, googleError(answer), 'request'), kind: 'retryable' },
          accessToken,
        );
      }
      const body = this.success<calendar_v3.Schema$Events>(answer, accessToken);
      for (const item of body.items ?? []) {
        const change = externalChange(item);
        if (change) changes.push(change);
      }
      if (body.nextPageToken) {
        pageToken = body.nextPageToken;
        continue;
      }
      if (!body.nextSyncToken) {
        throw pullFailed(malformedAnswer(PROVIDER, 'nextSyncToken'), accessToken);
      }
      return { changes, nextCursor: body.nextSyncToken, full: cursor === null };
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
    const { calendar } = googleSession(this.rootUrl, accessToken);
    const requestBody: calendar_v3.Schema$Channel = {
      id: randomUUID(),
      type: 'web_hook',
      address,
      token: secret,
      expiration: String(expiresAt.getTime()),
    };
    const answer = await this.send(accessToken, (options) =>
      calendar.events.watch({ calendarId: calendarExternalId, requestBody }, options),
    );
    const channel = this.success<calendar_v3.Schema$Channel>(answer, accessToken);
    if (!channel.resourceId) throw pullFailed(malformedAnswer(PROVIDER, 'resourceId'), accessToken);
    // Google may shorten the channel's life (it caps it): its answer is what counts.
    const expiration = Number(channel.expiration);
    return {
      id: channel.id ?? requestBody.id!,
      resourceId: channel.resourceId,
      expiresAt: Number.isFinite(expiration) && expiration > 0 ? new Date(expiration) : expiresAt,
    };
  }

  async stopWatch(accessToken: string, channel: PushChannel): Promise<void> {
    const { calendar } = googleSession(this.rootUrl, accessToken);
    const requestBody: calendar_v3.Schema$Channel = { id: channel.id };
    if (channel.resourceId) requestBody.resourceId = channel.resourceId;
    const answer = await this.send(accessToken, (options) =>
      calendar.channels.stop({ requestBody }, options),
    );
    // An unknown (expired, already stopped) channel is stopped.
    if (answer.status === 404 && googleError(answer).code !== undefined) return;
    this.success(answer, accessToken);
  }

  /** Sends one call; a transport failure (timeout, reset) is thrown as a `PullFailedError`. */
  private async send(
    accessToken: string,
    call: (options: CallOptions) => Promise<{ status: number; headers: unknown; data: unknown }>,
  ): Promise<GoogleAnswer> {
    const signal = AbortSignal.timeout(this.options.requestTimeoutMs);
    try {
      const response = await call({ signal, retry: false, validateStatus: () => true });
      return {
        status: response.status,
        headers: headerRecord(response.headers),
        body: response.data || undefined,
      };
    } catch (error) {
      throw pullFailed(
        transportWriteFailure(PROVIDER, transportFailureCode(error, signal)),
        accessToken,
      );
    }
  }

  /** The body of a 2xx answer; any other answer is thrown, classified as for writes. */
  private success<T>(answer: GoogleAnswer, accessToken: string): T {
    if (answer.status >= 200 && answer.status < 300) return (answer.body ?? {}) as T;
    throw pullFailed(httpWriteFailure(PROVIDER, googleError(answer), 'request'), accessToken);
  }
}

/** One listed event as a change; null for an item that is not a usable event. */
export function externalChange(item: calendar_v3.Schema$Event): ExternalChange | null {
  const id = item.id;
  if (!id) return null;
  // Deleted events (and cancelled occurrences) carry little more than id and status.
  if (item.status === 'cancelled') return { kind: 'removed', id };
  const isAllDay = Boolean(item.start?.date);
  const start = isAllDay ? utcMidnight(item.start?.date) : parseInstant(item.start?.dateTime);
  const end = isAllDay ? utcMidnight(item.end?.date) : parseInstant(item.end?.dateTime);
  if (!start || !end) return null;
  return {
    kind: 'upsert',
    event: {
      id,
      title: item.summary ?? '',
      description: item.description ? item.description : null,
      start,
      end,
      isAllDay,
      timeZone: item.start?.timeZone ?? null,
      showAs: item.transparency === 'transparent' ? 'free' : 'busy',
      updatedAt: parseInstant(item.updated),
      blockId: parseBlockId(item.extendedProperties?.private?.[BLOCK_ID_PROPERTY]),
    },
  };
}
