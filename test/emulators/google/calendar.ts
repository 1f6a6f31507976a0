/**
 * Calendar API v3 handlers: calendarList.list/get, calendars.get, events
 * get/insert/patch/update/delete/list (with paging, filters and incremental sync), events.watch
 * and channels.stop (push.ts). A call reaches a handler routed, authenticated and validated
 * against the discovery document.
 */
import { createHash } from 'node:crypto';
import { DiscoveryMethod } from './discovery';
import { ApiResponse, googleError, json } from './errors';
import { PushChannels } from './push';
import { Account, AccessToken, Calendar, EventResource, StoredEvent, Store } from './state';
import { isValidTimeZone, parseDateTime } from './time';

export interface ApiCall {
  method: string;
  /** Full pathname, e.g. `/calendar/v3/calendars/primary/events`. */
  path: string;
  query: URLSearchParams;
  /** Lower-case header names. */
  headers: Record<string, string | undefined>;
  body: string;
}

/** Parameters that cannot be combined with `syncToken` [D]. */
const NOT_WITH_SYNC_TOKEN = [
  'iCalUID',
  'orderBy',
  'privateExtendedProperty',
  'q',
  'sharedExtendedProperty',
  'timeMin',
  'timeMax',
  'updatedMin',
];

interface SyncToken {
  c: string;
  e: number;
  s: number;
}

interface PageToken {
  /** Fingerprint of the query the token belongs to. */
  f: string;
  /** Cursor: createdSeq / modSeq of the last item, or an offset for other orderings. */
  a: number;
  /** The calendar's change counter when the listing began (the next sync token). */
  s: number;
  e: number;
}

