/**
 * A stateful Google Calendar v3 + Google OAuth 2.0 emulator on node:http, started in-process:
 *
 *   const google = await startGoogleEmulator({ accounts: [{ email: 'ann@example.com' }] });
 *   new google.auth.OAuth2({ clientId, clientSecret, redirectUri, endpoints: google.endpoints });
 *   google.calendar({ version: 'v3', rootUrl: google.rootUrl, auth });
 *   await google.stop();
 *
 * Every request passes the fault schedule first (`google.faults`), then authentication, scopes
 * and validation against the discovery document, then the handler. Push channels
 * (`events.watch`) deliver to their addresses asynchronously (`google.notifications`). See
 * README.md.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Outcome as EmulatorOutcome, withScheduledFault } from '../common/emulator-http';
import { FaultAnswer, FaultSchedule, RequestFacts } from '../common/faults';
import { listen, readBody, resetConnection, RunningServer } from '../common/http';
import {
  NotificationDispatcher,
  NotificationDropHandle,
  NotificationDropRule,
  NotificationRecord,
  WebhookOptions,
} from '../common/notifications';
import { BatchAnswer, BatchSyntaxError, boundaryOf, parseBatch, serializeBatch } from './batch';
import { ApiCall, CalendarApi } from './calendar';
import { matchRoute, validateBody, validateParameters } from './discovery';
import {
  ApiResponse,
  googleError,
  insufficientScopes,
  invalidCredentials,
  loginRequired,
  oauthError,
  unknownUrl,
} from './errors';
import { createGoogleFaultSchedule } from './faults';
import { Consent, OAuthServer } from './oauth';
import { PushChannel, PushChannels } from './push';
import { Account, Calendar, EventResource, OAuthClient, Store } from './state';

export const CALENDAR_SCOPES = {
  events: 'https://www.googleapis.com/auth/calendar.events',
  readonly: 'https://www.googleapis.com/auth/calendar.readonly',
  calendar: 'https://www.googleapis.com/auth/calendar',
};

/** The client every emulator knows unless told otherwise. */
export const DEFAULT_CLIENT: OAuthClient = {
  clientId: '1234567890-danwel.apps.googleusercontent.com',
  clientSecret: 'GOCSPX-emulator-secret',
  redirectUris: ['http://127.0.0.1/oauth/google/callback'],
};

export interface AccountInput {
  email: string;
  name?: string;
  /** Time zone of the primary calendar (default UTC). */
  timeZone?: string;
  /** Secondary calendars. */
  calendars?: Array<{ id?: string; summary?: string; timeZone?: string }>;
}

export interface GoogleEmulatorOptions extends WebhookOptions {
  host?: string;
  port?: number;
  accounts?: AccountInput[];
  /** OAuth clients (default: `DEFAULT_CLIENT`). */
  clients?: OAuthClient[];
  /** `expires_in` of access tokens (default 3599, like Google). */
  accessTokenTtlSeconds?: number;
  /** The consent page signs in as `login_hint` or the first account without asking (default true). */
  autoConsent?: boolean;
  /** Demand PKCE with S256 (default true). */
  requirePkce?: boolean;
  /** Every request is held this long before it is processed (default 0); live as `latencyMs`. */
  latencyMs?: number;
  now?: () => number;
}

export interface LoggedRequest {
  seq: number;
  at: number;
  method: string;
  path: string;
  query: string;
  operation?: string;
  user?: string;
  status?: number;
  /** answered | reset (nothing applied) | lostResponse (applied, unanswered) | held (client gave up). */
  outcome: 'answered' | 'reset' | 'lostResponse' | 'held';
  /** Label of the injected fault, if any. */
  fault?: string;
  /** For a batch sub-request: the batch's `seq` and the part's Content-ID. */
  batch?: { parent: number; index: number; contentId?: string };
  durationMs: number;
}

/** What a request came to: an answer, a dropped connection, or nothing at all. */
type Outcome = EmulatorOutcome<ApiResponse>;

/** `Credentials` as google-auth-library takes them (`auth.setCredentials`). */
export interface IssuedTokens {
  access_token: string;
  refresh_token?: string;
  expiry_date: number;
  scope: string;
  token_type: 'Bearer';
}

