/**
 * A stateful Xero emulator (identity server, `/connections`, the Projects API and the Accounting
 * API's contacts) on node:http, started in-process:
 *
 *   const xero = await startXeroEmulator();
 *   const org = xero.addTenant({ name: 'Acme Ltd', members: ['ann@acme.test'] });
 *   xero.projectsUrl; // http://127.0.0.1:PORT/projects.xro/2.0
 *   await xero.stop();
 *
 * Every request passes the fault schedule (`xero.faults`) first, then the token, the
 * `Xero-Tenant-Id` header, the tenant's rate limits (5 at once, 60 a minute, 5,000 a day), then
 * the handler. See README.md.
 */
import { createHash } from 'node:crypto';
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
import { ApiRequest, renderEntry, TimeEntryInput, XeroApi } from './api';
import {
  ApiResponse,
  authenticationUnsuccessful,
  Dialect,
  json,
  oauthError,
  problem,
  tokenExpired,
  XeroError,
} from './errors';
import { createXeroFaultSchedule, RATE_LIMITS, RateLimitProblem, renderXeroFault } from './faults';
import {
  ChargeType,
  ContactStatus,
  Grant,
  ProjectStatus,
  randomToken,
  Tenant,
  uuid,
  XERO_SCOPES,
  XeroApp,
  XeroContact,
  XeroProject,
  XeroProjectUser,
  XeroStore,
  XeroTask,
  XeroTimeEntry,
} from './state';
import { XERO_WEBHOOK_TIMEOUT_MS, XeroWebhooks } from './webhooks';

export const DEFAULT_XERO_APP: XeroApp = {
  clientId: 'xero-emulator-client',
  clientSecret: 'xero-emulator-secret',
  redirectUris: [],
};

/** Access tokens live 30 minutes, as Xero's. */
export const ACCESS_TOKEN_TTL_SECONDS = 30 * 60;

export interface XeroEmulatorOptions extends EmulatorHttpOptions, WebhookOptions {
  apps?: XeroApp[];
  /** Per-tenant limits (default Xero's: 60 a minute, 5,000 a day, 5 at once). */
  limits?: Partial<typeof RATE_LIMITS>;
}

export interface LoggedRequest extends LoggedRequestBase {
  tenantId?: string;
  idempotencyKey?: string;
  ifModifiedSince?: string;
}

/** Who signs in on the next visit of the consent page, and which organisations they connect. */
export interface XeroConsent {
  email: string;
  /** Tenant ids to connect (default: every organisation the person belongs to). */
  tenantIds?: string[];
  deny?: boolean;
}

export interface IssuedXeroTokens {
  access_token: string;
  refresh_token: string;
  id_token: string;
  expires_in: number;
  token_type: 'Bearer';
  scope: string;
}

const API_BASES: Array<[prefix: string, api: ApiRequest['api']]> = [
  ['/projects.xro/2.0/', 'projects'],
  ['/api.xro/2.0/', 'accounting'],
];

export class XeroEmulator extends EmulatorHttp<LoggedRequest, ApiResponse> {
  readonly store: XeroStore;
  readonly faults: FaultSchedule;
  readonly consents: XeroConsent[] = [];
  /** Requests answered 429 by the rate limits (not by injected faults), by problem. */
  readonly throttled: Record<RateLimitProblem, number> = {
    minute: 0,
    day: 0,
    concurrent: 0,
    appminute: 0,
  };
  readonly limits: typeof RATE_LIMITS;
  private readonly api: XeroApi;
  private readonly minuteWindows = new SlidingWindows(60_000);
  private readonly dayWindows = new SlidingWindows(86_400_000);
  /** One window for the whole app (key ''). */
  private readonly appWindow = new SlidingWindows(60_000);
  private readonly inFlight = new Map<string, number>();
  private readonly dispatcher: NotificationDispatcher;
  /** The app's webhook: `webhooks.configure(url)` answers its key; invoices and contacts notify. */
  readonly webhooks: XeroWebhooks;

  constructor(readonly options: XeroEmulatorOptions = {}) {
    super(options);
    const now = this.clock;
    this.dispatcher = new NotificationDispatcher(
      { notificationTimeoutMs: XERO_WEBHOOK_TIMEOUT_MS, ...options },
      now,
    );
    this.webhooks = new XeroWebhooks(this.dispatcher, now);
    this.store = new XeroStore(now);
    this.faults = createXeroFaultSchedule(now);
    this.api = new XeroApi(this.store);
    this.limits = { ...RATE_LIMITS, ...options.limits };
    for (const app of options.apps ?? [DEFAULT_XERO_APP]) this.store.apps.set(app.clientId, app);
  }

