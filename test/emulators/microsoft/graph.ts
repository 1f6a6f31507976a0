import { FilterError } from './odata';
import {
  Account,
  Calendar,
  compileEventFilter,
  GraphHttpError,
  MicrosoftState,
  RenderOptions,
  StoredEvent,
} from './state';
import { ianaZone, parseQueryInstant } from './time';

/** One Graph call: a top-level request or a `$batch` sub-request, already authenticated. */
export interface GraphCall {
  method: string;
  /** Path below `/v1.0`, e.g. `/me/events/AAMk…`. */
  path: string;
  query: URLSearchParams;
  /** Lower-case header names. */
  headers: Record<string, string>;
  body: unknown;
}

export interface GraphResult {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

export interface GraphContext {
  state: MicrosoftState;
  account: Account;
  scopes: string[];
  /** e.g. https://127.0.0.1:PORT */
  baseUrl: string;
}

const DEFAULT_PAGE_SIZE = 10;

function shortScope(scope: string): string {
  return scope.replace(/^https:\/\/graph\.microsoft\.com\//i, '').toLowerCase();
}

function requireScope(ctx: GraphContext, anyOf: string[]): void {
  if (!ctx.scopes.some((s) => anyOf.includes(shortScope(s)))) {
    throw new GraphHttpError(
      403,
      'ErrorAccessDenied',
      'Access is denied. Check credentials and try again.',
    );
  }
}

const READ_SCOPES = [
  'calendars.read',
  'calendars.readwrite',
  'calendars.read.shared',
  'calendars.readwrite.shared',
];
const WRITE_SCOPES = ['calendars.readwrite', 'calendars.readwrite.shared'];
const USER_SCOPES = ['user.read', 'user.readwrite', 'user.readbasic.all', 'user.read.all'];

function notFound(): GraphHttpError {
  return new GraphHttpError(
    404,
    'ErrorItemNotFound',
    'The specified object was not found in the store.',
  );
}

function badSegment(segment: string): GraphHttpError {
  return new GraphHttpError(400, 'BadRequest', `Resource not found for the segment '${segment}'.`);
}

function methodNotAllowed(): GraphHttpError {
  return new GraphHttpError(
    405,
    'BadRequest',
    'The HTTP method is not supported for this resource.',
  );
}

interface Preferences {
  timeZone?: string;
  maxPageSize?: number;
}

function preferences(headers: Record<string, string>): Preferences {
  const prefer = headers['prefer'] ?? '';
  const result: Preferences = {};
  const tz = /outlook\.timezone\s*=\s*"([^"]+)"/i.exec(prefer);
  if (tz) {
    try {
      ianaZone(tz[1]);
      result.timeZone = tz[1];
    } catch {
      // Graph ignores a time zone it does not know; so do we.
    }
  }
  const size = /odata\.maxpagesize\s*=\s*(\d+)/i.exec(prefer);
  if (size) result.maxPageSize = Math.max(1, Math.min(1000, Number(size[1])));
  return result;
}

function appliedHeader(
  prefs: Preferences,
  timeZoneUsed: boolean,
  pageSizeUsed: boolean,
): Record<string, string> {
  const applied: string[] = [];
  if (timeZoneUsed && prefs.timeZone) applied.push(`outlook.timezone="${prefs.timeZone}"`);
  if (pageSizeUsed && prefs.maxPageSize) applied.push(`odata.maxpagesize=${prefs.maxPageSize}`);
  return applied.length ? { 'Preference-Applied': applied.join(', ') } : {};
}

/** `$expand` / `$select` for events. */
function renderOptions(query: URLSearchParams, timeZone: string | undefined): RenderOptions {
  const options: RenderOptions = { timeZone };
  const expand = query.get('$expand');
  if (expand) {
    const match = /^\s*singleValueExtendedProperties\s*(?:\(\s*\$filter\s*=\s*(.*)\)\s*)?$/i.exec(
      expand,
    );
    if (!match) {
      throw new GraphHttpError(
        400,
        'BadRequest',
        `Parsing OData Select and Expand failed: the emulator only expands singleValueExtendedProperties, not '${expand}'.`,
      );
    }
    options.expandExtendedProperties = { filter: match[1] ? compile(match[1]) : undefined };
  }
  const select = query.get('$select');
  if (select) options.select = select.split(',').map((s) => s.trim());
  return options;
}

