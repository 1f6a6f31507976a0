import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { compileFilter, CompiledFilter } from './odata';
import {
  DateTimeTimeZone,
  fromEpochMs,
  graphTimestamp,
  isMidnight,
  TimeZoneError,
  toEpochMs,
} from './time';

/** A Graph error answer: `{"error":{"code","message","innerError"}}` with this status. */
export class GraphHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export interface ExtendedProperty {
  id: string;
  value: string;
}

export interface StoredEvent {
  id: string;
  calendarId: string;
  subject: string;
  body: { contentType: 'text' | 'html'; content: string };
  startMs: number;
  endMs: number;
  /** The zones the event was written in (originalStartTimeZone / originalEndTimeZone). */
  startZone: string;
  endZone: string;
  isAllDay: boolean;
  isCancelled: boolean;
  showAs: string;
  transactionId: string | null;
  extendedProperties: ExtendedProperty[];
  /** Other writable properties, stored and echoed as given. */
  extra: Record<string, unknown>;
  changeKey: string;
  createdMs: number;
  modifiedMs: number;
  iCalUId: string;
  /** Account change counter at the last change (drives delta). */
  seq: number;
}

interface Tombstone {
  id: string;
  seq: number;
  startMs: number;
  endMs: number;
}

export interface Calendar {
  id: string;
  name: string;
  isDefault: boolean;
  canEdit: boolean;
  changeKey: string;
  events: Map<string, StoredEvent>;
  /** transactionId → event id (dedup of retried creates). */
  transactions: Map<string, string>;
  tombstones: Tombstone[];
}

export interface Account {
  id: string;
  email: string;
  displayName: string;
  tenantId: string;
  calendars: Map<string, Calendar>;
  defaultCalendarId: string;
  seq: number;
}

export interface AppRegistration {
  clientId: string;
  clientSecret: string;
  /** Empty: any redirect URI is accepted. */
  redirectUris: string[];
}

interface AuthCode {
  clientId: string;
  redirectUri: string;
  scopes: string[];
  accountId: string;
  challenge?: string;
  challengeMethod?: string;
  nonce?: string;
  expiresMs: number;
  redeemed: boolean;
}

export interface AccessTokenGrant {
  accountId: string;
  clientId: string;
  scopes: string[];
  expiresMs: number;
}

interface RefreshTokenGrant {
  accountId: string;
  clientId: string;
  scopes: string[];
  active: boolean;
}

type DeltaItem = { removed: false; event: StoredEvent } | { removed: true; id: string };

interface DeltaToken {
  accountId: string;
  calendarId: string;
  startMs: number;
  endMs: number;
  watermark: number;
  known: Set<string>;
  valid: boolean;
}

interface SkipToken {
  accountId: string;
  items: DeltaItem[];
  next: DeltaToken;
  valid: boolean;
}

/** Canonical single-value extended property id: type keyword, lower-case GUID, name as given. */
const PROPERTY_TYPES = [
  'Binary',
  'Boolean',
  'CLSID',
  'Currency',
  'Double',
  'Float',
  'Integer',
  'Long',
  'Short',
  'String',
  'SystemTime',
];
export function canonicalPropertyId(id: string): string | undefined {
  const match =
    /^\s*(\w+)\s+(\{[0-9a-fA-F-]{36}\}|0x[0-9a-fA-F]+)(?:\s+(Name|Id)\s+(.+?))?\s*$/.exec(id);
  if (!match) return undefined;
  const type = PROPERTY_TYPES.find((t) => t.toLowerCase() === match[1].toLowerCase());
  if (!type) return undefined;
  const kind = match[3] ? (match[3].toLowerCase() === 'name' ? 'Name' : 'Id') : undefined;
  if (match[2].startsWith('{') && !kind) return undefined;
  return [type, match[2].toLowerCase(), ...(kind ? [kind, match[4]] : [])].join(' ');
}

/** `$filter` over events, extended property ids compared canonically. */
export function compileEventFilter(text: string): CompiledFilter {
  return compileFilter(text, (collection, field, value) =>
    collection?.toLowerCase() === 'singlevalueextendedproperties' &&
    field.toLowerCase() === 'id' &&
    typeof value === 'string'
      ? (canonicalPropertyId(value) ?? value)
      : value,
  );
}

