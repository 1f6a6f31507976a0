/**
 * A stateful Harvest emulator (Harvest ID OAuth + API v2) on node:http, started in-process:
 *
 *   const hv = await startHarvestEmulator();
 *   const account = hv.addAccount({ name: 'Acme', members: ['ann@acme.test'] });
 *   hv.apiUrl; // http://127.0.0.1:PORT/v2 — Harvest ID at hv.authorizeUrl, hv.tokenUrl, hv.accountsUrl
 *   await hv.stop();
 *
 * Every request passes the fault schedule (`hv.faults`) first, then the User-Agent check,
 * authentication with `Harvest-Account-Id`, and the rate limit (100 requests per 15 seconds per
 * token), then the handler. See README.md.
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
import { SlidingWindows } from '../common/sliding-windows';
import { HarvestApi, TimeEntryInput } from './api';
import {
  ApiResponse,
  HarvestError,
  INVALID_GRANT_DESCRIPTION,
  invalidToken,
  json,
  oauthError,
} from './errors';
import { createHarvestFaultSchedule, RATE_LIMIT, renderHarvestFault } from './faults';
import {
  AccessToken,
  Grant,
  HarvestAccount,
  HarvestApp,
  HarvestClient,
  HarvestProject,
  HarvestStore,
  HarvestTask,
  HarvestTaskAssignment,
  HarvestTimeEntry,
  HarvestUser,
  randomToken,
} from './state';

export const DEFAULT_HARVEST_APP: HarvestApp = {
  clientId: 'harvest-emulator-client',
  clientSecret: 'harvest-emulator-secret',
  redirectUris: [],
};

/** Harvest's access tokens live 14 days (`expires_in` 1209600). */
const ACCESS_TOKEN_TTL_SECONDS = 14 * 24 * 3600;

export interface HarvestEmulatorOptions extends EmulatorHttpOptions {
  apps?: HarvestApp[];
  accessTokenTtlSeconds?: number;
  /** Requests per token per window (default 100 per 15 seconds, as Harvest). */
  rateLimit?: { limit: number; windowMs: number };
}

export interface LoggedRequest extends LoggedRequestBase {
  headers: { userAgent?: string; accountId?: string };
}

/** Who signs in on the next visits of the consent page (else the first person). */
export interface HarvestConsent {
  email: string;
  deny?: boolean;
}

export interface IssuedHarvestTokens {
  access_token: string;
  refresh_token: string;
  expires_in: number;
}

export class HarvestEmulator extends EmulatorHttp<LoggedRequest, ApiResponse> {
  readonly store: HarvestStore;
  readonly faults: FaultSchedule;
  readonly consents: HarvestConsent[] = [];
  /** Requests answered 429 by the rate limit (not by injected faults). */
  throttled = 0;
  readonly rateLimit: { limit: number; windowMs: number };
  private readonly api: HarvestApi;
  private readonly windows: SlidingWindows;

  constructor(readonly options: HarvestEmulatorOptions = {}) {
    super(options);
    const now = this.clock;
    this.store = new HarvestStore(now);
    this.faults = createHarvestFaultSchedule(now);
    this.api = new HarvestApi(this.store);
    this.rateLimit = options.rateLimit ?? RATE_LIMIT;
    this.windows = new SlidingWindows(this.rateLimit.windowMs);
    for (const app of options.apps ?? [DEFAULT_HARVEST_APP]) {
      this.store.apps.set(app.clientId, app);
    }
  }

  /** Base of the API (api.harvestapp.com/v2). */
  get apiUrl(): string {
    return `${this.url}/v2`;
  }

  /** Harvest ID (id.getharvest.com) endpoints. */
  get authorizeUrl(): string {
    return `${this.url}/oauth2/authorize`;
  }

  get tokenUrl(): string {
    return `${this.url}/api/v2/oauth2/token`;
  }