function compile(filter: string) {
  try {
    return compileEventFilter(filter);
  } catch (error) {
    if (error instanceof FilterError) {
      throw new GraphHttpError(400, 'BadRequest', `Invalid filter clause: ${error.message}`);
    }
    throw error;
  }
}

function ifMatch(call: GraphCall, event: StoredEvent): void {
  const expected = call.headers['if-match'];
  if (expected === undefined) return;
  const candidates = expected.split(',').map((s) => s.trim());
  if (candidates.includes('*') || candidates.includes(`W/"${event.changeKey}"`)) return;
  throw new GraphHttpError(
    412,
    'ErrorIrresolvableConflict',
    'The send or update operation could not be performed because the change key passed in the ' +
      'request does not match the current change key for the item.',
  );
}

function requireEditable(calendar: Calendar): void {
  if (!calendar.canEdit) {
    throw new GraphHttpError(
      403,
      'ErrorAccessDenied',
      'Access is denied. Check credentials and try again.',
    );
  }
}

function window(query: URLSearchParams): { startMs: number; endMs: number } {
  const start = query.get('startDateTime') ?? query.get('StartDateTime');
  const end = query.get('endDateTime') ?? query.get('EndDateTime');
  const startMs = start ? parseQueryInstant(start) : undefined;
  const endMs = end ? parseQueryInstant(end) : undefined;
  if (startMs === undefined || endMs === undefined) {
    throw new GraphHttpError(
      400,
      'ErrorInvalidParameter',
      'This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.',
    );
  }
  return { startMs, endMs };
}

