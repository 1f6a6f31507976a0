/**
 * A stateful Moneybird emulator (API v2 + OAuth) on node:http, started in-process:
 *
 *   const mb = await startMoneybirdEmulator();
 *   const adm = mb.addAdministration({ name: 'Acme BV', members: ['ann@acme.test'] });
 *   mb.apiUrl; // http://127.0.0.1:PORT/api/v2 — OAuth at `${mb.url}/oauth/{authorize,token}`
 *   await mb.stop();
 *
 * Every request passes the fault schedule (`mb.faults`) first, then authentication, the rate
 * limit (150 requests per 5 minutes per grant) and scopes, then the handler. See README.md.
 */
import type { IncomingMessage } from 'node:http';
import { FaultSchedule, RequestFacts } from '../common/faults';
import {
  EmulatorHttp,
  EmulatorHttpOptions,
  LoggedRequestBase,
  Outcome,
  respond,
} from '../common/emulator-http';
import { NotificationDispatcher, WebhookOptions } from '../common/notifications';
import { SlidingWindows } from '../common/sliding-windows';
import { MoneybirdApi, renderContact, TimeEntryInput } from './api';
import {
  ApiResponse,
  INVALID_GRANT_DESCRIPTION,
  json,
  MoneybirdError,
  oauthError,
  symbolicError,
} from './errors';
import {
  createMoneybirdFaultSchedule,
  RATE_LIMIT,
  rateLimitHeaders,
  renderMoneybirdFault,
} from './faults';
import {
  Administration,
  Grant,
  MONEYBIRD_SCOPES,
  MoneybirdApp,
  MoneybirdContact,
  MoneybirdProject,
  MoneybirdStore,
  MoneybirdTimeEntry,
  MoneybirdUser,
  randomToken,
} from './state';
import { MoneybirdWebhooks } from './webhooks';

export const DEFAULT_MONEYBIRD_APP: MoneybirdApp = {
  clientId: 'moneybird-emulator-client',
  clientSecret: 'moneybird-emulator-secret',
  redirectUris: [],
};

export interface MoneybirdEmulatorOptions extends EmulatorHttpOptions, WebhookOptions {
  apps?: MoneybirdApp[];
  /** `expires_in` of access tokens; unset = tokens do not expire (Moneybird today). */
  accessTokenTtlSeconds?: number;
  /** A refresh returns a new refresh token and kills the old one (default true). */
  rotateRefreshTokens?: boolean;
  /** Requests per grant per window (default 150 per 5 minutes, as Moneybird). */
  rateLimit?: { limit: number; windowMs: number };
}

export type LoggedRequest = LoggedRequestBase;

/** Who signs in on the next visits of the consent page (else the first person). */
export interface MoneybirdConsent {
  email: string;
  deny?: boolean;
}

export interface IssuedMoneybirdTokens {
  access_token: string;
  refresh_token: string;
  scope: string;
}

export class MoneybirdEmulator extends EmulatorHttp<LoggedRequest, ApiResponse> {
  readonly store: MoneybirdStore;
  readonly faults: FaultSchedule;
  readonly consents: MoneybirdConsent[] = [];
  /** Requests answered 429 by the rate limit (not by injected faults). */
  throttled = 0;
  readonly rateLimit: { limit: number; windowMs: number };
  private readonly api: MoneybirdApi;
  private readonly windows: SlidingWindows;
  private readonly dispatcher: NotificationDispatcher;
  /** Webhooks registered through the API, and their deliveries (`webhooks.log`). */
  readonly webhooks: MoneybirdWebhooks;

  constructor(readonly options: MoneybirdEmulatorOptions = {}) {
    super(options);
    const now = this.clock;
    this.store = new MoneybirdStore(now);
    this.faults = createMoneybirdFaultSchedule(now);
    this.dispatcher = new NotificationDispatcher(options, now);
    this.webhooks = new MoneybirdWebhooks(this.store, this.dispatcher);
    this.api = new MoneybirdApi(this.store, this.webhooks);
    this.rateLimit = options.rateLimit ?? { limit: RATE_LIMIT, windowMs: 5 * 60_000 };
    this.windows = new SlidingWindows(this.rateLimit.windowMs);
    for (const app of options.apps ?? [DEFAULT_MONEYBIRD_APP])
      this.store.apps.set(app.clientId, app);
  }