  get accountsUrl(): string {
    return `${this.url}/api/v2/accounts`;
  }
  /** The settings that point a danwel process at this emulator (its .env lines). */
  danwelEnv(): Record<string, string> {
    return {
      HARVEST_CLIENT_ID: this.app.clientId,
      HARVEST_CLIENT_SECRET: this.app.clientSecret,
      HARVEST_AUTHORIZE_URL: this.authorizeUrl,
      HARVEST_TOKEN_URL: this.tokenUrl,
      HARVEST_REVOKE_URL: this.tokenUrl,
      HARVEST_ACCOUNTS_URL: this.accountsUrl,
      HARVEST_API_BASE_URL: this.apiUrl,
    };
  }

  get app(): HarvestApp {
    return this.store.apps.values().next().value!;
  }

  // ---- setup ------------------------------------------------------------------------------

  /** A Harvest ID person who can sign in; added to accounts with `members` or `addUser`. */
  addPerson(email: string, firstName = email.split('@')[0], lastName = ''): void {
    const key = email.toLowerCase();
    if (!this.store.people.has(key)) {
      this.store.people.set(key, { id: this.store.id(), firstName, lastName });
    }
  }

  /** An account; in a `harvest` account each member is an (administrator) user as well. */
  addAccount(input: {
    name: string;
    product?: 'harvest' | 'forecast';
    members?: string[];
    /** Track time by start and end times rather than duration (`wants_timestamp_timers`). */
    timestampTimers?: boolean;
  }): HarvestAccount {
    const account: HarvestAccount = {
      id: this.store.id(),
      name: input.name,
      product: input.product ?? 'harvest',
      users: new Map(),
      clients: new Map(),
      projects: new Map(),
      tasks: new Map(),
      taskAssignments: new Map(),
      timeEntries: new Map(),
      members: new Set(),
      nextInvoiceNumber: 1,
      wantsTimestampTimers: input.timestampTimers ?? false,
    };
    this.store.accounts.set(account.id, account);
    for (const email of input.members ?? []) {
      if (account.product === 'harvest') this.addUser(account.id, { email, isAdmin: true });
      else {
        this.addPerson(email);
        account.members.add(email.toLowerCase());
      }
    }
    return account;
  }

  /** A user of the account (who signs in as well unless `member: false`). */
  addUser(
    accountId: number,
    input: {
      email: string;
      firstName?: string;
      lastName?: string;
      isAdmin?: boolean;
      isActive?: boolean;
      member?: boolean;
    },
  ): HarvestUser {
    const account = this.store.account(accountId);
    const email = input.email.toLowerCase();
    const person = this.store.people.get(email);
    const now = this.store.timestamp();
    const user: HarvestUser = {
      id: this.store.id(),
      firstName: input.firstName ?? person?.firstName ?? email.split('@')[0],
      lastName: input.lastName ?? person?.lastName ?? '',
      email: input.email,
      isActive: input.isActive ?? true,
      isAdmin: input.isAdmin ?? false,
      createdAt: now,
      updatedAt: now,
    };
    account.users.set(user.id, user);
    if (input.member ?? true) {
      this.addPerson(email, user.firstName, user.lastName);
      account.members.add(email);
    }
    return user;
  }

  addClient(accountId: number, input: { name: string; currency?: string }): HarvestClient {
    const now = this.store.timestamp();
    const client: HarvestClient = {
      id: this.store.id(),
      name: input.name,
      isActive: true,
      currency: input.currency ?? 'USD',
      createdAt: now,
      updatedAt: now,
    };
    this.store.account(accountId).clients.set(client.id, client);
    return client;
  }

  /** Archive with `isActive: false`; every edit moves `updated_at`. */
  editClient(accountId: number, id: number, changes: { name?: string; isActive?: boolean }): void {
    const client = this.store.account(accountId).clients.get(id);
    if (!client) throw new Error(`no Harvest client ${id}`);
    Object.assign(client, definedOnly(changes), { updatedAt: this.store.timestamp() });
  }