export interface UserActions {
  insert(calendarId: string, event: Record<string, unknown>): EventResource;
  patch(calendarId: string, eventId: string, patch: Record<string, unknown>): EventResource;
  delete(calendarId: string, eventId: string): void;
  /** Moves the event to another of the user's calendars (same id); the source sees it cancelled. */
  move(calendarId: string, eventId: string, destinationCalendarId: string): EventResource;
}

function respond(response: ApiResponse): Outcome {
  return { type: 'respond', response };
}

function bearerOf(headers: Record<string, string | undefined>, query?: URLSearchParams) {
  const header = headers.authorization;
  if (header && /^Bearer\s+/i.test(header)) return header.replace(/^Bearer\s+/i, '').trim();
  return query?.get('oauth_token') ?? undefined;
}

function flatHeaders(req: IncomingMessage): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

export class GoogleEmulator {
  readonly store: Store;
  readonly oauth: OAuthServer;
  readonly faults: FaultSchedule;
  /** Every request in arrival order (batch sub-requests included, after their batch). */
  readonly requests: LoggedRequest[] = [];
  private readonly api: CalendarApi;
  private readonly dispatcher: NotificationDispatcher;
  private readonly push: PushChannels;
  private server?: RunningServer;
  private seq = 0;
  /** Milliseconds every request waits before it is processed: the network and Google's own time. */
  latencyMs: number;

  constructor(readonly options: GoogleEmulatorOptions = {}) {
    this.latencyMs = options.latencyMs ?? 0;
    const now = options.now ?? Date.now;
    this.store = new Store(now);
    this.oauth = new OAuthServer(this.store, {
      accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 3599,
      autoConsent: options.autoConsent ?? true,
      requirePkce: options.requirePkce ?? true,
    });
    this.faults = createGoogleFaultSchedule(now);
    this.dispatcher = new NotificationDispatcher(options, now);
    this.push = new PushChannels(this.store, this.dispatcher, () => this.url);
    this.api = new CalendarApi(this.store, this.push);
    for (const client of options.clients ?? [DEFAULT_CLIENT]) this.addClient(client);
    for (const account of options.accounts ?? []) this.addAccount(account);
  }

  // ---- lifecycle ------------------------------------------------------------------------

  async start(): Promise<this> {
    this.server = await listen((req, res) => void this.onRequest(req, res), {
      host: this.options.host,
      port: this.options.port,
    });
    return this;
  }

  async stop(): Promise<void> {
    this.dispatcher.close();
    await this.server?.stop();
  }

  /** `http://127.0.0.1:PORT` */
  get url(): string {
    if (!this.server) throw new Error('emulator not started');
    return this.server.url;
  }

  /** For `google.calendar({ version: 'v3', rootUrl })` (ends with a slash). */
  get rootUrl(): string {
    return `${this.url}/`;
  }

  /** For `new google.auth.OAuth2({ …, endpoints })`. */
  get endpoints() {
    return {
      oauth2AuthBaseUrl: `${this.url}/o/oauth2/v2/auth`,
      oauth2TokenUrl: `${this.url}/token`,
      oauth2RevokeUrl: `${this.url}/revoke`,
      oauth2FederatedSignonPemCertsUrl: `${this.url}/oauth2/v1/certs`,
      oauth2FederatedSignonJwkCertsUrl: `${this.url}/oauth2/v3/certs`,
    };
  }

  /** Requests held open by a timeout fault right now. */
  get heldRequests(): number {
    return this.server?.holds.size ?? 0;
  }

  // ---- accounts, clients, consent, tokens ----------------------------------------------

  addAccount(input: AccountInput): Account {
    return this.store.addAccount(input);
  }

  addCalendar(email: string, input: { id?: string; summary?: string; timeZone?: string }) {
    return this.calendarSummary(this.store.addCalendar(email, input));
  }

  addClient(client: OAuthClient): void {
    this.store.clients.set(client.clientId, { ...client, redirectUris: [...client.redirectUris] });
  }

  /** The user's answer to the next visit of the consent page (queued, in order). */
  authorize(consent: Consent): void {
    this.oauth.consents.push(consent);
  }