  override async stop(): Promise<void> {
    this.dispatcher.close();
    await super.stop();
  }

  /** Base of the API: `${url}/api/v2`. */
  get apiUrl(): string {
    return `${this.url}/api/v2`;
  }

  get authorizeUrl(): string {
    return `${this.url}/oauth/authorize`;
  }

  get tokenUrl(): string {
    return `${this.url}/oauth/token`;
  }
  /** The settings that point a danwel process at this emulator (its .env lines). */
  danwelEnv(): Record<string, string> {
    return {
      MONEYBIRD_CLIENT_ID: this.app.clientId,
      MONEYBIRD_CLIENT_SECRET: this.app.clientSecret,
      MONEYBIRD_AUTHORIZE_URL: this.authorizeUrl,
      MONEYBIRD_TOKEN_URL: this.tokenUrl,
      MONEYBIRD_REVOKE_URL: `${this.url}/oauth/revoke`,
      MONEYBIRD_API_BASE_URL: this.apiUrl,
    };
  }

  get app(): MoneybirdApp {
    return this.store.apps.values().next().value!;
  }

  // ---- setup ------------------------------------------------------------------------------

  /** A person who can sign in; added to an administration with `members`. */
  addPerson(email: string, name = email.split('@')[0]): void {
    this.store.people.set(email.toLowerCase(), name);
  }

  addAdministration(input: {
    name: string;
    /** People (e-mails) with access; each becomes a user of the administration. */
    members?: string[];
    timeZone?: string;
    currency?: string;
  }): Administration {
    const administration: Administration = {
      id: this.store.id(),
      name: input.name,
      currency: input.currency ?? 'EUR',
      country: 'NL',
      language: 'nl',
      timeZone: input.timeZone ?? 'Europe/Amsterdam',
      periodLockedUntil: null,
      members: new Set(),
      users: new Map(),
      contacts: new Map(),
      projects: new Map(),
      timeEntries: new Map(),
    };
    this.store.administrations.set(administration.id, administration);
    for (const email of input.members ?? []) this.addUser(administration.id, { email });
    return administration;
  }

  /** A Moneybird user of the administration (signs in as well when `member`, the default). */
  addUser(
    administrationId: string,
    input: { email: string; name?: string; userType?: string; member?: boolean },
  ): MoneybirdUser {
    const administration = this.store.administration(administrationId);
    const email = input.email.toLowerCase();
    const name = input.name ?? this.store.people.get(email) ?? email.split('@')[0];
    if (input.member ?? true) {
      this.addPerson(email, name);
      administration.members.add(email);
    }
    const user: MoneybirdUser = {
      id: this.store.id(),
      name,
      email,
      userType: input.userType ?? (administration.users.size === 0 ? 'owner' : 'employee'),
      createdAt: this.store.timestamp(),
      updatedAt: this.store.timestamp(),
    };
    administration.users.set(user.id, user);
    return user;
  }

  addContact(
    administrationId: string,
    input: Partial<Pick<MoneybirdContact, 'companyName' | 'firstname' | 'lastname' | 'email'>>,
  ): MoneybirdContact {
    const administration = this.store.administration(administrationId);
    const contact: MoneybirdContact = {
      id: this.store.id(),
      companyName: input.companyName ?? '',
      firstname: input.firstname ?? '',
      lastname: input.lastname ?? '',
      email: input.email ?? '',
      customerId: String(administration.contacts.size + 1),
      archived: false,
      version: this.store.version(),
      createdAt: this.store.timestamp(),
      updatedAt: this.store.timestamp(),
    };
    administration.contacts.set(contact.id, contact);
    this.webhooks.emit(administration, 'contact_created', 'Contact', {
      ...renderContact(administration, contact),
      id: contact.id,
    });
    return contact;
  }