  addProject(
    accountId: number,
    input: { name: string; clientId: number; code?: string; isBillable?: boolean },
  ): HarvestProject {
    const account = this.store.account(accountId);
    if (!account.clients.has(input.clientId)) throw new Error(`no client ${input.clientId}`);
    const now = this.store.timestamp();
    const project: HarvestProject = {
      id: this.store.id(),
      clientId: input.clientId,
      name: input.name,
      code: input.code ?? null,
      isActive: true,
      isBillable: input.isBillable ?? true,
      createdAt: now,
      updatedAt: now,
    };
    account.projects.set(project.id, project);
    return project;
  }

  editProject(accountId: number, id: number, changes: { name?: string; isActive?: boolean }): void {
    const project = this.store.account(accountId).projects.get(id);
    if (!project) throw new Error(`no Harvest project ${id}`);
    Object.assign(project, definedOnly(changes), { updatedAt: this.store.timestamp() });
  }

  addTask(accountId: number, input: { name: string; billableByDefault?: boolean }): HarvestTask {
    const now = this.store.timestamp();
    const task: HarvestTask = {
      id: this.store.id(),
      name: input.name,
      billableByDefault: input.billableByDefault ?? true,
      isActive: true,
      createdAt: now,
      updatedAt: now,
    };
    this.store.account(accountId).tasks.set(task.id, task);
    return task;
  }

  /** Assigns a task to a project (billable as the task's default unless said). */
  assignTask(
    accountId: number,
    projectId: number,
    taskId: number,
    input: { billable?: boolean; isActive?: boolean } = {},
  ): HarvestTaskAssignment {
    const account = this.store.account(accountId);
    const task = account.tasks.get(taskId);
    if (!task || !account.projects.has(projectId)) throw new Error('no such project or task');
    const now = this.store.timestamp();
    const assignment: HarvestTaskAssignment = {
      id: this.store.id(),
      projectId,
      taskId,
      billable: input.billable ?? task.billableByDefault,
      isActive: input.isActive ?? true,
      createdAt: now,
      updatedAt: now,
    };
    account.taskAssignments.set(assignment.id, assignment);
    return assignment;
  }

  // ---- someone working in Harvest -----------------------------------------------------------

  timeEntries(accountId: number): HarvestTimeEntry[] {
    return [...this.store.account(accountId).timeEntries.values()];
  }

  timeEntry(accountId: number, id: number): HarvestTimeEntry | undefined {
    return this.store.account(accountId).timeEntries.get(id);
  }

  /** The entry as the API renders it. */
  renderTimeEntry(accountId: number, id: number) {
    const account = this.store.account(accountId);
    return this.api.renderTimeEntry(account, this.entry(account, id));
  }

  /** Locks an entry (an approved and locked period): the API refuses to change it. */
  lock(
    accountId: number,
    id: number,
    reason = 'Item Approved and Locked for this Time Period',
  ): void {
    const entry = this.entry(this.store.account(accountId), id);
    Object.assign(entry, {
      isLocked: true,
      isClosed: true,
      lockedReason: reason,
      updatedAt: this.store.timestamp(),
    });
  }

  /** An invoice for these entries: `is_billed`, `invoice {id, number}`, locked. Answers it. */
  invoice(accountId: number, ids: number[]): { id: number; number: string } {
    const account = this.store.account(accountId);
    const invoice = { id: this.store.id(), number: String(account.nextInvoiceNumber++) };
    for (const id of ids) {
      Object.assign(this.entry(account, id), {
        isBilled: true,
        invoice,
        isLocked: true,
        lockedReason: 'Item Invoiced and Locked for this Time Period',
        updatedAt: this.store.timestamp(),
      });
    }
    return invoice;
  }

