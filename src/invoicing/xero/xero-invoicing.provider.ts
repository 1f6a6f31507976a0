import { OAuthProviderConfig, RateLimit } from '../../config/app-config';
import { EventWrite } from '../../providers/calendar-events';
import {
  AuthorizationRequest,
  claimString,
  ConnectedAccount,
  idTokenClaims,
  ProviderError,
  RefreshedTokens,
} from '../../providers/calendar-provider';
import {
  refreshedTokens,
  requestTokens,
  TokenAnswer,
  tokenExpiry,
} from '../../providers/oauth-token-request';
import { ProviderHttp } from '../../providers/provider-http';
import { invoicingHttpError, InvoicingAnswer, sendInvoicingRequest } from '../invoicing-http';
import {
  BookingNeeds,
  EntryContent,
  entryMarker,
  InvoicingAccess,
  InvoicingAccount,
  InvoicingError,
  InvoicingProvider,
  ListOptions,
  ListPage,
  ProviderContact,
  ProviderEntry,
  ProviderProject,
  ProviderTask,
  ProviderUser,
} from '../invoicing-provider';
import {
  entryMatches,
  ifModifiedSince,
  parseXeroEntryId,
  toProviderEntry,
  xeroDurationFields,
  xeroEntryBody,
  xeroIdempotencyKey,
  xeroReason,
  xeroRetryAfterSeconds,
  XeroTimeEntry,
} from './xero-entries';

/** Projects (read and write), contacts (read), and a refresh token with `offline_access`. */
export const XERO_SCOPES = [
  'openid',
  'profile',
  'email',
  'offline_access',
  'projects',
  'accounting.contacts.read',
];

/** Xero's per-tenant limits: 60 calls a minute and 5,000 a day (and 5 at once). */
const RATE_LIMITS: readonly RateLimit[] = [
  { maxRequests: 60, windowSeconds: 60 },
  { maxRequests: 5000, windowSeconds: 86_400 },
];

/** Projects per page (contacts come 100 a page whatever is asked). */
const PAGE_SIZE = 100;
/** The Projects API's largest page, for listings read whole. */
const MAX_PAGE_SIZE = 500;
/** `findEntry` searches this many days either side of the entry's date. */
const FIND_WINDOW_DAYS = 93;
/** A create answered with an entry entered this long before it was sent is a replayed answer. */
const REPLAY_MARGIN_MS = 60_000;

interface Pagination {
  page: number;
  pageSize: number;
  pageCount: number;
  itemCount: number;
}

interface Paged<T> {
  pagination?: Pagination;
  items?: T[];
}

interface Connection {
  tenantId: string;
  tenantName: string | null;
  tenantType: string;
}

interface Contact {
  ContactID: string;
  Name?: string;
  ContactStatus?: string;
}

interface Project {
  projectId: string;
  contactId?: string | null;
  name: string;
  status: string;
}

interface Task {
  taskId: string;
  name: string;
  chargeType?: string;
  status?: string;
}

interface ProjectUser {
  userId: string;
  name?: string;
  email?: string | null;
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

interface SendOptions {
  query?: Record<string, string>;
  body?: unknown;
  headers?: Record<string, string>;
  write?: EventWrite['kind'];
  /** A 404 is answered rather than thrown (a delete or read of an entry already gone). */
  missingIsFine?: boolean;
}

/**
 * Xero as an invoicing provider: tenants (organisations) are the accounts, Accounting API
 * contacts the clients, and time is booked as Projects API time entries on a project's task for
 * a project user. Every call names the tenant in `Xero-Tenant-Id`.
 *
 * A small client of our own over `ProviderHttp` rather than xero-node's generated API classes:
 * those send through their own axios with no timeout or abort signal (a request Xero never
 * answers would hold the integration's lease), bypass `ProviderHttp`, and reduce a failure to a
 * JSON string without the transport error's code. OAuth is ours too, since xero-node's
 * `XeroClient` hard-codes Xero's identity URLs.
 */
export class XeroInvoicingProvider implements InvoicingProvider {
  readonly name = 'xero' as const;
  readonly bookingNeeds: BookingNeeds = { task: true, user: true };
  readonly rateLimits = RATE_LIMITS;

  constructor(
    private readonly config: OAuthProviderConfig & {
      connectionsUrl: string;
      projectsBaseUrl: string;
    },
    private readonly http: ProviderHttp,
    private readonly requestTimeoutMs = 30_000,
  ) {}

  // ---- connecting -------------------------------------------------------------------------

  authorizeUrl(request: AuthorizationRequest): string {
    const url = new URL(this.config.authorizeUrl);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', this.config.clientId);
    url.searchParams.set('redirect_uri', this.config.redirectUri);
    url.searchParams.set('scope', XERO_SCOPES.join(' '));
    url.searchParams.set('state', request.state);
    url.searchParams.set('code_challenge', request.codeChallenge);
    url.searchParams.set('code_challenge_method', 'S256');
    return url.toString();
  }

