/**
 * The emulator's state: accounts with calendars and events, OAuth clients, grants and tokens.
 * Everything a write does to an event (validation of the resource, etag/updated/sequence, the
 * change counter that sync tokens read) lives here, so the API and the test's "edit as the
 * user" go through the same code.
 */
import { randomBytes } from 'node:crypto';
import { ApiResponse, googleError } from './errors';
import { formatInZone, isValidTimeZone, parseDate, parseDateTime, wallToInstant } from './time';

export type EventStatus = 'confirmed' | 'tentative' | 'cancelled';

export interface EventDateTime {
  date?: string;
  dateTime?: string;
  timeZone?: string;
}

/** An event as the API returns it. */
export interface EventResource {
  kind: 'calendar#event';
  etag: string;
  id: string;
  status: EventStatus;
  htmlLink?: string;
  created?: string;
  updated?: string;
  summary?: string;
  description?: string;
  colorId?: string;
  creator?: { email: string; self?: boolean };
  organizer?: { email: string; displayName?: string; self?: boolean };
  start?: EventDateTime;
  end?: EventDateTime;
  iCalUID?: string;
  sequence?: number;
  extendedProperties?: { private?: Record<string, string>; shared?: Record<string, string> };
  reminders?: { useDefault: boolean };
  eventType?: string;
  [field: string]: unknown;
}

export interface StoredEvent {
  id: string;
  /** The client-writable fields as last written (start/end as given). */
  data: Record<string, unknown>;
  status: EventStatus;
  etag: string;
  created: string;
  updated: string;
  sequence: number;
  iCalUID: string;
  startMs: number;
  endMs: number;
  allDay: boolean;
  /** Order of creation in the calendar (full listings page by it). */
  createdSeq: number;
  /** The calendar's change counter at the last write (sync tokens compare against it). */
  modSeq: number;
}

export interface Calendar {
  id: string;
  owner: string;
  summary: string;
  description?: string;
  timeZone: string;
  primary: boolean;
  colorId: string;
  backgroundColor: string;
  foregroundColor: string;
  events: Map<string, StoredEvent>;
  createdCounter: number;
  modCounter: number;
  /** Bumped when sync tokens are invalidated: older tokens answer 410 fullSyncRequired. */
  epoch: number;
}

export interface Account {
  email: string;
  /** Google's numeric account id (the id token's `sub`). */
  sub: string;
  name: string;
  timeZone: string;
  calendars: Map<string, Calendar>;
}

export interface OAuthClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
}

export interface Grant {
  id: string;
  email: string;
  clientId: string;
  scopes: string[];
  refreshToken?: string;
  revoked: boolean;
}

export interface AccessToken {
  token: string;
  grantId: string;
  email: string;
  clientId: string;
  scopes: string[];
  expiresAt: number;
}

export interface AuthCode {
  code: string;
  clientId: string;
  redirectUri: string;
  email: string;
  scopes: string[];
  codeChallenge?: string;
  codeChallengeMethod?: string;
  issueRefreshToken: boolean;
  nonce?: string;
  expiresAt: number;
  used: boolean;
}

const BASE32HEX = 'abcdefghijklmnopqrstuv0123456789';
/** Google's rule for a client-supplied event id [D]. */
export const EVENT_ID = /^[a-v0-9]{5,1024}$/;

export function randomToken(bytes = 24): string {
  return randomBytes(bytes).toString('base64url');
}

export function randomEventId(length = 26): string {
  const bytes = randomBytes(length);
  return Array.from(bytes, (b) => BASE32HEX[b % 32]).join('');
}

/** Fields the server owns: ignored in a request body, like Google does. */
const SERVER_FIELDS = new Set([
  'kind',
  'etag',
  'id',
  'htmlLink',
  'created',
  'updated',
  'iCalUID',
  'creator',
  'organizer',
  'sequence',
  'status',
  'eventType',
  'hangoutLink',
  'privateCopy',
  'locked',
]);

const STATUSES: EventStatus[] = ['confirmed', 'tentative', 'cancelled'];