  override async stop(): Promise<void> {
    this.dispatcher.close();
    await super.stop();
  }

  get authorizeUrl(): string {
    return `${this.url}/identity/connect/authorize`;
  }

  get tokenUrl(): string {
    return `${this.url}/connect/token`;
  }

  get revokeUrl(): string {
    return `${this.url}/connect/revocation`;
  }

  get connectionsUrl(): string {
    return `${this.url}/connections`;
  }

  /** The Accounting API's base. */
  get apiUrl(): string {
    return `${this.url}/api.xro/2.0`;
  }

  get projectsUrl(): string {
    return `${this.url}/projects.xro/2.0`;
  }
  /** The settings that point a danwel process at this emulator (its .env lines). */
  danwelEnv(): Record<string, string> {
    return {
      XERO_CLIENT_ID: this.app.clientId,
      XERO_CLIENT_SECRET: this.app.clientSecret,
      XERO_AUTHORIZE_URL: this.authorizeUrl,
      XERO_TOKEN_URL: this.tokenUrl,
      XERO_REVOKE_URL: this.revokeUrl,
      XERO_CONNECTIONS_URL: this.connectionsUrl,
      XERO_API_BASE_URL: this.apiUrl,
      XERO_PROJECTS_BASE_URL: this.projectsUrl,
    };
  }

  get app(): XeroApp {
    return this.store.apps.values().next().value!;
  }

  // ---- setup ----------------------------------------------------------------------------------

  addPerson(email: string, name = email.split('@')[0]): void {
    this.store.people.set(email.toLowerCase(), name);
  }

  /** An organisation; each member can sign in and connect it, and is a project user. */
  addTenant(input: { name: string; members?: string[]; type?: Tenant['tenantType'] }): Tenant {
    const tenant: Tenant = {
      tenantId: uuid(),
      tenantName: input.name,
      tenantType: input.type ?? 'ORGANISATION',
      createdDateUtc: this.store.timestamp(),
      members: new Set(),
      contacts: new Map(),
      projects: new Map(),
      tasks: new Map(),
      users: new Map(),
      timeEntries: new Map(),
      idempotency: new Map(),
    };
    this.store.tenants.set(tenant.tenantId, tenant);
    for (const email of input.members ?? []) this.addUser(tenant.tenantId, { email });
    return tenant;
  }

  /** A project user (`/ProjectsUsers`); with `member` (default) the person can sign in too. */
  addUser(
    tenantId: string,
    input: { email: string; name?: string; member?: boolean },
  ): XeroProjectUser {
    const tenant = this.store.tenant(tenantId);
    const email = input.email.toLowerCase();
    const name = input.name ?? this.store.people.get(email) ?? email.split('@')[0];
    if (input.member ?? true) {
      this.addPerson(email, name);
      tenant.members.add(email);
    }
    const user: XeroProjectUser = { userId: uuid(), name, email };
    tenant.users.set(user.userId, user);
    return user;
  }

  addContact(
    tenantId: string,
    input: { name: string; emailAddress?: string; status?: ContactStatus },
  ): XeroContact {
    const contact: XeroContact = {
      contactId: uuid(),
      name: input.name,
      emailAddress: input.emailAddress ?? '',
      status: input.status ?? 'ACTIVE',
      isCustomer: true,
      isSupplier: false,
      updatedMs: this.changeTime(),
    };
    this.store.tenant(tenantId).contacts.set(contact.contactId, contact);
    this.contactEvent(tenantId, contact, 'CREATE');
    return contact;
  }

  /** An edit in Xero (archive with `status: 'ARCHIVED'`): `UpdatedDateUTC` moves. */
  editContact(
    tenantId: string,
    contactId: string,
    patch: Partial<Pick<XeroContact, 'name' | 'emailAddress' | 'status'>>,
  ): XeroContact {
    const contact = this.store.tenant(tenantId).contacts.get(contactId);
    if (!contact) throw new Error(`no contact ${contactId}`);
    Object.assign(contact, patch, { updatedMs: this.changeTime() });
    this.contactEvent(tenantId, contact, 'UPDATE');
    return contact;
  }