const newGraphId = () => `AAMkAD${randomBytes(33).toString('base64url')}AAA=`;
const newChangeKey = () => randomBytes(16).toString('base64');
const token = (prefix: string) => `${prefix}${randomBytes(32).toString('base64url')}`;

/** Properties Graph accepts on write that the emulator stores and echoes without interpreting. */
const PASSTHROUGH = new Set([
  'location',
  'locations',
  'categories',
  'sensitivity',
  'importance',
  'isReminderOn',
  'reminderMinutesBeforeStart',
  'attendees',
  'responseRequested',
  'allowNewTimeProposals',
  'isOnlineMeeting',
  'onlineMeetingProvider',
  'hideAttendees',
  'multiValueExtendedProperties',
]);
/** Read-only properties a client may echo back; ignored on write. */
const READ_ONLY = new Set([
  '@odata.etag',
  '@odata.context',
  '@odata.type',
  'id',
  'changeKey',
  'createdDateTime',
  'lastModifiedDateTime',
  'iCalUId',
  'isCancelled',
  'isOrganizer',
  'isDraft',
  'type',
  'seriesMasterId',
  'responseStatus',
  'organizer',
  'hasAttachments',
  'bodyPreview',
  'webLink',
  'onlineMeeting',
  'onlineMeetingUrl',
  'originalStartTimeZone',
  'originalEndTimeZone',
  'occurrenceId',
]);
const SHOW_AS = ['free', 'tentative', 'busy', 'oof', 'workingElsewhere', 'unknown'];

/** A change of an event, as change notifications see it. */
export interface EventChange {
  account: Account;
  calendarId: string;
  eventId: string;
  changeType: 'created' | 'updated' | 'deleted';
  /** The event's changeKey after the change (not for a deletion). */
  changeKey?: string;
}

export interface EventInput {
  [key: string]: unknown;
}

export interface RenderOptions {
  /** `Prefer: outlook.timezone`; undefined means the event's own zones. */
  timeZone?: string;
  /** Include singleValueExtendedProperties, optionally only those matching the filter. */
  expandExtendedProperties?: { filter?: CompiledFilter };
  select?: string[];
}

export class MicrosoftState {
  readonly tenantId = randomUUID();
  readonly accounts = new Map<string, Account>();
  readonly apps = new Map<string, AppRegistration>();
  private clockOffsetMs = 0;
  private readonly codes = new Map<string, AuthCode>();
  private readonly accessTokens = new Map<string, AccessTokenGrant>();
  private readonly refreshTokens = new Map<string, RefreshTokenGrant>();
  private readonly deltaTokens = new Map<string, DeltaToken>();
  private readonly skipTokens = new Map<string, SkipToken>();
  private readonly changeListeners: Array<(change: EventChange) => void> = [];
  /** Access token lifetime in seconds (`expires_in`). */
  accessTokenTtlSeconds = 3599;

  /** Called after every create, update and delete of an event (API or user; subscriptions). */
  onEventChange(listener: (change: EventChange) => void): void {
    this.changeListeners.push(listener);
  }

  private changed(change: EventChange): void {
    for (const listener of this.changeListeners) listener(change);
  }

  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  /** Moves the emulator's clock (token expiry, timestamps) forward. */
  advanceTime(ms: number): void {
    this.clockOffsetMs += ms;
  }

  // ---- accounts and calendars -------------------------------------------------------------