  /** Tokens without the consent dance, as `auth.setCredentials` takes them. */
  issueTokens(input: { email: string; scopes?: string[]; clientId?: string }): IssuedTokens {
    const grant = this.store.createGrant(
      this.store.account(input.email).email,
      input.clientId ?? this.store.clients.keys().next().value ?? DEFAULT_CLIENT.clientId,
      input.scopes ?? [CALENDAR_SCOPES.events, CALENDAR_SCOPES.readonly],
      true,
    );
    const access = this.store.issueAccessToken(grant, this.oauth.settings.accessTokenTtlSeconds);
    return {
      access_token: access.token,
      refresh_token: grant.refreshToken,
      expiry_date: access.expiresAt,
      scope: grant.scopes.join(' '),
      token_type: 'Bearer',
    };
  }

  /** Every live access token (of one user, or all) is expired server-side now: next call 401. */
  expireAccessTokens(email?: string): number {
    let expired = 0;
    for (const token of this.store.accessTokens.values()) {
      if (email && token.email !== email.toLowerCase()) continue;
      if (token.expiresAt > this.store.now()) {
        this.store.expireAccessToken(token.token);
        expired++;
      }
    }
    return expired;
  }

  /** The user removes the app's access in their Google account: refresh answers invalid_grant. */
  revokeAccess(email: string, clientId?: string): number {
    let revoked = 0;
    for (const grant of this.store.grants.values()) {
      if (grant.email !== email.toLowerCase() || grant.revoked) continue;
      if (clientId && grant.clientId !== clientId) continue;
      this.store.revokeGrant(grant);
      revoked++;
    }
    return revoked;
  }

  set accessTokenTtlSeconds(seconds: number) {
    this.oauth.settings.accessTokenTtlSeconds = seconds;
  }

  get accessTokenTtlSeconds(): number {
    return this.oauth.settings.accessTokenTtlSeconds;
  }

  // ---- inspection and "edit as the user" -----------------------------------------------

  accounts(): Array<{ email: string; name: string; sub: string; calendars: string[] }> {
    return [...this.store.accounts.values()].map((a) => ({
      email: a.email,
      name: a.name,
      sub: a.sub,
      calendars: [...a.calendars.keys()],
    }));
  }

  calendars(email: string) {
    return [...this.store.account(email).calendars.values()].map((c) => this.calendarSummary(c));
  }

  private calendarSummary(c: Calendar) {
    return { id: c.id, summary: c.summary, timeZone: c.timeZone, primary: c.primary };
  }

  /** The calendar's events as `events.get` shows them, in creation order. */
  events(
    email: string,
    calendarId = 'primary',
    options: { includeCancelled?: boolean } = {},
  ): EventResource[] {
    const calendar = this.store.calendar(email, calendarId);
    return [...calendar.events.values()]
      .filter((e) => options.includeCancelled || e.status !== 'cancelled')
      .sort((a, b) => a.createdSeq - b.createdSeq)
      .map((e) => this.store.renderFull(calendar, e));
  }

  event(email: string, calendarId: string, eventId: string): EventResource | undefined {
    const calendar = this.store.calendar(email, calendarId);
    const event = calendar.events.get(eventId);
    return event && this.store.renderFull(calendar, event);
  }

  /** Changes made by the user in Google Calendar: new etag/updated, visible to incremental sync. */
  asUser(email: string): UserActions {
    const fail = (response: ApiResponse): never => {
      throw new Error(`user edit rejected: ${JSON.stringify(response.body)}`);
    };
    const find = (calendarId: string, eventId: string) => {
      const calendar = this.store.calendar(email, calendarId);
      const event = calendar.events.get(eventId);
      if (!event || event.status === 'cancelled') throw new Error(`no event ${eventId}`);
      return { calendar, event };
    };
    return {
      insert: (calendarId, input) => {
        const calendar = this.store.calendar(email, calendarId);
        const result = this.store.insertEvent(calendar, input);
        if ('error' in result) return fail(result.error);
        return this.store.renderFull(calendar, result.event);
      },
      patch: (calendarId, eventId, patch) => {
        const { calendar, event } = find(calendarId, eventId);
        const result = this.store.writeEvent(calendar, event, patch, 'patch');
        if ('error' in result) return fail(result.error);
        return this.store.renderFull(calendar, result.event);
      },
      delete: (calendarId, eventId) => {
        const { calendar, event } = find(calendarId, eventId);
        this.store.cancelEvent(calendar, event);
      },
      move: (calendarId, eventId, destinationCalendarId) => {
        const { calendar, event } = find(calendarId, eventId);
        const to = this.store.calendar(email, destinationCalendarId);
        return this.store.renderFull(to, this.store.moveEvent(calendar, event, to));
      },
    };
  }