function encodeToken(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function decodeToken<T>(value: string): T | undefined {
  try {
    const decoded = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    return typeof decoded === 'object' && decoded !== null ? (decoded as T) : undefined;
  } catch {
    return undefined;
  }
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return true;
  return header
    .split(',')
    .map((t) => t.trim().replace(/^W\//, ''))
    .some((t) => t === '*' || t === etag);
}

function withEtag(resource: EventResource): ApiResponse {
  return json(200, resource, { ETag: resource.etag });
}

export class CalendarApi {
  constructor(
    private readonly store: Store,
    private readonly push: PushChannels,
  ) {}

  handle(
    method: DiscoveryMethod,
    params: Record<string, string>,
    call: ApiCall,
    token: AccessToken,
  ): ApiResponse {
    const account = this.store.account(token.email);
    let body: Record<string, unknown> = {};
    if (method.request) {
      const parsed = this.parseBody(call.body);
      if ('status' in parsed) return parsed;
      body = parsed.body;
    }
    switch (method.id) {
      case 'calendar.calendarList.list':
        return this.calendarList(account);
      case 'calendar.calendarList.get':
      case 'calendar.calendars.get': {
        const calendar = this.store.findCalendar(account.email, params.calendarId);
        if (!calendar) return googleError(404, 'notFound');
        return method.id === 'calendar.calendars.get'
          ? json(200, this.calendarResource(calendar))
          : json(200, this.calendarListEntry(calendar));
      }
      case 'calendar.channels.stop':
        return this.push.stop(body, token);
    }
    if (!method.id.startsWith('calendar.events.')) return this.notImplemented(method);
    const calendar = this.store.findCalendar(account.email, params.calendarId);
    if (!calendar) return googleError(404, 'notFound');
    const timeZone = call.query.get('timeZone') ?? calendar.timeZone;
    if (!isValidTimeZone(timeZone)) return googleError(400, 'invalid', 'Invalid time zone.'); // [U]
    switch (method.id) {
      case 'calendar.events.list':
        return this.list(calendar, call.query, timeZone);
      case 'calendar.events.insert': {
        const result = this.store.insertEvent(calendar, body);
        if ('error' in result) return result.error;
        return withEtag(this.store.renderFull(calendar, result.event, timeZone));
      }
      case 'calendar.events.watch':
        return this.push.watch(calendar, params.calendarId, body);
    }
    const event = calendar.events.get(params.eventId);
    switch (method.id) {
      case 'calendar.events.get': {
        // Deleted events: "the get method always returns them" (status cancelled) [D].
        if (!event) return googleError(404, 'notFound');
        if (
          call.headers['if-none-match'] &&
          etagMatches(call.headers['if-none-match'], event.etag)
        ) {
          return { status: 304, headers: { ETag: event.etag } };
        }
        return withEtag(this.store.renderFull(calendar, event, timeZone));
      }
      case 'calendar.events.patch':
      case 'calendar.events.update': {
        if (!event) return googleError(404, 'notFound');
        if (!etagMatches(call.headers['if-match'], event.etag))
          return googleError(412, 'conditionNotMet');
        // [U] A deleted event can only be brought back by setting its status again.
        if (
          event.status === 'cancelled' &&
          !['confirmed', 'tentative'].includes(String(body.status))
        ) {
          return googleError(410, 'deleted');
        }
        const mode = method.id === 'calendar.events.patch' ? 'patch' : 'update';
        const result = this.store.writeEvent(calendar, event, body, mode);
        if ('error' in result) return result.error;
        return withEtag(this.store.renderFull(calendar, result.event, timeZone));
      }
      case 'calendar.events.delete': {
        if (!event) return googleError(404, 'notFound');
        if (event.status === 'cancelled') return googleError(410, 'deleted');
        if (!etagMatches(call.headers['if-match'], event.etag))
          return googleError(412, 'conditionNotMet');
        this.store.cancelEvent(calendar, event);
        return { status: 204, headers: {} };
      }
      default:
        return this.notImplemented(method);
    }
  }

  private notImplemented(method: DiscoveryMethod): ApiResponse {
    return googleError(501, 'notImplemented', `The emulator does not implement ${method.id}.`);
  }

  private parseBody(raw: string): { body: Record<string, unknown> } | ApiResponse {
    if (raw.trim() === '') return { body: {} };
    try {
      const body = JSON.parse(raw);
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        return googleError(
          400,
          'parseError',
          'This API does not support parsing form-encoded input.',
        );
      }
      return { body };
    } catch {
      return googleError(400, 'parseError', 'Parse Error');
    }
  }

  private calendarListEntry(calendar: Calendar) {
    return {
      kind: 'calendar#calendarListEntry',
      etag: `"${calendar.epoch}${calendar.modCounter}"`,
      id: calendar.id,
      summary: calendar.summary,
      timeZone: calendar.timeZone,
      colorId: calendar.colorId,
      backgroundColor: calendar.backgroundColor,
      foregroundColor: calendar.foregroundColor,
      selected: true,
      accessRole: 'owner',
      defaultReminders: calendar.primary ? [{ method: 'popup', minutes: 10 }] : [],
      ...(calendar.primary
        ? {
            notificationSettings: {
              notifications: [{ type: 'eventCreation', method: 'email' }],
            },
            primary: true,
          }
        : {}),
      conferenceProperties: { allowedConferenceSolutionTypes: ['hangoutsMeet'] },
    };
  }

  private calendarResource(calendar: Calendar) {
    return {
      kind: 'calendar#calendar',
      etag: `"${calendar.epoch}${calendar.modCounter}"`,
      id: calendar.id,
      summary: calendar.summary,
      timeZone: calendar.timeZone,
      conferenceProperties: { allowedConferenceSolutionTypes: ['hangoutsMeet'] },
    };
  }

  private calendarList(account: Account): ApiResponse {
    return json(200, {
      kind: 'calendar#calendarList',
      etag: `"p${account.calendars.size}"`,
      nextSyncToken: encodeToken({ l: account.email }),
      items: [...account.calendars.values()].map((c) => this.calendarListEntry(c)),
    });
  }

  private list(calendar: Calendar, query: URLSearchParams, timeZone: string): ApiResponse {
    const calendarKey = `${calendar.owner}/${calendar.id}`;
    const maxResults = Math.min(Number(query.get('maxResults') ?? 250), 2500);
    const syncTokenValue = query.get('syncToken');
    const showDeleted = query.get('showDeleted') === 'true';
    let sync: SyncToken | undefined;
    if (syncTokenValue !== null) {
      const clash = NOT_WITH_SYNC_TOKEN.find((p) => query.has(p));
      if (clash) return googleError(400, 'invalid', `Cannot use ${clash} together with syncToken.`); // [U]
      if (query.get('showDeleted') === 'false') {
        return googleError(400, 'invalid', 'showDeleted cannot be false with syncToken.'); // [U]
      }
      sync = decodeToken<SyncToken>(syncTokenValue);
      if (
        !sync ||
        sync.c !== calendarKey ||
        sync.e !== calendar.epoch ||
        !(sync.s <= calendar.modCounter)
      ) {
        return googleError(410, 'fullSyncRequired');
      }
    }
    const bound = (name: string) => {
      const value = query.get(name);
      if (value === null) return undefined;
      const parsed = parseDateTime(value);
      return parsed?.ms ?? NaN;
    };
    const timeMin = bound('timeMin');
    const timeMax = bound('timeMax');
    const updatedMin = bound('updatedMin');
    for (const [name, value] of [
      ['timeMin', timeMin],
      ['timeMax', timeMax],
      ['updatedMin', updatedMin],
    ] as const) {
      if (Number.isNaN(value)) {
        return googleError(
          400,
          'invalid',
          `Bad Request: ${name} must be an RFC 3339 timestamp with a time zone offset.`,
        ); // [U]
      }
    }
    if (timeMin !== undefined && timeMax !== undefined && timeMin >= timeMax) {
      return googleError(400, 'timeRangeEmpty', 'The specified time range is empty.');
    }
    const orderBy = query.get('orderBy');
    if (orderBy === 'startTime' && query.get('singleEvents') !== 'true') {
      return googleError(
        400,
        'invalid',
        'The requested ordering is not available for the particular query.',
      );
    }
    const constraints = (name: string) =>
      query.getAll(name).map((c) => {
        const eq = c.indexOf('=');
        return eq > 0 ? [c.slice(0, eq), c.slice(eq + 1)] : undefined;
      });
    const privateProps = constraints('privateExtendedProperty');
    const sharedProps = constraints('sharedExtendedProperty');
    if ([...privateProps, ...sharedProps].includes(undefined)) {
      return googleError(
        400,
        'invalid',
        'Invalid extended property constraint: expected name=value.',
      ); // [U]
    }
    const fingerprintQuery = new URLSearchParams(query);
    fingerprintQuery.delete('pageToken');
    fingerprintQuery.delete('maxResults');
    fingerprintQuery.sort();
    const fingerprint = createHash('sha256')
      .update(`${calendarKey} ${fingerprintQuery}`)
      .digest('base64url')
      .slice(0, 16);

    let page: PageToken;
    const pageTokenValue = query.get('pageToken');
    if (pageTokenValue !== null) {
      const decoded = decodeToken<PageToken>(pageTokenValue);
      if (!decoded || decoded.f !== fingerprint) {
        return googleError(400, 'invalid', 'Invalid page token value.'); // [U]
      }
      if (decoded.e !== calendar.epoch) return googleError(410, 'fullSyncRequired');
      page = decoded;
    } else {
      page = { f: fingerprint, a: sync ? sync.s : 0, s: calendar.modCounter, e: calendar.epoch };
    }

    const all = [...calendar.events.values()];
    let ordered: StoredEvent[];
    let cursorOf: ((e: StoredEvent, index: number) => number) | undefined;
    if (sync) {
      // Everything changed since the token (deleted events included), up to the snapshot the
      // listing started from; later changes go to the next sync.
      ordered = all
        .filter((e) => e.modSeq > page.a && e.modSeq <= page.s)
        .sort((a, b) => a.modSeq - b.modSeq);
      cursorOf = (e) => e.modSeq;
    } else {
      const matching = all.filter((e) => {
        const deleted = e.status === 'cancelled';
        const updatedMs = Date.parse(e.updated);
        if (deleted && !showDeleted && !(updatedMin !== undefined && updatedMs >= updatedMin))
          return false;
        if (timeMin !== undefined && !(e.endMs > timeMin)) return false;
        if (timeMax !== undefined && !(e.startMs < timeMax)) return false;
        if (updatedMin !== undefined && updatedMs < updatedMin) return false;
        const iCalUID = query.get('iCalUID');
        if (iCalUID !== null && e.iCalUID !== iCalUID) return false;
        const extended = e.data.extendedProperties as
          { private?: Record<string, string>; shared?: Record<string, string> } | undefined;
        for (const [name, value] of privateProps as string[][]) {
          if (extended?.private?.[name] !== value) return false;
        }
        for (const [name, value] of sharedProps as string[][]) {
          if (extended?.shared?.[name] !== value) return false;
        }
        const q = query.get('q')?.toLowerCase();
        if (q) {
          const text = `${e.data.summary ?? ''} ${e.data.description ?? ''} ${e.data.location ?? ''}`;
          if (!text.toLowerCase().includes(q)) return false;
        }
        return true;
      });
      if (orderBy === 'startTime') {
        ordered = matching.sort((a, b) => a.startMs - b.startMs || a.createdSeq - b.createdSeq);
      } else if (orderBy === 'updated') {
        ordered = matching.sort((a, b) => a.modSeq - b.modSeq);
      } else {
        ordered = matching
          .filter((e) => e.createdSeq > page.a)
          .sort((a, b) => a.createdSeq - b.createdSeq);
        cursorOf = (e) => e.createdSeq;
      }
      if (!cursorOf) ordered = ordered.slice(page.a);
    }
    const items = ordered.slice(0, maxResults);
    const more = ordered.length > maxResults;
    const last = items[items.length - 1];
    const nextCursor = cursorOf ? (last ? cursorOf(last, 0) : page.a) : page.a + items.length;
    const latest = all.reduce((max, e) => (e.updated > max ? e.updated : max), '');
    const response: Record<string, unknown> = {
      kind: 'calendar#events',
      etag: `"${page.e}${page.s}"`,
      summary: calendar.summary,
      updated: latest || new Date(this.store.now()).toISOString(),
      timeZone: calendar.timeZone,
      accessRole: 'owner',
      defaultReminders: calendar.primary ? [{ method: 'popup', minutes: 10 }] : [],
    };
    if (more) response.nextPageToken = encodeToken({ ...page, a: nextCursor });
    else
      response.nextSyncToken = encodeToken({
        c: calendarKey,
        e: page.e,
        s: page.s,
      } satisfies SyncToken);
    response.items = items.map((e) => this.store.render(calendar, e, timeZone));
    return json(200, response);
  }
}