type Plain = Record<string, unknown>;

function isPlain(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Patch semantics: objects merge recursively, arrays and scalars replace, null clears. */
export function mergePatch(target: Plain, patch: Plain): Plain {
  const out: Plain = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else if (isPlain(value) && isPlain(out[key])) out[key] = mergePatch(out[key] as Plain, value);
    else out[key] = structuredClone(value);
  }
  return out;
}

function stripNulls(value: Plain): Plain {
  return mergePatch({}, value);
}

export class Store {
  readonly accounts = new Map<string, Account>();
  readonly clients = new Map<string, OAuthClient>();
  readonly grants = new Map<string, Grant>();
  readonly refreshTokens = new Map<string, Grant>();
  readonly accessTokens = new Map<string, AccessToken>();
  readonly codes = new Map<string, AuthCode>();
  /** `${email} ${clientId}` of users who already gave a client offline access. */
  readonly offlineConsents = new Set<string>();
  private lastMicros = 0;
  private subCounter = 0;
  private readonly changeListeners: Array<(calendar: Calendar) => void> = [];

  constructor(readonly now: () => number) {}

  /** Called after every change of an event in a calendar (API or user edit; push channels). */
  onChange(listener: (calendar: Calendar) => void): void {
    this.changeListeners.push(listener);
  }

  private changed(calendar: Calendar): void {
    for (const listener of this.changeListeners) listener(calendar);
  }

  // ---- accounts and calendars ----------------------------------------------------------

  addAccount(input: {
    email: string;
    name?: string;
    timeZone?: string;
    calendars?: Array<{ id?: string; summary?: string; timeZone?: string }>;
  }): Account {
    const email = input.email.toLowerCase();
    if (this.accounts.has(email)) throw new Error(`account ${email} exists`);
    const timeZone = input.timeZone ?? 'UTC';
    if (!isValidTimeZone(timeZone)) throw new Error(`unknown time zone ${timeZone}`);
    const account: Account = {
      email,
      sub: String(100_000_000_000_000_000_000n + BigInt(++this.subCounter)),
      name: input.name ?? email.split('@')[0],
      timeZone,
      calendars: new Map(),
    };
    this.accounts.set(email, account);
    this.addCalendar(email, { id: email, summary: email, timeZone, primary: true });
    for (const calendar of input.calendars ?? []) this.addCalendar(email, calendar);
    return account;
  }

  addCalendar(
    email: string,
    input: { id?: string; summary?: string; timeZone?: string; primary?: boolean },
  ): Calendar {
    const account = this.account(email);
    const id = input.id ?? `${randomEventId(26)}@group.calendar.google.com`;
    if (account.calendars.has(id)) throw new Error(`calendar ${id} exists`);
    const timeZone = input.timeZone ?? account.timeZone;
    if (!isValidTimeZone(timeZone)) throw new Error(`unknown time zone ${timeZone}`);
    const calendar: Calendar = {
      id,
      owner: account.email,
      summary: input.summary ?? id,
      timeZone,
      primary: input.primary ?? false,
      colorId: input.primary ? '14' : '9',
      backgroundColor: input.primary ? '#9fe1e7' : '#7bd148',
      foregroundColor: '#000000',
      events: new Map(),
      createdCounter: 0,
      modCounter: 0,
      epoch: 1,
    };
    account.calendars.set(id, calendar);
    return calendar;
  }

  account(email: string): Account {
    const account = this.accounts.get(email.toLowerCase());
    if (!account) throw new Error(`no account ${email}`);
    return account;
  }

  /** `primary` or an id of one of the account's calendars. */
  findCalendar(email: string, calendarId: string): Calendar | undefined {
    const account = this.accounts.get(email.toLowerCase());
    if (!account) return undefined;
    if (calendarId === 'primary') return account.calendars.get(account.email);
    return account.calendars.get(calendarId) ?? account.calendars.get(calendarId.toLowerCase());
  }

  calendar(email: string, calendarId: string): Calendar {
    const calendar = this.findCalendar(email, calendarId);
    if (!calendar) throw new Error(`no calendar ${calendarId} for ${email}`);
    return calendar;
  }