  /** Sync tokens of the calendar answer 410 fullSyncRequired from now on. */
  invalidateSyncTokens(email: string, calendarId = 'primary'): void {
    this.store.calendar(email, calendarId).epoch++;
  }

  /** Google forgets deleted events (and so the sync tokens that predate it). */
  purgeDeleted(email: string, calendarId = 'primary'): number {
    return this.store.purgeDeleted(this.store.calendar(email, calendarId));
  }

  clearRequests(): void {
    this.requests.length = 0;
  }

  // ---- push notifications --------------------------------------------------------------

  /**
   * Every push message, in the order the changes happened: channel id, `kind` (the resource
   * state), address and URL, the `X-Goog-*` headers, outcome, the receiver's status or error.
   */
  get notifications(): NotificationRecord[] {
    return this.dispatcher.log;
  }

  /**
   * Lost push messages (a chaos fault): `dropNotifications(2)`, `dropNotifications('all')`,
   * `dropNotifications({ match: { channel, kind: 'exists' }, after: 1, times: 1 })` or
   * `dropNotifications({ probability: 0.1, seed: 7 })`. A dropped message still uses its message
   * number and is recorded with outcome `dropped`. `handle.remove()` ends the rule.
   */
  dropNotifications(rule: number | 'all' | NotificationDropRule = 'all'): NotificationDropHandle {
    return this.dispatcher.drop(rule);
  }

  /** Removes every `dropNotifications` rule. */
  clearNotificationDrops(): void {
    this.dispatcher.clearDrops();
  }

  /** Resolves once every queued push message was answered, failed or timed out. */
  notificationsSettled(): Promise<void> {
    return this.dispatcher.settled();
  }

  /** The push channels opened so far (stopped and expired ones too), with `live`. */
  channels(): Array<PushChannel & { live: boolean }> {
    return [...this.push.channels.values()].map((c) => ({
      ...structuredClone(c),
      live: this.push.live(c),
    }));
  }