  /** An edit in Moneybird: new `version`, seen by contact synchronization. */
  editContact(
    administrationId: string,
    contactId: string,
    patch: Partial<
      Pick<MoneybirdContact, 'companyName' | 'firstname' | 'lastname' | 'email' | 'archived'>
    >,
  ): MoneybirdContact {
    const contact = this.contact(administrationId, contactId);
    Object.assign(contact, patch, {
      version: this.store.version(),
      updatedAt: this.store.timestamp(),
    });
    const administration = this.store.administration(administrationId);
    this.webhooks.emit(administration, 'contact_changed', 'Contact', {
      ...renderContact(administration, contact),
      id: contact.id,
    });
    return contact;
  }

  contact(administrationId: string, contactId: string): MoneybirdContact {
    const contact = this.store.administration(administrationId).contacts.get(contactId);
    if (!contact) throw new Error(`no contact ${contactId}`);
    return contact;
  }

  deleteContact(administrationId: string, contactId: string): void {
    this.store.administration(administrationId).contacts.delete(contactId);
  }

  addProject(
    administrationId: string,
    input: { name: string; state?: MoneybirdProject['state']; budget?: number },
  ): MoneybirdProject {
    const project: MoneybirdProject = {
      id: this.store.id(),
      name: input.name,
      state: input.state ?? 'active',
      budget: input.budget ?? null,
    };
    this.store.administration(administrationId).projects.set(project.id, project);
    return project;
  }

  editProject(
    administrationId: string,
    projectId: string,
    patch: Partial<Pick<MoneybirdProject, 'name' | 'state' | 'budget'>>,
  ): MoneybirdProject {
    const project = this.store.administration(administrationId).projects.get(projectId);
    if (!project) throw new Error(`no project ${projectId}`);
    return Object.assign(project, patch);
  }

  /** Entries starting on or before `date` (YYYY-MM-DD, local) cannot change; null unlocks. */
  lockPeriod(administrationId: string, date: string | null): void {
    this.store.administration(administrationId).periodLockedUntil = date;
  }

  // ---- inspection and "as a Moneybird user" ------------------------------------------------