  // ---- events ---------------------------------------------------------------------------

  /** A fresh etag and `updated`, strictly increasing even within one millisecond. */
  private stamp(): { etag: string; updated: string } {
    this.lastMicros = Math.max(this.lastMicros + 1, this.now() * 1000);
    return {
      etag: `"${this.lastMicros}"`,
      updated: new Date(Math.floor(this.lastMicros / 1000)).toISOString(),
    };
  }

  /**
   * Validates a complete event resource (after a patch was merged) and answers the normalised
   * data with its instants, or the 400 Google would send.
   */
  normalise(
    input: Plain,
    calendar: Calendar,
  ):
    | { data: Plain; status: EventStatus; startMs: number; endMs: number; allDay: boolean }
    | { error: ApiResponse } {
    const data: Plain = {};
    for (const [key, value] of Object.entries(input)) {
      if (!SERVER_FIELDS.has(key) && value !== null && value !== undefined) data[key] = value;
    }
    const status = (input.status ?? 'confirmed') as EventStatus;
    if (!STATUSES.includes(status)) {
      return { error: googleError(400, 'invalid', `Invalid value for: status`) }; // [U]
    }
    const start = this.instant(input.start, 'start', calendar);
    if ('error' in start) return start;
    const end = this.instant(input.end, 'end', calendar);
    if ('error' in end) return end;
    if (start.allDay !== end.allDay) {
      return {
        error: googleError(
          400,
          'invalid',
          'Start and end times must either both be date or both be dateTime.',
        ),
      };
    }
    if (end.ms < start.ms) {
      return { error: googleError(400, 'timeRangeEmpty', 'The specified time range is empty.') };
    }
    if (typeof input.colorId === 'string' && !/^([1-9]|1[01])$/.test(input.colorId)) {
      return { error: googleError(400, 'invalid', 'Invalid color id.') }; // [U]
    }
    const extended = input.extendedProperties as Plain | undefined;
    for (const scope of ['private', 'shared']) {
      for (const [key, value] of Object.entries((extended?.[scope] as Plain | undefined) ?? {})) {
        if (key.length > 44 || (typeof value === 'string' && value.length > 1024)) {
          return { error: googleError(400, 'invalid', 'Extended property is too long.') }; // [U]
        }
      }
    }
    data.start = stripNulls(input.start as Plain);
    data.end = stripNulls(input.end as Plain);
    return { data, status, startMs: start.ms, endMs: end.ms, allDay: start.allDay };
  }

  private instant(
    value: unknown,
    which: 'start' | 'end',
    calendar: Calendar,
  ): { ms: number; allDay: boolean } | { error: ApiResponse } {
    const missing = () => ({
      error: googleError(400, 'required', `Missing ${which} time.`),
    });
    if (!isPlain(value)) return missing();
    const { date, dateTime, timeZone } = value as EventDateTime;
    if (timeZone !== undefined && timeZone !== null && !isValidTimeZone(timeZone)) {
      return {
        error: googleError(
          400,
          'timeZoneInvalid',
          `Invalid time zone definition for ${which} time.`,
        ),
      };
    }
    if (date && dateTime) {
      return { error: googleError(400, 'invalid', `Invalid ${which} time.`) };
    }
    if (date) {
      const ms = parseDate(date, timeZone ?? calendar.timeZone);
      if (ms === undefined) return { error: googleError(400, 'invalid', `Invalid ${which} time.`) };
      return { ms, allDay: true };
    }
    if (!dateTime) return missing();
    const parsed = parseDateTime(dateTime);
    if (!parsed) return { error: googleError(400, 'invalid', `Invalid ${which} time.`) };
    if (parsed.ms !== undefined) return { ms: parsed.ms, allDay: false };
    if (!timeZone) {
      return {
        error: googleError(400, 'required', `Missing time zone definition for ${which} time.`),
      };
    }
    return { ms: wallToInstant(parsed.wall!, timeZone), allDay: false };
  }