  addAccount(input: {
    email: string;
    displayName?: string;
    id?: string;
    /** Extra calendars beside the default "Calendar"; `canEdit: false` is a read-only share. */
    calendars?: Array<string | { name: string; canEdit?: boolean }>;
  }): { id: string; email: string; defaultCalendarId: string; calendarIds: string[] } {
    if (this.findAccount(input.email)) throw new Error(`account ${input.email} exists`);
    const account: Account = {
      id: input.id ?? randomUUID(),
      email: input.email,
      displayName: input.displayName ?? input.email.split('@')[0],
      tenantId: this.tenantId,
      calendars: new Map(),
      defaultCalendarId: '',
      seq: 0,
    };
    account.defaultCalendarId = this.addCalendar(account, 'Calendar', { isDefault: true }).id;
    for (const extra of input.calendars ?? []) {
      const spec = typeof extra === 'string' ? { name: extra } : extra;
      this.addCalendar(account, spec.name, { canEdit: spec.canEdit });
    }
    this.accounts.set(account.id, account);
    return {
      id: account.id,
      email: account.email,
      defaultCalendarId: account.defaultCalendarId,
      calendarIds: [...account.calendars.keys()],
    };
  }

  addCalendar(
    account: Account,
    name: string,
    options: { isDefault?: boolean; canEdit?: boolean } = {},
  ): Calendar {
    const calendar: Calendar = {
      id: newGraphId(),
      name,
      isDefault: options.isDefault ?? false,
      canEdit: options.canEdit ?? true,
      changeKey: newChangeKey(),
      events: new Map(),
      transactions: new Map(),
      tombstones: [],
    };
    account.calendars.set(calendar.id, calendar);
    return calendar;
  }

  findAccount(emailOrId: string): Account | undefined {
    const key = emailOrId.toLowerCase();
    for (const account of this.accounts.values()) {
      if (account.id === emailOrId || account.email.toLowerCase() === key) return account;
    }
    return undefined;
  }

  account(emailOrId: string): Account {
    const account = this.findAccount(emailOrId);
    if (!account) throw new Error(`no account ${emailOrId}`);
    return account;
  }

  calendar(account: Account, calendarId?: string): Calendar {
    const calendar = account.calendars.get(calendarId ?? account.defaultCalendarId);
    if (!calendar) {
      throw new GraphHttpError(
        404,
        'ErrorItemNotFound',
        'The specified object was not found in the store.',
      );
    }
    return calendar;
  }

  findEvent(account: Account, eventId: string): StoredEvent | undefined {
    for (const calendar of account.calendars.values()) {
      const event = calendar.events.get(eventId);
      if (event) return event;
    }
    return undefined;
  }

  // ---- events ------------------------------------------------------------------------------

  /** Creates an event (Graph POST semantics, including transactionId dedup). */
  createEvent(
    account: Account,
    calendar: Calendar,
    input: EventInput,
  ): { event: StoredEvent; duplicate: boolean } {
    const transactionId = input.transactionId;
    if (
      transactionId !== undefined &&
      transactionId !== null &&
      typeof transactionId !== 'string'
    ) {
      throw new GraphHttpError(400, 'ErrorInvalidRequest', 'transactionId must be a string.');
    }
    if (typeof transactionId === 'string') {
      const existingId = calendar.transactions.get(transactionId);
      const existing = existingId ? calendar.events.get(existingId) : undefined;
      // Graph drops a retried create with the same transactionId; the emulator answers it with
      // the event the first request created (201 again, body unchanged, new input ignored).
      if (existing) return { event: existing, duplicate: true };
    }
    const now = this.now();
    const event: StoredEvent = {
      id: newGraphId(),
      calendarId: calendar.id,
      subject: '',
      body: { contentType: 'text', content: '' },
      startMs: 0,
      endMs: 0,
      startZone: 'UTC',
      endZone: 'UTC',
      isAllDay: false,
      isCancelled: false,
      showAs: 'busy',
      transactionId: typeof transactionId === 'string' ? transactionId : null,
      extendedProperties: [],
      extra: {},
      changeKey: '',
      createdMs: now,
      modifiedMs: now,
      iCalUId: `040000008200E00074C5B7101A82E008${randomBytes(28).toString('hex').toUpperCase()}`,
      seq: 0,
    };
    if (input.start === undefined || input.end === undefined) {
      throw new GraphHttpError(400, 'ErrorInvalidRequest', 'An event needs a start and an end.');
    }
    this.applyInput(event, input);
    this.touch(account, event);
    calendar.events.set(event.id, event);
    if (event.transactionId) calendar.transactions.set(event.transactionId, event.id);
    this.changed({
      account,
      calendarId: calendar.id,
      eventId: event.id,
      changeType: 'created',
      changeKey: event.changeKey,
    });
    return { event, duplicate: false };
  }