export function handleGraph(ctx: GraphContext, call: GraphCall): GraphResult {
  const { state, account } = ctx;
  const segments = call.path.split('/').filter(Boolean).map(decodeURIComponent);
  const context = `${ctx.baseUrl}/v1.0/$metadata#users('${account.id}')`;
  let rest: string[];
  if (segments[0]?.toLowerCase() === 'me') {
    rest = segments.slice(1);
  } else if (segments[0]?.toLowerCase() === 'users' && segments[1]) {
    const target = state.findAccount(segments[1]);
    if (!target) {
      throw new GraphHttpError(
        404,
        'ErrorInvalidUser',
        `The requested user '${segments[1]}' is invalid.`,
      );
    }
    if (target !== account) {
      throw new GraphHttpError(
        403,
        'ErrorAccessDenied',
        'Access is denied. Check credentials and try again.',
      );
    }
    rest = segments.slice(2);
  } else {
    throw badSegment(segments[0] ?? '');
  }
  const prefs = preferences(call.headers);
  const method = call.method.toUpperCase();

  // /me
  if (rest.length === 0) {
    if (method !== 'GET') throw methodNotAllowed();
    requireScope(ctx, USER_SCOPES);
    return {
      status: 200,
      headers: {},
      body: {
        '@odata.context': `${ctx.baseUrl}/v1.0/$metadata#users/$entity`,
        businessPhones: [],
        displayName: account.displayName,
        givenName: null,
        jobTitle: null,
        mail: account.email,
        mobilePhone: null,
        officeLocation: null,
        preferredLanguage: null,
        surname: null,
        userPrincipalName: account.email,
        id: account.id,
      },
    };
  }

  // /me/calendars (collection)
  if (rest.length === 1 && rest[0] === 'calendars') {
    if (method === 'GET') {
      requireScope(ctx, READ_SCOPES);
      return {
        status: 200,
        headers: {},
        body: {
          '@odata.context': `${context}/calendars`,
          value: [...account.calendars.values()].map((c) => renderCalendar(account, c)),
        },
      };
    }
    if (method === 'POST') {
      requireScope(ctx, WRITE_SCOPES);
      const name = (call.body as { name?: unknown } | undefined)?.name;
      if (typeof name !== 'string' || name === '') {
        throw new GraphHttpError(400, 'ErrorInvalidRequest', 'A calendar needs a name.');
      }
      const created = state.addCalendar(account, name);
      return {
        status: 201,
        headers: {},
        body: {
          '@odata.context': `${context}/calendars/$entity`,
          ...renderCalendar(account, created),
        },
      };
    }
    throw methodNotAllowed();
  }

  // Which calendar: /me/calendar/…, /me/calendars/{id}/…, or the mailbox (default calendar).
  let calendar: Calendar;
  let explicit = false;
  let tail: string[];
  if (rest[0] === 'calendar') {
    calendar = state.calendar(account);
    explicit = true;
    tail = rest.slice(1);
  } else if (rest[0] === 'calendars') {
    calendar = state.calendar(account, rest[1]);
    explicit = true;
    tail = rest.slice(2);
  } else {
    calendar = state.calendar(account);
    tail = rest;
  }

  if (tail.length === 0 && explicit) {
    if (method !== 'GET') throw methodNotAllowed();
    requireScope(ctx, READ_SCOPES);
    return {
      status: 200,
      headers: {},
      body: {
        '@odata.context': `${context}/calendars/$entity`,
        ...renderCalendar(account, calendar),
      },
    };
  }

  if (tail[0] === 'events' && tail.length === 1) {
    if (method === 'GET') {
      requireScope(ctx, READ_SCOPES);
      const timeZone = prefs.timeZone ?? 'UTC';
      const events = [...calendar.events.values()];
      return list(
        ctx,
        call,
        prefs,
        `${context}/events`,
        events,
        renderOptions(call.query, timeZone),
      );
    }
    if (method === 'POST') {
      requireScope(ctx, WRITE_SCOPES);
      requireEditable(calendar);
      const { event } = state.createEvent(account, calendar, call.body as Record<string, unknown>);
      // A create answers in the zones it was written in unless Prefer says otherwise.
      const body = state.renderEvent(account, event, renderOptions(call.query, prefs.timeZone));
      return {
        status: 201,
        headers: {
          ETag: `W/"${event.changeKey}"`,
          Location: `${ctx.baseUrl}/v1.0/Users('${account.id}')/Events('${event.id}')`,
          ...appliedHeader(prefs, true, false),
        },
        body: { '@odata.context': `${context}/events/$entity`, ...body },
      };
    }
    throw methodNotAllowed();
  }

  if (tail[0] === 'events' && tail.length === 2) {
    const event = explicit ? calendar.events.get(tail[1]) : state.findEvent(account, tail[1]);
    if (!event) {
      requireScope(ctx, method === 'GET' ? READ_SCOPES : WRITE_SCOPES);
      throw notFound();
    }
    const home = state.calendar(account, event.calendarId);
    if (method === 'GET') {
      requireScope(ctx, READ_SCOPES);
      const body = state.renderEvent(
        account,
        event,
        renderOptions(call.query, prefs.timeZone ?? 'UTC'),
      );
      return {
        status: 200,
        headers: { ETag: `W/"${event.changeKey}"`, ...appliedHeader(prefs, true, false) },
        body: { '@odata.context': `${context}/events/$entity`, ...body },
      };
    }
    if (method === 'PATCH') {
      requireScope(ctx, WRITE_SCOPES);
      requireEditable(home);
      ifMatch(call, event);
      state.updateEvent(account, event, call.body as Record<string, unknown>);
      const body = state.renderEvent(account, event, renderOptions(call.query, prefs.timeZone));
      return {
        status: 200,
        headers: { ETag: `W/"${event.changeKey}"`, ...appliedHeader(prefs, true, false) },
        body: { '@odata.context': `${context}/events/$entity`, ...body },
      };
    }
    if (method === 'DELETE') {
      requireScope(ctx, WRITE_SCOPES);
      requireEditable(home);
      ifMatch(call, event);
      state.deleteEvent(account, event);
      return { status: 204, headers: {} };
    }
    throw methodNotAllowed();
  }

  if (tail[0] === 'calendarView' && tail.length === 1) {
    if (method !== 'GET') throw methodNotAllowed();
    requireScope(ctx, READ_SCOPES);
    const { startMs, endMs } = window(call.query);
    const events = [...calendar.events.values()].filter(
      (e) => e.startMs < endMs && (e.endMs > startMs || e.startMs === startMs),
    );
    const timeZone = prefs.timeZone ?? 'UTC';
    return list(
      ctx,
      call,
      prefs,
      `${context}/calendarView`,
      events,
      renderOptions(call.query, timeZone),
    );
  }

  if (tail[0] === 'calendarView' && tail[1] === 'delta' && tail.length === 2) {
    if (method !== 'GET') throw methodNotAllowed();
    requireScope(ctx, READ_SCOPES);
    return delta(ctx, call, prefs, calendar);
  }

  throw badSegment(tail[tail.length - 1] ?? rest[rest.length - 1]);
}