  private contactEvent(tenantId: string, contact: XeroContact, type: 'CREATE' | 'UPDATE'): void {
    if (!this.webhooks.configured) return;
    this.webhooks.event(this.store.tenant(tenantId), 'CONTACT', type, {
      id: contact.contactId,
      url: `${this.apiUrl}/Contacts/${contact.contactId}`,
    });
  }

  addProject(
    tenantId: string,
    input: { name: string; contactId: string; status?: ProjectStatus; currencyCode?: string },
  ): XeroProject {
    const project: XeroProject = {
      projectId: uuid(),
      contactId: input.contactId,
      name: input.name,
      status: input.status ?? 'INPROGRESS',
      currencyCode: input.currencyCode ?? 'NZD',
      deadlineUtc: null,
    };
    this.store.tenant(tenantId).projects.set(project.projectId, project);
    return project;
  }

  /** Closing a project is Xero's archive (`status: 'CLOSED'`). */
  editProject(
    tenantId: string,
    projectId: string,
    patch: Partial<Pick<XeroProject, 'name' | 'status' | 'contactId'>>,
  ): XeroProject {
    const project = this.store.tenant(tenantId).projects.get(projectId);
    if (!project) throw new Error(`no project ${projectId}`);
    return Object.assign(project, patch);
  }

  addTask(
    tenantId: string,
    projectId: string,
    input: { name: string; chargeType?: ChargeType; rate?: number },
  ): XeroTask {
    const tenant = this.store.tenant(tenantId);
    const project = tenant.projects.get(projectId);
    if (!project) throw new Error(`no project ${projectId}`);
    const task: XeroTask = {
      taskId: uuid(),
      projectId,
      name: input.name,
      rate: { currency: project.currencyCode, value: input.rate ?? 100 },
      chargeType: input.chargeType ?? 'TIME',
      status: 'ACTIVE',
    };
    tenant.tasks.set(task.taskId, task);
    return task;
  }

  // ---- inspection and "as a Xero user" ----------------------------------------------------------

  /** The tenant's time entries as the API renders them, oldest first. */
  timeEntries(tenantId: string) {
    return [...this.store.tenant(tenantId).timeEntries.values()]
      .sort((a, b) => a.dateEnteredUtc.localeCompare(b.dateEnteredUtc))
      .map(renderEntry);
  }

  timeEntry(tenantId: string, id: string) {
    const entry = this.store.tenant(tenantId).timeEntries.get(id);
    return entry && renderEntry(entry);
  }

  /** The invoice an entry is on, which the API shows only through `?invoiceId=`. */
  invoiceOf(tenantId: string, id: string): string | null {
    return this.store.tenant(tenantId).timeEntries.get(id)?.invoiceId ?? null;
  }

  /** Someone working in Xero itself: creates, edits and deletes (any status), locks, invoices. */
  asUser(tenantId: string) {
    const tenant = this.store.tenant(tenantId);
    const entry = (id: string): XeroTimeEntry => {
      const found = tenant.timeEntries.get(id);
      if (!found) throw new Error(`no time entry ${id}`);
      return found;
    };
    const attempt = <T>(fn: () => T): T => {
      try {
        return fn();
      } catch (error) {
        if (error instanceof XeroError) {
          throw new Error(`Xero refused: ${JSON.stringify(error.response.body)}`);
        }
        throw error;
      }
    };
    return {
      create: (projectId: string, input: TimeEntryInput) => {
        const project = tenant.projects.get(projectId);
        if (!project) throw new Error(`no project ${projectId}`);
        return renderEntry(attempt(() => this.api.createTimeEntry(tenant, project, input)));
      },
      /** Changes some fields (the rest stay as they are). */
      edit: (id: string, patch: TimeEntryInput) => {
        const current = renderEntry(entry(id));
        attempt(() =>
          this.api.updateTimeEntry(tenant, entry(id), { ...current, ...patch }, { asUser: true }),
        );
        return renderEntry(entry(id));
      },
      delete: (id: string) => this.api.deleteTimeEntry(tenant, entry(id), { asUser: true }),
      /** LOCKED: on its way onto an invoice; the API refuses changes. */
      lock: (id: string) => {
        entry(id).status = 'LOCKED';
      },
      /** A (draft) invoice for these entries: INVOICED; answers the invoice's id. */
      invoice: (ids: string[]): string => {
        const invoiceId = uuid();
        for (const id of ids) Object.assign(entry(id), { status: 'INVOICED', invoiceId });
        // The invoice notifies the app's webhook (the time entries themselves send no events).
        if (this.webhooks.configured) {
          this.webhooks.event(tenant, 'INVOICE', 'CREATE', {
            id: invoiceId,
            url: `${this.apiUrl}/Invoices/${invoiceId}`,
          });
        }
        return invoiceId;
      },
    };
  }