  /** Someone working in Harvest (as the account's first administrator). */
  asUser(accountId: number) {
    const account = this.store.account(accountId);
    const admin = [...account.users.values()].find((u) => u.isAdmin);
    if (!admin) throw new Error('the account has no administrator');
    const attempt = <T>(action: () => T): T => {
      try {
        return action();
      } catch (error) {
        if (error instanceof HarvestError) {
          throw new Error(`Harvest refused: ${JSON.stringify(error.response.body)}`);
        }
        throw error;
      }
    };
    return {
      create: (input: TimeEntryInput) =>
        attempt(() => this.api.createTimeEntry(account, admin, input)),
      /** Edits even locked entries (an administrator unlocking, editing, locking again). */
      edit: (id: number, input: TimeEntryInput) =>
        attempt(() =>
          this.api.updateTimeEntry(account, this.entry(account, id), input, { asUser: true }),
        ),
      delete: (id: number) =>
        attempt(() => this.api.deleteTimeEntry(account, undefined, this.entry(account, id))),
    };
  }

  // ---- OAuth shortcuts --------------------------------------------------------------------

  /** Tokens without the consent page. */
  issueTokens(input: { email: string; clientId?: string }): IssuedHarvestTokens {
    const grant = this.createGrant(input.email.toLowerCase(), input.clientId ?? this.app.clientId);
    return {
      access_token: this.issueAccessToken(grant).token,
      refresh_token: grant.refreshToken,
      expires_in: this.ttlSeconds,
    };
  }

  /** The person revokes the app in Harvest ID: tokens and refresh tokens die. */
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

  private get ttlSeconds(): number {
    return this.options.accessTokenTtlSeconds ?? ACCESS_TOKEN_TTL_SECONDS;
  }

  private entry(account: HarvestAccount, id: number): HarvestTimeEntry {
    const entry = account.timeEntries.get(id);
    if (!entry) throw new Error(`no Harvest time entry ${id}`);
    return entry;
  }

  private createGrant(email: string, clientId: string): Grant {
    const grant: Grant = { email, clientId, refreshToken: randomToken(), revoked: false };
    this.store.grants.set(grant.refreshToken, grant);
    return grant;
  }

  private issueAccessToken(grant: Grant): AccessToken {
    const token: AccessToken = {
      token: randomToken(),
      grant,
      expiresMs: this.now() + this.ttlSeconds * 1000,
    };
    this.store.accessTokens.set(token.token, token);
    return token;
  }

  /** A live token of a grant not revoked, or undefined. */
  private liveToken(authorization: string | undefined): AccessToken | undefined {
    const bearer = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
    const access = bearer ? this.store.accessTokens.get(bearer) : undefined;
    if (!access || access.grant.revoked || access.expiresMs <= this.now()) return undefined;
    return access;
  }

  // ---- the HTTP pipeline ------------------------------------------------------------------

  protected failure(message: string): ApiResponse {
    return json(500, { status: 500, error: message });
  }

  protected override logEntry(base: LoggedRequestBase, req: IncomingMessage): LoggedRequest {
    return {
      ...base,
      headers: {
        userAgent: header(req, 'user-agent'),
        accountId: header(req, 'harvest-account-id'),
      },
    };
  }