  /**
   * Creates an event. `id` must follow Google's base32hex rule and be unused in the calendar
   * (deleted events keep their id).
   */
  insertEvent(calendar: Calendar, input: Plain): { event: StoredEvent } | { error: ApiResponse } {
    let id = input.id as string | undefined;
    if (id !== undefined) {
      if (typeof id !== 'string' || !EVENT_ID.test(id)) {
        return { error: googleError(400, 'invalid', 'Invalid resource id value.') };
      }
      if (calendar.events.has(id)) return { error: googleError(409, 'duplicate') };
    } else {
      do id = randomEventId();
      while (calendar.events.has(id));
    }
    const normal = this.normalise(input, calendar);
    if ('error' in normal) return normal;
    const { etag, updated } = this.stamp();
    const sequence = typeof input.sequence === 'number' ? input.sequence : 0;
    const event: StoredEvent = {
      id,
      data: normal.data,
      status: normal.status,
      etag,
      created: updated,
      updated,
      sequence,
      iCalUID: typeof input.iCalUID === 'string' ? input.iCalUID : `${id}@google.com`,
      startMs: normal.startMs,
      endMs: normal.endMs,
      allDay: normal.allDay,
      createdSeq: ++calendar.createdCounter,
      modSeq: ++calendar.modCounter,
    };
    calendar.events.set(id, event);
    this.changed(calendar);
    return { event };
  }

  /** Replaces (update) or merges (patch) an event's fields. */
  writeEvent(
    calendar: Calendar,
    event: StoredEvent,
    input: Plain,
    mode: 'update' | 'patch',
  ): { event: StoredEvent } | { error: ApiResponse } {
    const current: Plain = { ...event.data, status: event.status };
    const merged = mode === 'patch' ? mergePatch(current, input) : { ...input };
    if (mode === 'update' && merged.status === undefined) merged.status = 'confirmed';
    const normal = this.normalise(merged, calendar);
    if ('error' in normal) return normal;
    let sequence = event.sequence;
    if (typeof input.sequence === 'number') {
      if (input.sequence < event.sequence) {
        return {
          error: googleError(
            400,
            'invalid',
            'Invalid sequence value. The specified sequence number is below the current sequence number of the resource.',
          ),
        };
      }
      sequence = input.sequence;
    } else if (normal.startMs !== event.startMs || normal.endMs !== event.endMs) {
      sequence = event.sequence + 1;
    }
    const { etag, updated } = this.stamp();
    Object.assign(event, {
      data: normal.data,
      status: normal.status,
      etag,
      updated,
      sequence,
      startMs: normal.startMs,
      endMs: normal.endMs,
      allDay: normal.allDay,
      modSeq: ++calendar.modCounter,
    });
    this.changed(calendar);
    return { event };
  }

  /** Deletion keeps a cancelled tombstone that incremental sync reports. */
  cancelEvent(calendar: Calendar, event: StoredEvent): void {
    const { etag, updated } = this.stamp();
    Object.assign(event, { status: 'cancelled', etag, updated, modSeq: ++calendar.modCounter });
    this.changed(calendar);
  }

  /** Moves an event to another calendar of the same owner; the source keeps a tombstone. */
  moveEvent(from: Calendar, event: StoredEvent, to: Calendar): StoredEvent {
    if (to.events.has(event.id)) throw new Error(`event ${event.id} exists in ${to.id}`);
    const { etag, updated } = this.stamp();
    const moved: StoredEvent = {
      ...structuredClone(event),
      etag,
      updated,
      createdSeq: ++to.createdCounter,
      modSeq: ++to.modCounter,
    };
    to.events.set(moved.id, moved);
    this.changed(to);
    this.cancelEvent(from, event);
    return moved;
  }

  /** Drops cancelled tombstones and invalidates the calendar's sync tokens (Google's 410 case). */
  purgeDeleted(calendar: Calendar): number {
    let purged = 0;
    for (const [id, event] of calendar.events) {
      if (event.status === 'cancelled') {
        calendar.events.delete(id);
        purged++;
      }
    }
    calendar.epoch++;
    return purged;
  }