  // ---- OAuth shortcuts ------------------------------------------------------------------------

  /** Tokens without the consent page, connected to `tenantIds` (default: the person's tenants). */
  issueTokens(input: { email: string; tenantIds?: string[]; scopes?: string[] }): IssuedXeroTokens {
    const email = input.email.toLowerCase();
    const grant = this.createGrant(
      email,
      this.app.clientId,
      input.scopes ?? ['openid', 'email', 'offline_access', 'projects', 'accounting.contacts'],
      input.tenantIds ?? this.store.tenantsOf(email).map((t) => t.tenantId),
    );
    return this.tokenAnswer(grant);
  }

  /** The person disconnects the app in Xero: tokens and refresh tokens die. */
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

  /** Strictly increasing change times, so that `If-Modified-Since` sees every edit. */
  private lastChange = 0;
  private changeTime(): number {
    this.lastChange = Math.max(this.lastChange + 1, this.now());
    return this.lastChange;
  }

  private createGrant(
    email: string,
    clientId: string,
    scopes: string[],
    tenantIds: string[],
  ): Grant {
    const authEventId = uuid();
    const at = this.store.timestamp();
    const grant: Grant = {
      email,
      clientId,
      scopes,
      refreshToken: randomToken(),
      revoked: false,
      connections: tenantIds.map((tenantId) => ({
        id: uuid(),
        tenantId,
        authEventId,
        createdDateUtc: at,
        updatedDateUtc: at,
      })),
    };
    this.store.grants.set(grant.refreshToken, grant);
    return grant;
  }

  private tokenAnswer(grant: Grant): IssuedXeroTokens {
    const token = randomToken();
    this.store.accessTokens.set(token, {
      token,
      grant,
      expiresMs: this.now() + ACCESS_TOKEN_TTL_SECONDS * 1000,
    });
    return {
      id_token: idToken(grant.email, this.store.people.get(grant.email) ?? grant.email, this.now()),
      access_token: token,
      expires_in: ACCESS_TOKEN_TTL_SECONDS,
      token_type: 'Bearer',
      refresh_token: grant.refreshToken,
      scope: grant.scopes.join(' '),
    };
  }

  // ---- the HTTP pipeline ----------------------------------------------------------------------

  protected failure(message: string): ApiResponse {
    return json(500, { message });
  }