  /** Applies a PATCH (or a user's edit) to an event and bumps changeKey / delta. */
  updateEvent(account: Account, event: StoredEvent, input: EventInput): StoredEvent {
    if (
      input.transactionId !== undefined &&
      input.transactionId !== event.transactionId &&
      !(input.transactionId === null && event.transactionId === null)
    ) {
      throw new GraphHttpError(400, 'ErrorInvalidRequest', 'transactionId cannot be changed.');
    }
    const draft: StoredEvent = {
      ...event,
      body: { ...event.body },
      extendedProperties: [...event.extendedProperties],
      extra: { ...event.extra },
    };
    this.applyInput(draft, input);
    Object.assign(event, draft);
    this.touch(account, event);
    this.changed({
      account,
      calendarId: event.calendarId,
      eventId: event.id,
      changeType: 'updated',
      changeKey: event.changeKey,
    });
    return event;
  }

  deleteEvent(account: Account, event: StoredEvent): void {
    const calendar = this.calendar(account, event.calendarId);
    calendar.events.delete(event.id);
    if (event.transactionId) calendar.transactions.delete(event.transactionId);
    account.seq++;
    calendar.tombstones.push({
      id: event.id,
      seq: account.seq,
      startMs: event.startMs,
      endMs: event.endMs,
    });
    this.changed({ account, calendarId: calendar.id, eventId: event.id, changeType: 'deleted' });
  }

  private touch(account: Account, event: StoredEvent): void {
    account.seq++;
    event.seq = account.seq;
    event.changeKey = newChangeKey();
    event.modifiedMs = this.now();
  }