  /** The administration's time entries as the API renders them, oldest first. */
  timeEntries(administrationId: string) {
    const administration = this.store.administration(administrationId);
    return [...administration.timeEntries.values()]
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id))
      .map((e) => this.api.renderTimeEntry(administration, e));
  }

  timeEntry(administrationId: string, id: string) {
    const administration = this.store.administration(administrationId);
    const entry = administration.timeEntries.get(id);
    return entry && this.api.renderTimeEntry(administration, entry);
  }

  /** Someone working in Moneybird itself: creates, edits (even invoiced ones), deletes, invoices. */
  asUser(administrationId: string) {
    const administration = this.store.administration(administrationId);
    const entry = (id: string): MoneybirdTimeEntry => {
      const found = administration.timeEntries.get(id);
      if (!found) throw new Error(`no time entry ${id}`);
      return found;
    };
    const attempt = <T>(fn: () => T): T => {
      try {
        return fn();
      } catch (error) {
        if (error instanceof MoneybirdError) {
          throw new Error(`Moneybird refused: ${JSON.stringify(error.response.body)}`);
        }
        throw error;
      }
    };
    return {
      create: (input: TimeEntryInput) =>
        this.api.renderTimeEntry(
          administration,
          attempt(() => this.api.createTimeEntry(administration, input)),
        ),
      edit: (id: string, input: TimeEntryInput) => {
        attempt(() => this.api.updateTimeEntry(administration, entry(id), input, { asUser: true }));
        return this.api.renderTimeEntry(administration, entry(id));
      },
      delete: (id: string) => this.api.deleteTimeEntry(administration, entry(id), { asUser: true }),
      /** A sales invoice for these entries: `sales_invoice_id` set on each; answers its id. */
      invoice: (ids: string[]): string => {
        const invoiceId = this.store.id();
        for (const id of ids) {
          const e = entry(id);
          e.salesInvoiceId = invoiceId;
          e.updatedAt = this.store.timestamp();
          e.events.push({ action: 'time_entry_sales_invoice_created', created_at: e.updatedAt });
          this.api.notify(administration, 'time_entry_sales_invoice_created', e);
        }
        return invoiceId;
      },
    };
  }

  // ---- OAuth shortcuts --------------------------------------------------------------------

  /** Tokens without the consent page. */
  issueTokens(input: {
    email: string;
    scopes?: string[];
    clientId?: string;
  }): IssuedMoneybirdTokens {
    const grant = this.createGrant(
      input.email.toLowerCase(),
      input.clientId ?? this.app.clientId,
      input.scopes ?? ['time_entries', 'settings', 'sales_invoices'],
    );
    const access = this.issueAccessToken(grant);
    return {
      access_token: access,
      refresh_token: grant.refreshToken,
      scope: grant.scopes.join(' '),
    };
  }

  /** The person revokes the app in Moneybird: tokens and refresh tokens die. */
  revokeAccess(email: string): void {
    for (const grant of this.store.grants.values()) {
      if (grant.email === email.toLowerCase()) grant.revoked = true;
    }
  }

  /** Every live access token (of one person, or all) answers 401 from now on. */
  expireAccessTokens(email?: string): void {
    for (const token of this.store.accessTokens.values()) {
      if (!email || token.grant.email === email.toLowerCase()) token.expiresMs = this.now() - 1;
    }
  }

  private createGrant(email: string, clientId: string, scopes: string[]): Grant {
    const grant: Grant = { email, clientId, scopes, refreshToken: randomToken(), revoked: false };
    this.store.grants.set(grant.refreshToken, grant);
    return grant;
  }

  private issueAccessToken(grant: Grant): string {
    const token = randomToken();
    const ttl = this.options.accessTokenTtlSeconds;
    this.store.accessTokens.set(token, {
      token,
      grant,
      expiresMs: ttl === undefined ? undefined : this.now() + ttl * 1000,
    });
    return token;
  }

  // ---- the HTTP pipeline ------------------------------------------------------------------

  protected failure(message: string): ApiResponse {
    return json(500, { error: message });
  }

  protected async route(
    method: string,
    url: URL,
    req: IncomingMessage,
    body: string,
    entry: LoggedRequest,
  ): Promise<Outcome<ApiResponse>> {
    const path = url.pathname;
    if (path === '/oauth/authorize' && method === 'GET') {
      entry.operation = 'oauth.authorize';
      return this.withFaults(
        { method, path, operation: entry.operation, batch: false },
        entry,
        'oauth',
        async () => respond(this.authorize(url.searchParams)),
      );
    }
    if (path === '/oauth/revoke' && method === 'POST') {
      entry.operation = 'oauth.revoke';
      const form = parseForm(body, req.headers['content-type']);
      return this.withFaults(
        { method, path, operation: entry.operation, batch: false },
        entry,
        'oauth',
        async () => respond(this.revoke(form, req.headers.authorization)),
        form,
      );
    }
    if (path === '/oauth/token' && method === 'POST') {
      entry.operation = 'oauth.token';
      const form = parseForm(body, req.headers['content-type']);
      const grantType = form.get('grant_type') ?? undefined;
      const user =
        this.store.grants.get(form.get('refresh_token') ?? '')?.email ??
        this.store.codes.get(form.get('code') ?? '')?.email;
      entry.user = user;
      return this.withFaults(
        { method, path, operation: entry.operation, batch: false, user, grantType },
        entry,
        'oauth',
        async () => respond(this.token(form, req.headers.authorization)),
        form,
      );
    }
    if (path.startsWith('/api/v2/')) {
      const segments = path
        .slice('/api/v2/'.length)
        .split('/')
        .map((s) => decodeURIComponent(s));
      const last = segments.length - 1;
      segments[last] = segments[last].replace(/\.json$/, '');
      const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
      const access = bearer ? this.store.accessTokens.get(bearer) : undefined;
      entry.operation = MoneybirdApi.operation(method, segments);
      entry.user = access?.grant.email;
      return this.withFaults(
        { method, path, operation: entry.operation, user: entry.user, batch: false },
        entry,
        'api',
        async () => {
          if (!access || access.grant.revoked) {
            return respond(symbolicError(401, 'Token is invalid', { token: 'invalid' }).response); // [U]
          }
          if (access.expiresMs !== undefined && access.expiresMs <= this.now()) {
            return respond(symbolicError(401, 'Token is expired', { token: 'expired' }).response); // [U]
          }
          const limited = this.countRequest(access.grant);
          if (limited) return respond(limited);
          let parsed: unknown;
          if (body.trim()) {
            try {
              parsed = JSON.parse(body);
            } catch {
              return respond(symbolicError(400, 'Request body is not valid JSON').response); // [U]
            }
          }
          try {
            return respond(
              this.api.handle({
                method,
                segments,
                query: url.searchParams,
                body: parsed,
                grant: access.grant,
                url,
              }),
            );
          } catch (error) {
            if (error instanceof MoneybirdError) return respond(error.response);
            throw error;
          }
        },
        undefined,
        bearer,
      );
    }
    return respond(json(404, { error: 'Not found' }));
  }

  /** The 150-per-5-minutes limit (sliding window, per grant); undefined when under it. */
  private countRequest(grant: Grant): ApiResponse | undefined {
    const now = this.now();
    const key = `${grant.clientId}|${grant.email}`;
    const seen = this.windows.recent(key, now);
    if (seen.length >= this.rateLimit.limit) {
      this.throttled++;
      const reset = Math.ceil((seen[0] + this.rateLimit.windowMs) / 1000);
      return json(429, 'Retry later', rateLimitHeaders(reset, 0));
    }
    seen.push(now);
    return undefined;
  }

  private async withFaults(
    facts: RequestFacts,
    entry: LoggedRequest,
    dialect: 'api' | 'oauth',
    process: () => Promise<Outcome<ApiResponse>>,
    form?: URLSearchParams,
    bearer?: string,
  ): Promise<Outcome<ApiResponse>> {
    return this.withFault(facts, entry, {
      process,
      render: (answer) => respond(renderMoneybirdFault(answer, this.now(), dialect)),
      expireToken: () => {
        const access = bearer ? this.store.accessTokens.get(bearer) : undefined;
        if (access) access.expiresMs = this.now() - 1;
        return respond(symbolicError(401, 'Token is expired', { token: 'expired' }).response);
      },
      invalidGrant: (grant) => {
        const refresh = form?.get('refresh_token');
        if (grant.revoke && refresh) {
          const found = this.store.grants.get(refresh);
          if (found) found.revoked = true;
        }
        return respond(
          oauthError(400, 'invalid_grant', grant.description ?? INVALID_GRANT_DESCRIPTION),
        );
      },
    });
  }

  // ---- OAuth ------------------------------------------------------------------------------

  private authorize(params: URLSearchParams): ApiResponse {
    const app = this.store.apps.get(params.get('client_id') ?? '');
    const redirectUri = params.get('redirect_uri') ?? '';
    if (!app) return page(401, 'Client authentication failed due to unknown client.');
    if (!redirectUri || (app.redirectUris.length > 0 && !app.redirectUris.includes(redirectUri))) {
      return page(400, 'The redirect uri included is not valid.');
    }
    const back = (values: Record<string, string>): ApiResponse => {
      const to = new URL(redirectUri);
      for (const [key, value] of Object.entries(values)) to.searchParams.set(key, value);
      const state = params.get('state');
      if (state !== null) to.searchParams.set('state', state);
      return { status: 302, headers: { Location: to.toString() } };
    };
    if (params.get('response_type') !== 'code') {
      return back({ error: 'unsupported_response_type' });
    }
    const requested = (params.get('scope') ?? 'sales_invoices').split(/[\s+]+/).filter(Boolean);
    if (requested.some((s) => !(MONEYBIRD_SCOPES as readonly string[]).includes(s))) {
      return back({ error: 'invalid_scope' });
    }
    const consent = this.consents.shift() ?? {
      email: this.store.people.keys().next().value ?? '',
    };
    if (consent.deny || !consent.email) return back({ error: 'access_denied' });
    const code = randomToken(24);
    this.store.codes.set(code, {
      code,
      email: consent.email.toLowerCase(),
      clientId: app.clientId,
      redirectUri,
      scopes: requested,
      expiresMs: this.now() + 10 * 60_000,
    });
    return back({ code });
  }

  /** The app a token or revoke request authenticates as (secret in the body or HTTP Basic). */
  private client(form: URLSearchParams, authorization: string | undefined): MoneybirdApp | null {
    let clientId = form.get('client_id');
    let clientSecret = form.get('client_secret');
    const basic = /^Basic\s+(\S+)$/i.exec(authorization ?? '');
    if (basic) {
      const [id, secret] = Buffer.from(basic[1], 'base64').toString('utf8').split(':');
      clientId = decodeURIComponent(id ?? '');
      clientSecret = decodeURIComponent(secret ?? '');
    }
    const app = this.store.apps.get(clientId ?? '');
    return app && app.clientSecret === clientSecret ? app : null;
  }

  /**
   * Doorkeeper's RFC 7009 revocation [U]: an access or refresh token of this app ends its grant
   * (every token of it); an unknown token is answered 200 all the same.
   */
  private revoke(form: URLSearchParams, authorization: string | undefined): ApiResponse {
    const app = this.client(form, authorization);
    if (!app) return invalidClient();
    const token = form.get('token') ?? '';
    const grant = this.store.grants.get(token) ?? this.store.accessTokens.get(token)?.grant;
    if (grant && grant.clientId === app.clientId) grant.revoked = true;
    return json(200, {});
  }

  private token(form: URLSearchParams, authorization: string | undefined): ApiResponse {
    const app = this.client(form, authorization);
    if (!app) return invalidClient();
    const invalidGrant = () => oauthError(400, 'invalid_grant', INVALID_GRANT_DESCRIPTION);
    let grant: Grant;
    switch (form.get('grant_type')) {
      case 'authorization_code': {
        const code = this.store.codes.get(form.get('code') ?? '');
        if (code) this.store.codes.delete(code.code);
        if (
          !code ||
          code.clientId !== app.clientId ||
          code.expiresMs <= this.now() ||
          code.redirectUri !== form.get('redirect_uri')
        ) {
          return invalidGrant();
        }
        grant = this.createGrant(code.email, app.clientId, code.scopes);
        break;
      }
      case 'refresh_token': {
        const found = this.store.grants.get(form.get('refresh_token') ?? '');
        if (!found || found.revoked || found.clientId !== app.clientId) return invalidGrant();
        grant = found;
        if (this.options.rotateRefreshTokens ?? true) {
          this.store.grants.delete(found.refreshToken);
          for (const token of this.store.accessTokens.values()) {
            if (token.grant === found) this.store.accessTokens.delete(token.token);
          }
          grant = this.createGrant(found.email, found.clientId, found.scopes);
        }
        break;
      }
      default:
        return oauthError(
          400,
          'unsupported_grant_type',
          'The authorization grant type is not supported by the authorization server.',
        );
    }
    const ttl = this.options.accessTokenTtlSeconds;
    return json(
      200,
      {
        access_token: this.issueAccessToken(grant),
        token_type: 'Bearer',
        ...(ttl === undefined ? {} : { expires_in: ttl }),
        refresh_token: grant.refreshToken,
        scope: grant.scopes.join(' '),
        created_at: Math.floor(this.now() / 1000),
      },
      { 'Cache-Control': 'no-store' },
    );
  }
}

export async function startMoneybirdEmulator(
  options: MoneybirdEmulatorOptions = {},
): Promise<MoneybirdEmulator> {
  return new MoneybirdEmulator(options).start();
}

function parseForm(body: string, contentType: string | undefined): URLSearchParams {
  if (contentType?.includes('application/json')) {
    try {
      const parsed = JSON.parse(body) as Record<string, unknown>;
      return new URLSearchParams(
        Object.entries(parsed).map(([key, value]) => [key, String(value)] as [string, string]),
      );
    } catch {
      return new URLSearchParams();
    }
  }
  return new URLSearchParams(body);
}

function invalidClient(): ApiResponse {
  return oauthError(
    401,
    'invalid_client',
    'Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.',
  );
}

function page(status: number, message: string): ApiResponse {
  return {
    status,
    headers: { 'Content-Type': 'text/html; charset=utf-8' },
    body: `<!doctype html><title>Moneybird</title><h1>${message}</h1>`,
  };
}