  protected async route(
    method: string,
    url: URL,
    req: IncomingMessage,
    body: string,
    entry: LoggedRequest,
  ): Promise<Outcome<ApiResponse>> {
    const path = url.pathname;
    if (path === '/identity/connect/authorize' && method === 'GET') {
      entry.operation = 'oauth.authorize';
      return this.withFaults(
        { method, path, operation: entry.operation, batch: false },
        entry,
        'oauth',
        async () => respond(this.authorize(url.searchParams)),
      );
    }
    if ((path === '/connect/token' || path === '/connect/revocation') && method === 'POST') {
      const form = new URLSearchParams(body);
      const revocation = path === '/connect/revocation';
      entry.operation = revocation ? 'oauth.revoke' : 'oauth.token';
      const grantType = form.get('grant_type') ?? undefined;
      const user =
        this.store.grants.get(form.get('refresh_token') ?? form.get('token') ?? '')?.email ??
        this.store.codes.get(form.get('code') ?? '')?.email;
      entry.user = user;
      return this.withFaults(
        { method, path, operation: entry.operation, batch: false, user, grantType },
        entry,
        'oauth',
        async () =>
          respond(
            revocation
              ? this.revoke(form, req.headers.authorization)
              : this.token(form, req.headers.authorization),
          ),
        form,
      );
    }
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const access = bearer ? this.store.accessTokens.get(bearer) : undefined;
    entry.user = access?.grant.email;
    const authenticate = (): ApiResponse | undefined => {
      if (!access || access.grant.revoked) return authenticationUnsuccessful(401);
      if (access.expiresMs <= this.now()) return tokenExpired(access.expiresMs);
      return undefined;
    };
    if (path === '/connections' || path.startsWith('/connections/')) {
      entry.operation = method === 'DELETE' ? 'connections.delete' : 'connections.list';
      return this.withFaults(
        { method, path, operation: entry.operation, user: entry.user, batch: false },
        entry,
        'projects',
        async () => respond(authenticate() ?? this.connections(method, path, access!.grant)),
        undefined,
        bearer,
      );
    }
    const base = API_BASES.find(([prefix]) => path.startsWith(prefix));
    if (!base) return respond(json(404, { message: 'Not found' }));
    const [prefix, api] = base;
    const segments = path
      .slice(prefix.length)
      .split('/')
      .filter((s) => s !== '')
      .map((s) => decodeURIComponent(s));
    entry.operation = XeroApi.operation(api, method, segments);
    const tenantId = header(req, 'xero-tenant-id');
    const idempotencyKey = header(req, 'idempotency-key');
    entry.tenantId = tenantId;
    entry.idempotencyKey = idempotencyKey;
    entry.ifModifiedSince = header(req, 'if-modified-since');
    // A request counts against "5 at once" from its arrival to its answer, delays included.
    const slot = tenantId && this.store.tenants.has(tenantId) ? tenantId : undefined;
    if (slot) this.inFlight.set(slot, (this.inFlight.get(slot) ?? 0) + 1);
    try {
      return await this.withFaults(
        { method, path, operation: entry.operation, user: entry.user, batch: false },
        entry,
        api,
        async () => {
          const refused = authenticate();
          if (refused) return respond(refused);
          const grant = access!.grant;
          const tenant = tenantId ? this.store.tenants.get(tenantId) : undefined;
          if (!tenant || !grant.connections.some((c) => c.tenantId === tenant.tenantId)) {
            return respond(authenticationUnsuccessful(403));
          }
          const limited = this.countRequest(tenant.tenantId);
          if (limited) return respond(limited);
          const limitHeaders = this.remainingHeaders(tenant.tenantId);
          let parsed: unknown;
          if (body.trim()) {
            try {
              parsed = JSON.parse(body);
            } catch {
              return respond(badJson(api, limitHeaders));
            }
          }
          try {
            const response = this.api.handle({
              api,
              method,
              segments,
              query: url.searchParams,
              body: parsed,
              tenant,
              ifModifiedSince: header(req, 'if-modified-since'),
              idempotencyKey: method === 'DELETE' ? undefined : idempotencyKey,
            });
            return respond(withHeaders(response, limitHeaders));
          } catch (error) {
            if (error instanceof XeroError)
              return respond(withHeaders(error.response, limitHeaders));
            throw error;
          }
        },
        undefined,
        bearer,
      );
    } finally {
      if (slot) this.inFlight.set(slot, (this.inFlight.get(slot) ?? 1) - 1);
    }
  }

  /**
   * Per tenant: at most `concurrent` requests at once, `perMinute` in any 60 s and `perDay` in
   * any 24 h (sliding); per app `appPerMinute`. Refused requests are not counted.
   */
  private countRequest(tenantId: string): ApiResponse | undefined {
    const now = this.now();
    const minute = this.minuteWindows.recent(tenantId, now);
    const day = this.dayWindows.recent(tenantId, now);
    const app = this.appWindow.recent('', now);
    const refuse = (problemName: RateLimitProblem, retryAfterMs: number) => {
      this.throttled[problemName]++;
      return problem(429, 'Too Many Requests', `Rate limit exceeded: ${problemName}`, {
        'Retry-After': String(Math.max(1, Math.ceil(retryAfterMs / 1000))),
        'X-Rate-Limit-Problem': problemName,
        ...this.remainingHeaders(tenantId),
      }); // body [U]
    };
    if ((this.inFlight.get(tenantId) ?? 0) > this.limits.concurrent)
      return refuse('concurrent', 1000);
    if (day.length >= this.limits.perDay) return refuse('day', day[0] + 86_400_000 - now);
    if (minute.length >= this.limits.perMinute) return refuse('minute', minute[0] + 60_000 - now);
    if (app.length >= this.limits.appPerMinute) {
      return refuse('appminute', app[0] + 60_000 - now);
    }
    minute.push(now);
    day.push(now);
    app.push(now);
    return undefined;
  }