  private applyInput(event: StoredEvent, input: EventInput): void {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      throw new GraphHttpError(400, 'RequestBodyRead', 'The request body must be a JSON object.');
    }
    for (const [key, value] of Object.entries(input)) {
      if (READ_ONLY.has(key) || key === 'transactionId') continue;
      switch (key) {
        case 'subject':
          if (value !== null && typeof value !== 'string') throw invalidValue(key);
          event.subject = value ?? '';
          break;
        case 'body': {
          const body = value as { contentType?: unknown; content?: unknown } | null;
          if (body === null || typeof body !== 'object') throw invalidValue(key);
          const type = String(body.contentType ?? 'text').toLowerCase();
          if (type !== 'text' && type !== 'html') throw invalidValue('body.contentType');
          event.body = { contentType: type, content: String(body.content ?? '') };
          break;
        }
        case 'start':
        case 'end': {
          const when = value as DateTimeTimeZone;
          try {
            const ms = toEpochMs(when, key);
            if (key === 'start') {
              event.startMs = ms;
              event.startZone = when.timeZone;
            } else {
              event.endMs = ms;
              event.endZone = when.timeZone;
            }
          } catch (error) {
            if (error instanceof TimeZoneError) {
              const code = /not supported/.test(error.message)
                ? 'TimeZoneNotSupportedException'
                : 'ErrorInvalidRequest';
              throw new GraphHttpError(400, code, error.message);
            }
            throw error;
          }
          break;
        }
        case 'isAllDay':
          if (typeof value !== 'boolean') throw invalidValue(key);
          event.isAllDay = value;
          break;
        case 'showAs':
          if (typeof value !== 'string' || !SHOW_AS.includes(value)) throw invalidValue(key);
          event.showAs = value;
          break;
        case 'recurrence':
          if (value !== null) {
            throw new GraphHttpError(
              501,
              'NotImplemented',
              'The Microsoft emulator does not implement recurring events.',
            );
          }
          break;
        case 'singleValueExtendedProperties': {
          if (!Array.isArray(value)) throw invalidValue(key);
          for (const property of value as Array<{ id?: unknown; value?: unknown }>) {
            const id =
              typeof property?.id === 'string' ? canonicalPropertyId(property.id) : undefined;
            if (!id || typeof property.value !== 'string') {
              throw new GraphHttpError(
                400,
                'ErrorInvalidProperty',
                `Invalid extended property: ${JSON.stringify(property)}`,
              );
            }
            const index = event.extendedProperties.findIndex((p) => p.id === id);
            if (index >= 0) event.extendedProperties[index] = { id, value: property.value };
            else event.extendedProperties.push({ id, value: property.value });
          }
          break;
        }
        default:
          if (!PASSTHROUGH.has(key)) {
            throw new GraphHttpError(
              400,
              'RequestBodyRead',
              `The property '${key}' does not exist on type 'microsoft.graph.event'. Make sure to ` +
                'only use property names that are defined by the type or mark the type as open type.',
            );
          }
          event.extra[key] = value;
      }
    }
    if (event.endMs < event.startMs) {
      throw new GraphHttpError(
        400,
        'ErrorInvalidRequest',
        'The end of the event must not be before its start.',
      );
    }
    if (event.isAllDay) {
      const start = fromEpochMs(event.startMs, event.startZone);
      const end = fromEpochMs(event.endMs, event.endZone);
      if (!isMidnight(start) || !isMidnight(end) || event.endMs === event.startMs) {
        throw new GraphHttpError(
          400,
          'ErrorInvalidRequest',
          'An all-day event must start and end at midnight and last at least a day.',
        );
      }
    }
  }

  // ---- rendering ---------------------------------------------------------------------------

  renderEvent(
    account: Account,
    event: StoredEvent,
    options: RenderOptions = {},
  ): Record<string, unknown> {
    // All-day events keep their own zone whatever the Prefer header says (as Graph does).
    const zone = (own: string) => (event.isAllDay ? own : (options.timeZone ?? own));
    const body: Record<string, unknown> = {
      '@odata.etag': `W/"${event.changeKey}"`,
      id: event.id,
      createdDateTime: graphTimestamp(event.createdMs),
      lastModifiedDateTime: graphTimestamp(event.modifiedMs),
      changeKey: event.changeKey,
      categories: [],
      transactionId: event.transactionId,
      originalStartTimeZone: event.startZone,
      originalEndTimeZone: event.endZone,
      iCalUId: event.iCalUId,
      reminderMinutesBeforeStart: 15,
      isReminderOn: true,
      hasAttachments: false,
      subject: event.subject,
      bodyPreview: event.body.content.replace(/<[^>]*>/g, '').slice(0, 255),
      importance: 'normal',
      sensitivity: 'normal',
      isAllDay: event.isAllDay,
      isCancelled: event.isCancelled,
      isOrganizer: true,
      responseRequested: true,
      seriesMasterId: null,
      showAs: event.showAs,
      type: 'singleInstance',
      webLink: `https://outlook.office365.com/owa/?itemid=${encodeURIComponent(event.id)}&exvsurl=1&path=/calendar/item`,
      onlineMeetingUrl: null,
      isOnlineMeeting: false,
      onlineMeetingProvider: 'unknown',
      allowNewTimeProposals: true,
      isDraft: false,
      hideAttendees: false,
      responseStatus: { response: 'organizer', time: '0001-01-01T00:00:00Z' },
      body: { ...event.body },
      start: fromEpochMs(event.startMs, zone(event.startZone)),
      end: fromEpochMs(event.endMs, zone(event.endZone)),
      location: {
        displayName: '',
        locationType: 'default',
        uniqueIdType: 'unknown',
        address: {},
        coordinates: {},
      },
      locations: [],
      recurrence: null,
      attendees: [],
      organizer: { emailAddress: { name: account.displayName, address: account.email } },
      onlineMeeting: null,
      ...event.extra,
    };
    if (options.expandExtendedProperties) {
      const filter = options.expandExtendedProperties.filter;
      body.singleValueExtendedProperties = event.extendedProperties
        .filter((p) => !filter || filter.matches({ id: p.id, value: p.value }))
        .map((p) => ({ ...p }));
    }
    if (options.select && options.select.length > 0) {
      const keep = new Set(['@odata.etag', 'id', ...options.select]);
      if (options.expandExtendedProperties) keep.add('singleValueExtendedProperties');
      for (const key of Object.keys(body)) {
        if (![...keep].some((k) => k.toLowerCase() === key.toLowerCase())) delete body[key];
      }
    }
    return body;
  }

  /** What `$filter` sees: the event in UTC with every extended property. */
  filterView(account: Account, event: StoredEvent): Record<string, unknown> {
    return this.renderEvent(account, event, {
      timeZone: 'UTC',
      expandExtendedProperties: {},
    });
  }

  // ---- test-facing views and user edits ------------------------------------------------------

  /** Events of an account (default calendar unless given), as Graph JSON in UTC with properties. */
  events(email: string, calendarId?: string): Array<Record<string, unknown>> {
    const account = this.account(email);
    const calendar = this.calendar(account, calendarId);
    return [...calendar.events.values()]
      .sort((a, b) => a.startMs - b.startMs || a.createdMs - b.createdMs)
      .map((e) => this.renderEvent(account, e, { timeZone: 'UTC', expandExtendedProperties: {} }));
  }

  event(email: string, eventId: string): Record<string, unknown> | undefined {
    const account = this.account(email);
    const event = this.findEvent(account, eventId);
    return event
      ? this.renderEvent(account, event, { timeZone: 'UTC', expandExtendedProperties: {} })
      : undefined;
  }

  /** The user creates an event in Outlook. */
  userCreate(email: string, input: EventInput, calendarId?: string): Record<string, unknown> {
    const account = this.account(email);
    const { event } = this.createEvent(account, this.calendar(account, calendarId), input);
    return this.renderEvent(account, event, { timeZone: 'UTC', expandExtendedProperties: {} });
  }

  /** The user edits (or moves: give start/end) an event in Outlook: new changeKey, shows in delta. */
  userEdit(email: string, eventId: string, input: EventInput): Record<string, unknown> {
    const account = this.account(email);
    const event = this.findEvent(account, eventId);
    if (!event) throw new Error(`no event ${eventId} for ${email}`);
    this.updateEvent(account, event, input);
    return this.renderEvent(account, event, { timeZone: 'UTC', expandExtendedProperties: {} });
  }

  /** The user deletes an event in Outlook. */
  userDelete(email: string, eventId: string): void {
    const account = this.account(email);
    const event = this.findEvent(account, eventId);
    if (!event) throw new Error(`no event ${eventId} for ${email}`);
    this.deleteEvent(account, event);
  }

  // ---- identity ----------------------------------------------------------------------------

  registerApp(app: AppRegistration): void {
    this.apps.set(app.clientId, app);
  }

  issueCode(code: Omit<AuthCode, 'expiresMs' | 'redeemed'>): string {
    const value = token('M.C5_');
    this.codes.set(value, { ...code, expiresMs: this.now() + 10 * 60_000, redeemed: false });
    return value;
  }

  takeCode(value: string): AuthCode | undefined {
    return this.codes.get(value);
  }

  issueTokens(
    accountId: string,
    clientId: string,
    scopes: string[],
  ): { accessToken: string; refreshToken?: string; expiresIn: number } {
    const accessToken = token('EwB');
    const expiresIn = this.accessTokenTtlSeconds;
    this.accessTokens.set(accessToken, {
      accountId,
      clientId,
      scopes,
      expiresMs: this.now() + expiresIn * 1000,
    });
    let refreshToken: string | undefined;
    if (scopes.some((s) => s.toLowerCase() === 'offline_access')) {
      refreshToken = token('M.R3_');
      this.refreshTokens.set(refreshToken, { accountId, clientId, scopes, active: true });
    }
    return { accessToken, refreshToken, expiresIn };
  }

  refreshGrant(value: string): RefreshTokenGrant | undefined {
    return this.refreshTokens.get(value);
  }

  accessGrant(value: string): AccessTokenGrant | undefined {
    return this.accessTokens.get(value);
  }

  /** Every access token of the account (or all) expires now. */
  expireAccessTokens(email?: string): void {
    const accountId = email ? this.account(email).id : undefined;
    for (const grant of this.accessTokens.values()) {
      if (!accountId || grant.accountId === accountId) grant.expiresMs = this.now() - 1;
    }
  }

  expireAccessToken(value: string): void {
    const grant = this.accessTokens.get(value);
    if (grant) grant.expiresMs = this.now() - 1;
  }

  /** The user revokes consent / an admin resets sessions: every refresh token dies. */
  revokeRefreshTokens(email?: string): void {
    const accountId = email ? this.account(email).id : undefined;
    for (const grant of this.refreshTokens.values()) {
      if (!accountId || grant.accountId === accountId) grant.active = false;
    }
  }

  // ---- delta -------------------------------------------------------------------------------

  startDelta(account: Account, calendar: Calendar, startMs: number, endMs: number) {
    const items: DeltaItem[] = [...calendar.events.values()]
      .filter((e) => overlaps(e, startMs, endMs))
      .sort((a, b) => a.startMs - b.startMs || a.createdMs - b.createdMs)
      .map((event) => ({ removed: false as const, event: cloneEvent(event) }));
    const next: DeltaToken = {
      accountId: account.id,
      calendarId: calendar.id,
      startMs,
      endMs,
      watermark: account.seq,
      known: new Set(items.map((i) => (i.removed ? i.id : i.event.id))),
      valid: true,
    };
    return { items, next };
  }

  continueDelta(account: Account, previous: DeltaToken) {
    const calendar = this.calendar(account, previous.calendarId);
    const known = new Set(previous.known);
    const changes: Array<{ seq: number; item: DeltaItem }> = [];
    for (const event of calendar.events.values()) {
      if (event.seq <= previous.watermark) continue;
      if (overlaps(event, previous.startMs, previous.endMs)) {
        known.add(event.id);
        changes.push({ seq: event.seq, item: { removed: false, event: cloneEvent(event) } });
      } else if (known.delete(event.id)) {
        // Moved out of the window: gone from this view.
        changes.push({ seq: event.seq, item: { removed: true, id: event.id } });
      }
    }
    for (const tombstone of calendar.tombstones) {
      if (tombstone.seq <= previous.watermark) continue;
      const wasKnown = known.delete(tombstone.id);
      if (wasKnown || overlaps(tombstone, previous.startMs, previous.endMs)) {
        changes.push({ seq: tombstone.seq, item: { removed: true, id: tombstone.id } });
      }
    }
    changes.sort((a, b) => a.seq - b.seq);
    const next: DeltaToken = { ...previous, watermark: account.seq, known, valid: true };
    return { items: changes.map((c) => c.item), next };
  }

  saveDeltaToken(next: DeltaToken): string {
    const value = token('');
    this.deltaTokens.set(value, next);
    return value;
  }

  saveSkipToken(accountId: string, items: DeltaItem[], next: DeltaToken): string {
    const value = token('');
    this.skipTokens.set(value, { accountId, items, next, valid: true });
    return value;
  }

  deltaToken(value: string): DeltaToken | undefined {
    return this.deltaTokens.get(value);
  }

  skipToken(value: string): SkipToken | undefined {
    return this.skipTokens.get(value);
  }

  /** Every delta/skip token of the account (or all) goes stale: the next use answers 410. */
  expireDeltaTokens(email?: string): void {
    const accountId = email ? this.account(email).id : undefined;
    for (const t of [...this.deltaTokens.values(), ...this.skipTokens.values()]) {
      if (!accountId || t.accountId === accountId) t.valid = false;
    }
  }
}

function overlaps(event: { startMs: number; endMs: number }, startMs: number, endMs: number) {
  // Zero-length events at the window start still show (Graph includes them).
  return event.startMs < endMs && (event.endMs > startMs || event.startMs === startMs);
}

function cloneEvent(event: StoredEvent): StoredEvent {
  return {
    ...event,
    body: { ...event.body },
    extendedProperties: event.extendedProperties.map((p) => ({ ...p })),
    extra: structuredClone(event.extra),
  };
}

function invalidValue(property: string): GraphHttpError {
  return new GraphHttpError(
    400,
    'ErrorInvalidRequest',
    `Invalid value for property '${property}'.`,
  );
}

/** PKCE S256 transform. */
export function pkceS256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}