  protected async route(
    method: string,
    url: URL,
    req: IncomingMessage,
    body: string,
    entry: LoggedRequest,
  ): Promise<Outcome<ApiResponse>> {
    const path = url.pathname;
    if (path === '/oauth2/authorize' && method === 'GET') {
      entry.operation = 'oauth.authorize';
      return this.withFaults(
        { method, path, operation: entry.operation, batch: false },
        entry,
        'oauth',
        () => respond(this.authorize(url.searchParams)),
      );
    }
    if (path === '/api/v2/oauth2/token' && method === 'POST') {
      entry.operation = 'oauth.token';
      const form = parseForm(body, req.headers['content-type']);
      const grantType = form.get('grant_type') ?? undefined;
      entry.user =
        this.store.grants.get(form.get('refresh_token') ?? '')?.email ??
        this.store.codes.get(form.get('code') ?? '')?.email;
      return this.withFaults(
        { method, path, operation: entry.operation, batch: false, user: entry.user, grantType },
        entry,
        'oauth',
        () => respond(this.token(form)),
        form,
      );
    }
    if (path === '/api/v2/accounts' && method === 'GET') {
      entry.operation = 'accounts.list';
      const access = this.liveToken(req.headers.authorization);
      entry.user = access?.grant.email;
      return this.withFaults(
        { method, path, operation: entry.operation, batch: false, user: entry.user },
        entry,
        'oauth',
        () => respond(access ? this.accounts(access.grant) : invalidToken().response),
      );
    }
    if (path.startsWith('/v2/')) {
      const segments = path
        .slice('/v2/'.length)
        .split('/')
        .filter(Boolean)
        .map((s) => decodeURIComponent(s));
      const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
      entry.operation = HarvestApi.operation(method, segments);
      entry.user = bearer ? this.store.accessTokens.get(bearer)?.grant.email : undefined;
      return this.withFaults(
        { method, path, operation: entry.operation, user: entry.user, batch: false },
        entry,
        'api',
        () => respond(this.apiCall(method, url, req, body, segments)),
        undefined,
        bearer,
      );
    }
    return respond(json(404, { status: 404, error: 'Not Found' }));
  }

  private apiCall(
    method: string,
    url: URL,
    req: IncomingMessage,
    body: string,
    segments: string[],
  ): ApiResponse {
    try {
      if (!header(req, 'user-agent')) {
        // Documented: no User-Agent, 400 Bad Request. [U] the body.
        return json(400, {
          status: 400,
          error: 'Bad Request',
          message:
            'A User-Agent header with the name of your application and a way to reach you is required',
        });
      }
      const access = this.liveToken(req.headers.authorization);
      // A missing or unreachable account id answers exactly as a bad token does.
      const accountId = Number(header(req, 'harvest-account-id') ?? '');
      const account = this.store.accounts.get(accountId);
      if (!access || !account || account.product !== 'harvest') throw invalidToken();
      if (!account.members.has(access.grant.email)) throw invalidToken();
      const user = this.store.userByEmail(account, access.grant.email);
      if (!user || !user.isActive) throw invalidToken();
      const limited = this.countRequest(access.token);
      if (limited) return limited;
      let parsed: unknown;
      if (body.trim()) {
        try {
          parsed = JSON.parse(body);
        } catch {
          return json(400, { status: 400, error: 'Bad Request' }); // [U]
        }
      }
      return this.api.handle({
        method,
        segments,
        query: url.searchParams,
        body: parsed,
        account,
        user,
        url,
      });
    } catch (error) {
      if (error instanceof HarvestError) return error.response;
      throw error;
    }
  }

  /** 100 requests per 15 seconds per token (sliding); undefined when under it. */
  private countRequest(token: string): ApiResponse | undefined {
    const now = this.now();
    const seen = this.windows.recent(token, now);
    if (seen.length >= this.rateLimit.limit) {
      this.throttled++;
      const seconds = Math.max(1, Math.ceil((seen[0] + this.rateLimit.windowMs - now) / 1000));
      return json(
        429,
        { status: 429, error: 'Too Many Requests' }, // [U] the body
        { 'Retry-After': String(seconds) },
      );
    }
    seen.push(now);
    return undefined;
  }