  private remainingHeaders(tenantId: string): Record<string, string> {
    return {
      'X-DayLimit-Remaining': String(
        Math.max(0, this.limits.perDay - this.dayWindows.size(tenantId)),
      ),
      'X-MinLimit-Remaining': String(
        Math.max(0, this.limits.perMinute - this.minuteWindows.size(tenantId)),
      ),
      'X-AppMinLimit-Remaining': String(
        Math.max(0, this.limits.appPerMinute - this.appWindow.size('')),
      ),
    };
  }

  private connections(method: string, path: string, grant: Grant): ApiResponse {
    if (method === 'GET' && path === '/connections') {
      return json(
        200,
        grant.connections.map((c) => {
          const tenant = this.store.tenants.get(c.tenantId);
          return {
            id: c.id,
            authEventId: c.authEventId,
            tenantId: c.tenantId,
            tenantType: tenant?.tenantType ?? 'ORGANISATION',
            tenantName: tenant?.tenantName ?? null,
            createdDateUtc: c.createdDateUtc,
            updatedDateUtc: c.updatedDateUtc,
          };
        }),
      );
    }
    const id = decodeURIComponent(path.slice('/connections/'.length));
    if (method === 'DELETE' && id) {
      const before = grant.connections.length;
      grant.connections = grant.connections.filter((c) => c.id !== id);
      return grant.connections.length < before
        ? { status: 204 }
        : problem(404, 'Not Found', 'Connection not found'); // [U]
    }
    return problem(405, 'Method Not Allowed', 'The method is not allowed.');
  }

  private async withFaults(
    facts: RequestFacts,
    entry: LoggedRequest,
    dialect: Dialect | 'oauth',
    process: () => Promise<Outcome<ApiResponse>>,
    form?: URLSearchParams,
    bearer?: string,
  ): Promise<Outcome<ApiResponse>> {
    return this.withFault(facts, entry, {
      process,
      render: (answer) => respond(renderXeroFault(answer, this.now(), dialect)),
      expireToken: () => {
        const access = bearer ? this.store.accessTokens.get(bearer) : undefined;
        if (access) access.expiresMs = this.now() - 1;
        return respond(tokenExpired(access?.expiresMs ?? this.now()));
      },
      invalidGrant: (grant) => {
        const refresh = form?.get('refresh_token');
        if (grant.revoke && refresh) {
          const found = this.store.grants.get(refresh);
          if (found) found.revoked = true;
        }
        return respond(oauthError(400, 'invalid_grant'));
      },
    });
  }

  // ---- identity server --------------------------------------------------------------------------

  private authorize(params: URLSearchParams): ApiResponse {
    const app = this.store.apps.get(params.get('client_id') ?? '');
    const redirectUri = params.get('redirect_uri') ?? '';
    if (!app) return page(400, 'unauthorized_client: Unknown client or client not enabled');
    if (!redirectUri || (app.redirectUris.length > 0 && !app.redirectUris.includes(redirectUri))) {
      return page(400, 'Invalid redirect_uri');
    }
    const back = (values: Record<string, string>): ApiResponse => {
      const to = new URL(redirectUri);
      for (const [key, value] of Object.entries(values)) to.searchParams.set(key, value);
      const state = params.get('state');
      if (state !== null) to.searchParams.set('state', state);
      return { status: 302, headers: { Location: to.toString() } };
    };
    if (params.get('response_type') !== 'code') return back({ error: 'unsupported_response_type' });
    const requested = (params.get('scope') ?? '').split(/[\s+]+/).filter(Boolean);
    if (
      requested.length === 0 ||
      requested.some((s) => !(XERO_SCOPES as readonly string[]).includes(s))
    ) {
      return back({ error: 'invalid_scope' });
    }
    const challenge = params.get('code_challenge');
    if (challenge !== null && params.get('code_challenge_method') !== 'S256') {
      return back({ error: 'invalid_request' });
    }
    const consent = this.consents.shift() ?? { email: this.store.people.keys().next().value ?? '' };
    if (consent.deny || !consent.email) return back({ error: 'access_denied' });
    const email = consent.email.toLowerCase();
    const code = randomToken(24);
    this.store.codes.set(code, {
      code,
      email,
      clientId: app.clientId,
      redirectUri,
      scopes: requested,
      tenantIds: consent.tenantIds ?? this.store.tenantsOf(email).map((t) => t.tenantId),
      codeChallenge: challenge,
      expiresMs: this.now() + 5 * 60_000,
    });
    return back({ code });
  }