  render(calendar: Calendar, event: StoredEvent, timeZone = calendar.timeZone): EventResource {
    if (event.status === 'cancelled') {
      // Deleted events carry only what Google guarantees for them [D]: id and status.
      return { kind: 'calendar#event', etag: event.etag, id: event.id, status: 'cancelled' };
    }
    return this.renderFull(calendar, event, timeZone);
  }

  /** The whole resource, also for a cancelled event (events.get shows it). */
  renderFull(calendar: Calendar, event: StoredEvent, timeZone = calendar.timeZone): EventResource {
    const { summary, description, colorId, start, end, extendedProperties, reminders, ...rest } =
      event.data;
    const eid = Buffer.from(`${event.id} ${calendar.id}`).toString('base64url');
    const resource: EventResource = {
      kind: 'calendar#event',
      etag: event.etag,
      id: event.id,
      status: event.status,
      htmlLink: `https://www.google.com/calendar/event?eid=${eid}`,
      created: event.created,
      updated: event.updated,
      summary: summary as string | undefined,
      description: description as string | undefined,
      colorId: colorId as string | undefined,
      creator: { email: calendar.owner, self: true },
      organizer: calendar.primary
        ? { email: calendar.id, self: true }
        : { email: calendar.id, displayName: calendar.summary, self: true },
      start: this.renderTime(start as EventDateTime, event.startMs, event.allDay, timeZone),
      end: this.renderTime(end as EventDateTime, event.endMs, event.allDay, timeZone),
      iCalUID: event.iCalUID,
      sequence: event.sequence,
      extendedProperties: extendedProperties as EventResource['extendedProperties'],
      reminders: (reminders as EventResource['reminders']) ?? { useDefault: true },
      eventType: 'default',
      ...structuredClone(rest),
    };
    for (const key of Object.keys(resource)) if (resource[key] === undefined) delete resource[key];
    return structuredClone(resource);
  }

  /**
   * Google writes `dateTime` in the calendar's time zone (or the request's `timeZone`) with its
   * offset, and echoes the event's own `timeZone` [U: observed behaviour, not documented].
   */
  private renderTime(
    stored: EventDateTime,
    ms: number,
    allDay: boolean,
    timeZone: string,
  ): EventDateTime {
    if (allDay) return { date: stored.date };
    const out: EventDateTime = { dateTime: formatInZone(ms, timeZone) };
    if (stored.timeZone) out.timeZone = stored.timeZone;
    return out;
  }

  // ---- OAuth ----------------------------------------------------------------------------

  createGrant(email: string, clientId: string, scopes: string[], offline: boolean): Grant {
    const grant: Grant = {
      id: randomToken(9),
      email: email.toLowerCase(),
      clientId,
      scopes,
      revoked: false,
    };
    if (offline) {
      grant.refreshToken = `1//emu-${randomToken(32)}`;
      this.refreshTokens.set(grant.refreshToken, grant);
    }
    this.grants.set(grant.id, grant);
    return grant;
  }

  issueAccessToken(grant: Grant, ttlSeconds: number): AccessToken {
    const token: AccessToken = {
      token: `ya29.emu-${randomToken(32)}`,
      grantId: grant.id,
      email: grant.email,
      clientId: grant.clientId,
      scopes: grant.scopes,
      expiresAt: this.now() + ttlSeconds * 1000,
    };
    this.accessTokens.set(token.token, token);
    return token;
  }

  /** The live access token, or why it is not. */
  checkAccessToken(token: string): AccessToken | 'unknown' | 'expired' | 'revoked' {
    const record = this.accessTokens.get(token);
    if (!record) return 'unknown';
    if (this.grants.get(record.grantId)?.revoked) return 'revoked';
    if (record.expiresAt <= this.now()) return 'expired';
    return record;
  }

  expireAccessToken(token: string): void {
    const record = this.accessTokens.get(token);
    if (record) record.expiresAt = Math.min(record.expiresAt, this.now());
  }

  revokeGrant(grant: Grant): void {
    grant.revoked = true;
  }
}