  // ---- the HTTP pipeline ----------------------------------------------------------------

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const url = new URL(req.url ?? '/', 'http://emulator');
    const method = (req.method ?? 'GET').toUpperCase();
    let body: string;
    try {
      body = (await readBody(req)).toString('utf8');
    } catch {
      resetConnection(req.socket);
      return;
    }
    const entry: LoggedRequest = {
      seq: ++this.seq,
      at: started,
      method,
      path: url.pathname,
      query: url.search,
      outcome: 'answered',
      durationMs: 0,
    };
    this.requests.push(entry);
    const headers = flatHeaders(req);
    if (this.latencyMs > 0 && !(await this.server!.holds.delay(this.latencyMs))) return;
    let outcome: Outcome;
    try {
      outcome = await this.route(method, url, headers, body, entry);
    } catch (error) {
      outcome = respond(
        googleError(500, 'backendError', `Emulator failure: ${(error as Error).message}`),
      );
    }
    entry.durationMs = Date.now() - started;
    if (outcome.type === 'respond') {
      entry.status = outcome.response.status;
      this.write(res, outcome.response, url.searchParams.get('prettyPrint') !== 'false');
    } else if (outcome.type === 'reset') {
      entry.outcome = outcome.applied ? 'lostResponse' : 'reset';
      resetConnection(req.socket);
    } else {
      entry.outcome = 'held';
      await this.server?.holds.untilClosed(req.socket);
      entry.durationMs = Date.now() - started;
      resetConnection(req.socket);
    }
  }

  private write(res: ServerResponse, response: ApiResponse, pretty: boolean): void {
    if (res.destroyed || res.writableEnded) return;
    const payload =
      response.body === undefined
        ? ''
        : typeof response.body === 'string'
          ? response.body
          : JSON.stringify(response.body, null, pretty ? 1 : undefined);
    res.writeHead(response.status, {
      ...response.headers,
      ...(response.status === 204 || response.status === 304
        ? {}
        : { 'Content-Length': String(Buffer.byteLength(payload)) }),
      Server: 'ESF',
      Vary: 'Origin, X-Origin, Referer',
    });
    res.end(response.status === 204 || response.status === 304 ? undefined : payload);
  }

  private async route(
    method: string,
    url: URL,
    headers: Record<string, string | undefined>,
    body: string,
    entry: LoggedRequest,
  ): Promise<Outcome> {
    const path = url.pathname;
    if (path === '/o/oauth2/v2/auth' && method === 'GET') {
      entry.operation = 'oauth.authorize';
      return this.withFaults(
        { method, path, operation: entry.operation, batch: false },
        entry,
        'oauth',
        async () => respond(this.oauth.authorize(url.searchParams)),
      );
    }
    if (path === '/token' && method === 'POST') {
      const form = new URLSearchParams(body);
      entry.operation = 'oauth.token';
      const grantType = form.get('grant_type') ?? undefined;
      const user =
        this.store.refreshTokens.get(form.get('refresh_token') ?? '')?.email ??
        this.store.codes.get(form.get('code') ?? '')?.email;
      entry.user = user;
      return this.withFaults(
        { method, path, operation: entry.operation, batch: false, user, grantType },
        entry,
        'oauth',
        async () => respond(this.oauth.token(form, headers.authorization)),
        form,
      );
    }
    if (path === '/revoke' && method === 'POST') {
      entry.operation = 'oauth.revoke';
      return this.withFaults(
        { method, path, operation: entry.operation, batch: false },
        entry,
        'oauth',
        async () => respond(this.oauth.revoke(url.searchParams, new URLSearchParams(body))),
      );
    }
    if ((path === '/oauth2/v1/certs' || path === '/oauth2/v3/certs') && method === 'GET') {
      entry.operation = 'oauth.certs';
      return respond(this.oauth.certs(path.includes('/v1/') ? 'pem' : 'jwk'));
    }
    if ((path === '/batch/calendar/v3' || path === '/batch') && method === 'POST') {
      entry.operation = 'batch';
      const bearer = bearerOf(headers);
      const user = bearer ? this.store.accessTokens.get(bearer)?.email : undefined;
      entry.user = user;
      return this.withFaults(
        { method, path, operation: 'batch', user, batch: false },
        entry,
        'api',
        () => this.batch(headers, body, entry),
      );
    }
    if (path.startsWith('/calendar/v3/')) {
      return this.apiCall({ method, path, query: url.searchParams, headers, body }, entry, false);
    }
    return respond(unknownUrl(path));
  }

  /** One Calendar API call, top-level or inside a batch. */
  private async apiCall(call: ApiCall, entry: LoggedRequest, inBatch: boolean): Promise<Outcome> {
    const route = matchRoute(call.method, call.path.slice('/calendar/v3/'.length));
    if (!route) return respond(unknownUrl(call.path));
    const bearer = bearerOf(call.headers, call.query);
    const user = bearer ? this.store.accessTokens.get(bearer)?.email : undefined;
    entry.operation = route.method.id.replace(/^calendar\./, '');
    entry.user = user;
    const facts: RequestFacts = {
      method: call.method,
      path: call.path,
      operation: entry.operation,
      user,
      batch: inBatch,
    };
    return this.withFaults(
      facts,
      entry,
      'api',
      async () => {
        if (!bearer) return respond(loginRequired());
        const token = this.store.checkAccessToken(bearer);
        if (typeof token === 'string') return respond(invalidCredentials());
        if (!route.method.scopes?.some((s) => token.scopes.includes(s))) {
          return respond(insufficientScopes());
        }
        const invalid = validateParameters(route.method, route.params, call.query);
        if (invalid) return respond(invalid);
        if (route.method.request && call.body.trim()) {
          let parsed: unknown;
          try {
            parsed = JSON.parse(call.body);
          } catch {
            return respond(googleError(400, 'parseError', 'Parse Error'));
          }
          const badBody = validateBody(route.method, parsed);
          if (badBody) return respond(badBody);
        }
        return respond(this.api.handle(route.method, route.params, call, token));
      },
      undefined,
      bearer,
    );
  }

  /** Carries out the fault the schedule picks for this request, if any, around `process`. */
  private async withFaults(
    facts: RequestFacts,
    entry: LoggedRequest,
    dialect: 'api' | 'oauth',
    process: () => Promise<Outcome>,
    form?: URLSearchParams,
    bearer?: string,
  ): Promise<Outcome> {
    return withScheduledFault(this.faults, facts, entry, this.server!.holds, {
      process,
      render: (answer) => respond(renderFault(answer, dialect)),
      expireToken: () => {
        if (bearer) this.store.expireAccessToken(bearer);
        return respond(invalidCredentials());
      },
      invalidGrant: (grant) =>
        respond(
          dialect === 'oauth'
            ? this.oauth.invalidGrant(
                form ?? new URLSearchParams(),
                grant.description,
                grant.revoke,
              )
            : googleError(400, 'invalid', 'invalidGrant fault on a non-token request'),
        ),
    });
  }

  private async batch(
    headers: Record<string, string | undefined>,
    body: string,
    entry: LoggedRequest,
  ): Promise<Outcome> {
    const boundary = boundaryOf(headers['content-type']);
    if (!boundary) {
      return respond(
        googleError(
          400,
          'invalid',
          'Invalid batch request: Content-Type must be multipart/mixed with a boundary.',
        ),
      ); // [U]
    }
    let parts;
    try {
      parts = parseBatch(body, boundary);
    } catch (error) {
      if (error instanceof BatchSyntaxError)
        return respond(googleError(400, 'invalid', error.message));
      throw error;
    }
    if (parts.length === 0) return respond(googleError(400, 'invalid', 'Empty batch request.')); // [U]
    if (parts.length > 1000) {
      return respond(
        googleError(400, 'invalid', 'A batch request cannot contain more than 1000 requests.'),
      ); // [U]
    }
    // Headers of the envelope apply to every part unless the part sets its own (not Content-*).
    const inherited = Object.fromEntries(
      Object.entries(headers).filter(([name]) => !name.startsWith('content-') && name !== 'host'),
    );
    const answers: BatchAnswer[] = [];
    for (const [index, part] of parts.entries()) {
      const url = new URL(part.url, 'http://emulator');
      const child: LoggedRequest = {
        seq: ++this.seq,
        at: Date.now(),
        method: part.method,
        path: url.pathname,
        query: url.search,
        outcome: 'answered',
        batch: { parent: entry.seq, index, contentId: part.contentId },
        durationMs: 0,
      };
      this.requests.push(child);
      const outcome = url.pathname.startsWith('/calendar/v3/')
        ? await this.apiCall(
            {
              method: part.method,
              path: url.pathname,
              query: url.searchParams,
              headers: { ...inherited, ...part.headers },
              body: part.body,
            },
            child,
            true,
          )
        : respond(unknownUrl(url.pathname));
      if (outcome.type !== 'respond') {
        // The connection drops (or hangs) in the middle of the batch: the parts before this one
        // were applied, this one too if its response was lost, the rest never ran.
        child.outcome =
          outcome.type === 'hold' ? 'held' : outcome.applied ? 'lostResponse' : 'reset';
        return outcome;
      }
      child.status = outcome.response.status;
      answers.push({ contentId: part.contentId, response: outcome.response });
    }
    const { boundary: out, body: payload } = serializeBatch(answers);
    return respond({
      status: 200,
      headers: { 'Content-Type': `multipart/mixed; boundary=${out}` },
      body: payload,
    });
  }
}

export async function startGoogleEmulator(
  options: GoogleEmulatorOptions = {},
): Promise<GoogleEmulator> {
  return new GoogleEmulator(options).start();
}

/** A fault's error answer as Google's API or its OAuth endpoints give it. */
function renderFault(answer: FaultAnswer, dialect: 'api' | 'oauth'): ApiResponse {
  if (dialect === 'api') {
    return googleError(answer.status, answer.code, answer.message, {
      retryAfter: answer.retryAfter,
      headers: answer.headers,
    });
  }
  const error =
    answer.code ??
    (answer.status === 429
      ? 'rate_limit_exceeded'
      : answer.status >= 500
        ? 'internal_failure'
        : 'invalid_request');
  return oauthError(
    answer.status,
    error,
    answer.message ?? 'Injected by the emulator.',
    answer.retryAfter,
  );
}