  /** The app's credentials: HTTP Basic (Xero's way) or in the form. */
  private client(form: URLSearchParams, authorization: string | undefined): XeroApp | undefined {
    let clientId = form.get('client_id');
    let clientSecret = form.get('client_secret');
    const basic = /^Basic\s+(\S+)$/i.exec(authorization ?? '');
    if (basic) {
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      clientId = decodeURIComponent(decoded.slice(0, colon));
      clientSecret = decodeURIComponent(decoded.slice(colon + 1));
    }
    const app = this.store.apps.get(clientId ?? '');
    return app && app.clientSecret === clientSecret ? app : undefined;
  }

  private token(form: URLSearchParams, authorization: string | undefined): ApiResponse {
    const app = this.client(form, authorization);
    if (!app) return oauthError(400, 'invalid_client');
    let grant: Grant;
    switch (form.get('grant_type')) {
      case 'authorization_code': {
        const code = this.store.codes.get(form.get('code') ?? '');
        if (code) this.store.codes.delete(code.code);
        const verifier = form.get('code_verifier');
        if (
          !code ||
          code.clientId !== app.clientId ||
          code.expiresMs <= this.now() ||
          code.redirectUri !== form.get('redirect_uri') ||
          (code.codeChallenge !== null &&
            (!verifier ||
              createHash('sha256').update(verifier).digest('base64url') !== code.codeChallenge))
        ) {
          return oauthError(400, 'invalid_grant');
        }
        grant = this.createGrant(code.email, app.clientId, code.scopes, code.tenantIds);
        break;
      }
      case 'refresh_token': {
        // Refresh tokens rotate: the answer carries a new one and the old one dies at once.
        const found = this.store.grants.get(form.get('refresh_token') ?? '');
        if (!found || found.revoked || found.clientId !== app.clientId) {
          return oauthError(400, 'invalid_grant');
        }
        this.store.grants.delete(found.refreshToken);
        found.refreshToken = randomToken();
        this.store.grants.set(found.refreshToken, found);
        grant = found;
        break;
      }
      default:
        return oauthError(400, 'unsupported_grant_type');
    }
    return json(200, this.tokenAnswer(grant), { 'Cache-Control': 'no-store' });
  }

  /** RFC 7009: revoking the refresh token ends the grant, its access tokens and connections. */
  private revoke(form: URLSearchParams, authorization: string | undefined): ApiResponse {
    const app = this.client(form, authorization);
    if (!app) return oauthError(400, 'invalid_client');
    const grant = this.store.grants.get(form.get('token') ?? '');
    if (grant && grant.clientId === app.clientId) {
      grant.revoked = true;
      grant.connections = [];
    }
    return { status: 200 };
  }
}

export async function startXeroEmulator(options: XeroEmulatorOptions = {}): Promise<XeroEmulator> {
  return new XeroEmulator(options).start();
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function withHeaders(response: ApiResponse, headers: Record<string, string>): ApiResponse {
  return { ...response, headers: { ...headers, ...response.headers } };
}

function badJson(api: ApiRequest['api'], headers: Record<string, string>): ApiResponse {
  return api === 'projects'
    ? json(400, { message: 'The request body is not valid JSON.', modelState: {} }, headers)
    : json(
        400,
        { ErrorNumber: 14, Type: 'PostDataInvalidException', Message: 'Invalid JSON' },
        headers,
      ); // [U]
}

/** An unsigned OpenID Connect ID token with the person's e-mail (danwel reads its claims only). */
function idToken(email: string, name: string, nowMs: number): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const iat = Math.floor(nowMs / 1000);
  const [given, ...family] = name.split(' ');
  return [
    encode({ alg: 'none', typ: 'JWT' }),
    encode({
      iss: 'https://identity.xero.com',
      sub: createHash('sha256').update(email).digest('hex').slice(0, 32),
      xero_userid: createHash('md5').update(email).digest('hex'),
      email,
      given_name: given,
      family_name: family.join(' '),
      iat,
      exp: iat + 300,
    }),
    '',
  ].join('.');
}

function page(status: number, message: string): ApiResponse {
  return {
    status,
    headers: { 'Content-Type': 'text/html; charset=utf-8' },
    body: `<!doctype html><title>Xero</title><h1>${message}</h1>`,
  };
}