function renderCalendar(account: Account, calendar: Calendar): Record<string, unknown> {
  return {
    id: calendar.id,
    name: calendar.name,
    color: 'auto',
    hexColor: '',
    isDefaultCalendar: calendar.isDefault,
    changeKey: calendar.changeKey,
    canShare: calendar.canEdit,
    canViewPrivateItems: true,
    canEdit: calendar.canEdit,
    allowedOnlineMeetingProviders: ['teamsForBusiness'],
    defaultOnlineMeetingProvider: 'teamsForBusiness',
    isTallyingResponses: true,
    isRemovable: !calendar.isDefault,
    owner: { name: account.displayName, address: account.email },
  };
}

function list(
  ctx: GraphContext,
  call: GraphCall,
  prefs: Preferences,
  odataContext: string,
  events: StoredEvent[],
  options: RenderOptions,
): GraphResult {
  const { state, account } = ctx;
  const filterText = call.query.get('$filter');
  const filter = filterText ? compile(filterText) : undefined;
  const matching = events
    .filter((e) => !filter || filter.matches(state.filterView(account, e)))
    .sort((a, b) => a.startMs - b.startMs || a.createdMs - b.createdMs);
  const top = Number(call.query.get('$top') ?? prefs.maxPageSize ?? DEFAULT_PAGE_SIZE);
  const skip = Number(call.query.get('$skip') ?? 0);
  if (!Number.isInteger(top) || top < 1 || !Number.isInteger(skip) || skip < 0) {
    throw new GraphHttpError(400, 'BadRequest', 'Invalid $top or $skip.');
  }
  const page = matching.slice(skip, skip + top);
  const body: Record<string, unknown> = {
    '@odata.context': odataContext,
    value: page.map((e) => state.renderEvent(account, e, options)),
  };
  if (skip + top < matching.length) {
    const next = new URLSearchParams(call.query);
    next.set('$skip', String(skip + top));
    if (!call.query.has('$top')) next.set('$top', String(top));
    body['@odata.nextLink'] = `${ctx.baseUrl}/v1.0${call.path}?${next.toString()}`;
  }
  return { status: 200, headers: appliedHeader(prefs, true, true), body };
}

function gone(): GraphHttpError {
  return new GraphHttpError(
    410,
    'SyncStateNotFound',
    'The sync state generation is not valid or has expired. Start a new full synchronization.',
  );
}

function delta(
  ctx: GraphContext,
  call: GraphCall,
  prefs: Preferences,
  calendar: Calendar,
): GraphResult {
  const { state, account } = ctx;
  const skipValue = call.query.get('$skiptoken');
  const deltaValue = call.query.get('$deltatoken');
  let items;
  let next;
  if (skipValue !== null) {
    const skip = state.skipToken(skipValue);
    if (!skip || !skip.valid || skip.accountId !== account.id) throw gone();
    ({ items, next } = skip);
  } else if (deltaValue !== null) {
    const previous = state.deltaToken(deltaValue);
    if (!previous || !previous.valid || previous.accountId !== account.id) throw gone();
    ({ items, next } = state.continueDelta(account, previous));
  } else {
    const { startMs, endMs } = window(call.query);
    ({ items, next } = state.startDelta(account, calendar, startMs, endMs));
  }
  const pageSize = prefs.maxPageSize ?? DEFAULT_PAGE_SIZE;
  const page = items.slice(0, pageSize);
  const remaining = items.slice(pageSize);
  const timeZone = prefs.timeZone ?? 'UTC';
  const body: Record<string, unknown> = {
    '@odata.context': `${ctx.baseUrl}/v1.0/$metadata#Collection(event)`,
    value: page.map((item) =>
      item.removed
        ? {
            '@odata.type': '#microsoft.graph.event',
            id: item.id,
            '@removed': { reason: 'deleted' },
          }
        : state.renderEvent(account, item.event, { timeZone }),
    ),
  };
  const link = `${ctx.baseUrl}/v1.0${call.path}`;
  if (remaining.length > 0) {
    body['@odata.nextLink'] =
      `${link}?$skiptoken=${state.saveSkipToken(account.id, remaining, next)}`;
  } else {
    body['@odata.deltaLink'] = `${link}?$deltatoken=${state.saveDeltaToken(next)}`;
  }
  return { status: 200, headers: appliedHeader(prefs, true, true), body };
}