  async exchangeCode(code: string, codeVerifier: string): Promise<ConnectedAccount> {
    const answer = await this.tokenRequest({
      grant_type: 'authorization_code',
      code,
      redirect_uri: this.config.redirectUri,
      code_verifier: codeVerifier,
    });
    if ('failed' in answer) {
      throw new ProviderError('token_exchange_failed', 'Xero: the token request failed.');
    }
    const { response, tokens } = answer;
    if (!response.ok || !tokens.access_token) {
      const error = typeof tokens.error === 'string' ? tokens.error : 'token_exchange_failed';
      throw new ProviderError(error, `Xero: ${error}`);
    }
    const claims = idTokenClaims(tokens.id_token);
    return {
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token ?? null,
      expiresAt: tokenExpiry(tokens),
      metadata: { scope: tokens.scope ?? null, token_type: tokens.token_type ?? null },
      accountId: claimString(claims.xero_userid) ?? claimString(claims.sub),
      email: claimString(claims.email),
    };
  }

  /** Xero rotates the refresh token on every refresh: the old one stops working at once. */
  async refresh(refreshToken: string): Promise<RefreshedTokens> {
    return refreshedTokens(
      'Xero',
      await this.tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken }),
    );
  }

  /** Revokes the refresh token (and with it the grant's connections); false if that failed. */
  async revoke(token: string): Promise<boolean> {
    const answer = await requestTokens(
      this.http,
      this.config.revokeUrl,
      { token },
      this.requestTimeoutMs,
      { authorization: this.basicAuthorization() },
    );
    return !('failed' in answer) && answer.response.ok;
  }

  /** The organisations the grant connected (practices book no time). */
  async listAccounts(accessToken: string): Promise<InvoicingAccount[]> {
    const answer = await this.request(accessToken, 'GET', this.config.connectionsUrl);
    return (answer.body as Connection[])
      .filter((c) => c.tenantType === 'ORGANISATION')
      .map((c) => ({ externalId: c.tenantId, name: c.tenantName ?? c.tenantId }));
  }

  // ---- importing --------------------------------------------------------------------------

  /** Contacts a page of 100 at a time; `since` is Xero's `If-Modified-Since`. */
  async listContacts(
    access: InvoicingAccess,
    options: ListOptions,
  ): Promise<ListPage<ProviderContact>> {
    const page = Number(options.page ?? '1');
    const answer = await this.send(access, 'GET', `${this.config.apiBaseUrl}/Contacts`, {
      query: { includeArchived: 'true', page: String(page) },
      headers: options.since ? { 'If-Modified-Since': ifModifiedSince(options.since) } : {},
    });
    const body = answer.body as { Contacts?: Contact[]; pagination?: Pagination };
    const contacts = body.Contacts ?? [];
    return {
      items: contacts.map((c) => ({
        externalId: c.ContactID,
        name: c.Name ?? c.ContactID,
        archived: c.ContactStatus !== undefined && c.ContactStatus !== 'ACTIVE',
      })),
      next: nextPage(page, body.pagination, contacts.length, 100),
      total: body.pagination?.itemCount ?? null,
    };
  }

  /** The Projects API cannot filter by change time: always every project, closed ones too. */
  async listProjects(
    access: InvoicingAccess,
    options: ListOptions,
  ): Promise<ListPage<ProviderProject>> {
    const page = Number(options.page ?? '1');
    const answer = await this.send(access, 'GET', this.projectsUrl('Projects'), {
      query: { states: 'INPROGRESS,CLOSED', page: String(page), pageSize: String(PAGE_SIZE) },
    });
    const body = answer.body as Paged<Project>;
    const projects = body.items ?? [];
    return {
      items: projects.map((p) => ({
        externalId: p.projectId,
        name: p.name,
        archived: p.status === 'CLOSED',
        contactExternalId: p.contactId ?? null,
      })),
      next: nextPage(page, body.pagination, projects.length, PAGE_SIZE),
      total: body.pagination?.itemCount ?? null,
    };
  }

  /** The project's tasks, billable ones first (non-chargeable tasks book unbilled time). */
  async listTasks(access: InvoicingAccess, projectExternalId: string): Promise<ProviderTask[]> {
    const tasks = await this.everyPage<Task>(
      access,
      this.projectsUrl(`Projects/${encodeURIComponent(projectExternalId)}/Tasks`),
    );
    return tasks
      .map((t) => ({
        externalId: t.taskId,
        name: t.name,
        billable: t.chargeType !== 'NON_CHARGEABLE',
        active: (t.status ?? 'ACTIVE') === 'ACTIVE',
      }))
      .sort((a, b) => Number(b.billable) - Number(a.billable));
  }

  /** Project users: the people time entries are booked for, matched to members by e-mail. */
  async listUsers(access: InvoicingAccess): Promise<ProviderUser[]> {
    const users = await this.everyPage<ProjectUser>(access, this.projectsUrl('ProjectsUsers'));
    return users.map((u) => ({
      externalId: u.userId,
      name: u.name ?? u.email ?? u.userId,
      email: u.email ?? null,
      active: true,
    }));
  }

  // ---- time entries -----------------------------------------------------------------------

  /**
   * The entry carrying the block's marker is looked up first (a create made before, whose answer
   * was lost or whose worker died); else POST with an `Idempotency-Key` derived from the block,
   * so a retry of this very request answers the entry made first. A replayed answer (entered well
   * before this request) naming an entry the lookup did not see is checked: when it is gone, the
   * block is created again under a fresh key.
   */
  async createEntry(access: InvoicingAccess, content: EntryContent): Promise<ProviderEntry> {
    const found = await this.findTimeEntry(access, content);
    if (found) {
      const entry = toProviderEntry(found);
      if (entry.billing !== 'open' || entryMatches(found, content)) return entry;
      return this.updateEntry(access, entry.externalId, content);
    }
    const body = xeroEntryBody(content);
    const url = this.timeUrl(content.projectExternalId);
    for (let attempt = 0; ; attempt++) {
      const sentAt = Date.now();
      const answer = await this.send(access, 'POST', url, {
        body,
        headers: { 'Idempotency-Key': xeroIdempotencyKey(content, body, attempt) },
        write: 'create',
      });
      const created = answer.body as XeroTimeEntry;
      const entered = Date.parse(created.dateEnteredUtc ?? '');
      if (attempt > 0 || !(entered < sentAt - REPLAY_MARGIN_MS)) return toProviderEntry(created);
      const still = await this.readEntry(access, toProviderEntry(created).externalId);
      if (still) return still;
    }
  }

  async findEntry(access: InvoicingAccess, content: EntryContent): Promise<ProviderEntry | null> {
    const found = await this.findTimeEntry(access, content);
    return found ? toProviderEntry(found) : null;
  }

  /**
   * A full PUT (an omitted field would be cleared). An entry moves between projects by being
   * created in the new one and deleted from the old, which the Projects API cannot do in place.
   */
  async updateEntry(
    access: InvoicingAccess,
    externalId: string,
    content: EntryContent,
  ): Promise<ProviderEntry> {
    const { projectId, timeEntryId } = this.entryPath(externalId);
    if (projectId !== content.projectExternalId) {
      const current = await this.readEntry(access, externalId);
      if (!current) throw entryFailure('gone', 404, 'the time entry no longer exists');
      if (current.billing !== 'open') {
        throw entryFailure('permanent', 400, `the time entry is ${current.billing}`);
      }
      const moved = await this.createEntry(access, content);
      await this.deleteEntry(access, externalId);
      return moved;
    }
    const body = xeroEntryBody(content);
    await this.send(
      access,
      'PUT',
      `${this.timeUrl(projectId)}/${encodeURIComponent(timeEntryId)}`,
      {
        body,
        write: 'update',
      },
    );
    // PUT answers 204 without the entry: it is what was sent.
    return toProviderEntry({ ...body, timeEntryId, projectId, status: 'ACTIVE' });
  }

  async deleteEntry(access: InvoicingAccess, externalId: string): Promise<void> {
    const { projectId, timeEntryId } = this.entryPath(externalId);
    await this.send(
      access,
      'DELETE',
      `${this.timeUrl(projectId)}/${encodeURIComponent(timeEntryId)}`,
      {
        write: 'delete',
        missingIsFine: true,
      },
    );
  }

  async readEntry(access: InvoicingAccess, externalId: string): Promise<ProviderEntry | null> {
    const { projectId, timeEntryId } = this.entryPath(externalId);
    const answer = await this.send(
      access,
      'GET',
      `${this.timeUrl(projectId)}/${encodeURIComponent(timeEntryId)}`,
      { missingIsFine: true },
    );
    if (answer.status === 404) return null;
    return toProviderEntry(answer.body as XeroTimeEntry);
  }

  durationFields(content: EntryContent): Record<string, string | number> {
    return xeroDurationFields(content);
  }

  retryAfterSeconds(value: string | null | undefined, now?: number): number | undefined {
    return xeroRetryAfterSeconds(value, now);
  }

  // ---- helpers ----------------------------------------------------------------------------

  /**
   * The project's entry carrying the block's marker, within weeks of its date (the Projects API
   * has no description search; the block may have moved since). Without a project (the block
   * left the account's projects) every project of the tenant is searched: entries live under one.
   */
  private async findTimeEntry(
    access: InvoicingAccess,
    content: EntryContent,
  ): Promise<XeroTimeEntry | null> {
    const day = Date.parse(`${content.spentDate}T00:00:00Z`);
    const window = FIND_WINDOW_DAYS * 86_400_000;
    const marker = entryMarker(content.blockId);
    const projectIds = content.projectExternalId
      ? [content.projectExternalId]
      : await this.projectIds(access);
    for (const projectId of projectIds) {
      const entries = await this.everyPage<XeroTimeEntry>(access, this.timeUrl(projectId), {
        dateAfterUtc: new Date(day - window).toISOString(),
        dateBeforeUtc: new Date(day + window).toISOString(),
      });
      const found = entries.find((e) => (e.description ?? '').includes(marker));
      if (found) return found;
    }
    return null;
  }

  /** The ids of every project of the tenant, closed ones too. */
  private async projectIds(access: InvoicingAccess): Promise<string[]> {
    const ids: string[] = [];
    let page: string | null = null;
    do {
      const listed: ListPage<ProviderProject> = await this.listProjects(access, {
        since: null,
        page,
      });
      ids.push(...listed.items.map((project) => project.externalId));
      page = listed.next;
    } while (page);
    return ids;
  }

  /** Every page of a Projects API listing. */
  private async everyPage<T>(
    access: InvoicingAccess,
    url: string,
    query: Record<string, string> = {},
  ): Promise<T[]> {
    const items: T[] = [];
    for (let page = 1; ; page++) {
      const answer = await this.send(access, 'GET', url, {
        query: { ...query, page: String(page), pageSize: String(MAX_PAGE_SIZE) },
      });
      const body = answer.body as Paged<T>;
      items.push(...(body.items ?? []));
      if (nextPage(page, body.pagination, body.items?.length ?? 0, MAX_PAGE_SIZE) === null) {
        return items;
      }
    }
  }

  private entryPath(externalId: string): { projectId: string; timeEntryId: string } {
    const parsed = parseXeroEntryId(externalId);
    if (!parsed) throw entryFailure('permanent', null, `not a Xero time entry id: ${externalId}`);
    return parsed;
  }

  private projectsUrl(path: string): string {
    return `${this.config.projectsBaseUrl}/${path}`;
  }

  private timeUrl(projectId: string): string {
    return this.projectsUrl(`Projects/${encodeURIComponent(projectId)}/Time`);
  }

  /** A call in the chosen tenant. */
  private send(
    access: InvoicingAccess,
    method: Method,
    url: string,
    options: SendOptions = {},
  ): Promise<InvoicingAnswer> {
    const target = new URL(url);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      target.searchParams.set(key, value);
    }
    return this.request(access.accessToken, method, target.toString(), {
      ...options,
      headers: { 'Xero-Tenant-Id': access.accountId, ...options.headers },
    });
  }

  private async request(
    accessToken: string,
    method: Method,
    url: string,
    options: SendOptions = {},
  ): Promise<InvoicingAnswer> {
    const answer = await sendInvoicingRequest(
      'Xero',
      this.http,
      { method, url, body: options.body, headers: options.headers, accessToken },
      this.requestTimeoutMs,
    );
    if (answer.status < 400 || (answer.status === 404 && options.missingIsFine)) return answer;
    throw invoicingHttpError(
      'Xero',
      {
        status: answer.status,
        ...xeroReason(answer.body, answer.headers.get('x-rate-limit-problem')),
        retryAfter: answer.headers.get('retry-after'),
      },
      options.write ?? 'request',
      accessToken,
    );
  }

  private basicAuthorization(): string {
    const credentials = `${encodeURIComponent(this.config.clientId)}:${encodeURIComponent(this.config.clientSecret)}`;
    return `Basic ${Buffer.from(credentials).toString('base64')}`;
  }

  /** Xero's identity server takes the app's credentials as HTTP Basic. */
  private tokenRequest(grant: Record<string, string>): Promise<TokenAnswer> {
    return requestTokens(this.http, this.config.tokenUrl, grant, this.requestTimeoutMs, {
      authorization: this.basicAuthorization(),
    });
  }
}

/** The page after `page`, or null at the end (from `pagination`, else from a short page). */
function nextPage(
  page: number,
  pagination: Pagination | undefined,
  received: number,
  pageSize: number,
): string | null {
  if (pagination) return page < pagination.pageCount ? String(page + 1) : null;
  return received >= pageSize ? String(page + 1) : null;
}

function entryFailure(
  kind: 'gone' | 'permanent',
  status: number | null,
  message: string,
): InvoicingError {
  return new InvoicingError({ kind, status, code: `xero_${kind}`, message: `Xero: ${message}` });
}