  private async withFaults(
    facts: RequestFacts,
    entry: LoggedRequest,
    dialect: 'api' | 'oauth',
    process: () => Outcome<ApiResponse>,
    form?: URLSearchParams,
    bearer?: string,
  ): Promise<Outcome<ApiResponse>> {
    return this.withFault(facts, entry, {
      process: () => Promise.resolve(process()),
      render: (answer) => respond(renderHarvestFault(answer, this.now(), dialect)),
      expireToken: () => {
        const access = bearer ? this.store.accessTokens.get(bearer) : undefined;
        if (access) access.expiresMs = this.now() - 1;
        return respond(invalidToken().response);
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

  // ---- Harvest ID -------------------------------------------------------------------------

  private authorize(params: URLSearchParams): ApiResponse {
    const app = this.store.apps.get(params.get('client_id') ?? '');
    if (!app) return page(400, 'Unknown client_id.');
    const redirectUri = params.get('redirect_uri');
    if (redirectUri && app.redirectUris.length > 0 && !app.redirectUris.includes(redirectUri)) {
      return page(400, 'The redirect_uri does not match the application.');
    }
    const target = redirectUri ?? app.redirectUris[0];
    if (!target) return page(400, 'No redirect_uri.');
    const back = (values: Record<string, string>): ApiResponse => {
      const to = new URL(target);
      for (const [key, value] of Object.entries(values)) to.searchParams.set(key, value);
      const state = params.get('state');
      if (state !== null) to.searchParams.set('state', state);
      return { status: 302, headers: { Location: to.toString() } };
    };
    if (params.get('response_type') !== 'code') return back({ error: 'unsupported_response_type' });
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
      expiresMs: this.now() + 10 * 60_000,
    });
    return back({ code, scope: params.get('scope') ?? 'harvest:all' });
  }

  private token(form: URLSearchParams): ApiResponse {
    const app = this.store.apps.get(form.get('client_id') ?? '');
    if (!app || app.clientSecret !== form.get('client_secret')) {
      return oauthError(401, 'invalid_client', 'Client authentication failed.');
    }
    const invalidGrant = () => oauthError(400, 'invalid_grant', INVALID_GRANT_DESCRIPTION);
    let grant: Grant;
    switch (form.get('grant_type')) {
      case 'authorization_code': {
        const code = this.store.codes.get(form.get('code') ?? '');
        if (code) this.store.codes.delete(code.code);
        const redirectUri = form.get('redirect_uri');
        if (
          !code ||
          code.clientId !== app.clientId ||
          code.expiresMs <= this.now() ||
          (code.redirectUri !== null && redirectUri !== null && code.redirectUri !== redirectUri)
        ) {
          return invalidGrant();
        }
        grant = this.createGrant(code.email, app.clientId);
        break;
      }
      case 'refresh_token': {
        const found = this.store.grants.get(form.get('refresh_token') ?? '');
        if (!found || found.revoked || found.clientId !== app.clientId) return invalidGrant();
        grant = found;
        break;
      }
      default:
        return oauthError(400, 'unsupported_grant_type', 'The grant type is not supported.');
    }
    return json(
      200,
      {
        access_token: this.issueAccessToken(grant).token,
        refresh_token: grant.refreshToken,
        token_type: 'bearer',
        expires_in: this.ttlSeconds,
      },
      { 'Cache-Control': 'no-store' },
    );
  }

  private accounts(grant: Grant): ApiResponse {
    const person = this.store.people.get(grant.email);
    return json(200, {
      user: {
        id: person?.id ?? 0,
        first_name: person?.firstName ?? '',
        last_name: person?.lastName ?? '',
        email: grant.email,
      },
      accounts: this.store.accountsOf(grant.email).map((a) => ({
        id: a.id,
        name: a.name,
        product: a.product,
        google_sign_in_required: false,
      })),
    });
  }
}

export async function startHarvestEmulator(
  options: HarvestEmulatorOptions = {},
): Promise<HarvestEmulator> {
  return new HarvestEmulator(options).start();
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text?.trim() ? text : undefined;
}

function definedOnly<T extends object>(changes: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(changes).filter(([, value]) => value !== undefined),
  ) as Partial<T>;
}

/** Harvest ID takes the token request as JSON or as a form. */
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

function page(status: number, message: string): ApiResponse {
  return {
    status,
    headers: { 'Content-Type': 'text/html; charset=utf-8' },
    body: `<!doctype html><title>Harvest ID</title><h1>${message}</h1>`,
  };
}
