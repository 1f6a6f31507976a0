import { ProvidersConfig, RateLimit } from '../../config/app-config';
import {
  AuthorizationRequest,
  ConnectedAccount,
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
import { parseRetryAfter } from '../../providers/write-failure';
import {
  BookingNeeds,
  EntryContent,
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
import { HarvestApi } from './harvest-api';
import {
  entryBody,
  entryMatches,
  externalReferenceId,
  harvestDuration,
  HarvestTaskAssignment,
  HarvestTimeEntry,
  projectTasks,
  providerEntry,
  tasksByProject,
} from './harvest-entries';

type HarvestConfig = ProvidersConfig['harvest'];

/** Items per list page: small enough that an import of a large account shows progress. */
export const HARVEST_PAGE_SIZE = 200;
/** The most Harvest serves per page, for reads of a whole list where each page costs budget. */
export const HARVEST_MAX_PAGE_SIZE = 2000;

interface HarvestAccounts {
  user?: { id?: number; email?: string };
  accounts?: Array<{ id: number; name: string; product: string }>;
}

interface HarvestClientItem {
  id: number;
  name: string;
  is_active: boolean;
}

interface HarvestProjectItem extends HarvestClientItem {
  client?: { id: number } | null;
}

interface HarvestUserItem {
  id: number;
  first_name: string;
  last_name: string;
  email: string | null;
  is_active: boolean;
}

/** How long an account's `wants_timestamp_timers` is used before it is read again. */
const ACCOUNT_KIND_TTL_MS = 10 * 60_000;

/**
 * Harvest (Harvest ID OAuth, API v2) over `ProviderHttp`. Time is booked on a project's task as
 * decimal `hours`, or as start and end times on a timestamp account; a create first looks for the block's `external_reference` so that a retry
 * never books twice (docs/architecture.md, "Invoicing").
 */
export class HarvestInvoicingProvider implements InvoicingProvider {
  readonly name = 'harvest' as const;
  readonly bookingNeeds: BookingNeeds = { task: true, user: false };
  /** Harvest's general limit: 100 requests per 15 seconds. */
  readonly rateLimits: readonly RateLimit[] = [{ maxRequests: 100, windowSeconds: 15 }];
  private readonly api: HarvestApi;
  /** Per account: whether it tracks start and end times, until `expiresAt`. */
  private readonly accountKinds = new Map<
    string,
    { timestamps: Promise<boolean>; expiresAt: number }
  >();

  constructor(
    private readonly config: HarvestConfig,
    private readonly http: ProviderHttp,
    private readonly requestTimeoutMs = 30_000,
  ) {
    this.api = new HarvestApi({
      apiBaseUrl: config.apiBaseUrl,
      userAgent: config.userAgent,
      http,
      requestTimeoutMs,
    });
  }

  // --- connecting -------------------------------------------------------------------------

  /** Harvest ID has no PKCE: the challenge is not sent (the state still binds the flow). */
  authorizeUrl(request: AuthorizationRequest): string {
    const url = new URL(this.config.authorizeUrl);
    url.searchParams.set('client_id', this.config.clientId);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('redirect_uri', this.config.redirectUri);
    url.searchParams.set('scope', 'harvest:all');
    url.searchParams.set('state', request.state);
    return url.toString();
  }

  async exchangeCode(code: string, _codeVerifier: string): Promise<ConnectedAccount> {
    const answer = await this.tokenRequest({
      grant_type: 'authorization_code',
      code,
      redirect_uri: this.config.redirectUri,
    });
    if ('failed' in answer) {
      throw new ProviderError('token_exchange_failed', 'Harvest: the token request failed.');
    }
    const { response, tokens } = answer;
    if (!response.ok || !tokens.access_token) {
      const error = typeof tokens.error === 'string' ? tokens.error : 'token_exchange_failed';
      throw new ProviderError(error, `Harvest: ${error}`);
    }
    const person = await this.accounts(tokens.access_token).catch(() => null);
    return {
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token ?? null,
      expiresAt: tokenExpiry(tokens),
      metadata: { token_type: tokens.token_type ?? null },
      // The Harvest account to book in is chosen afterwards (`provider_account_id`).
      accountId: null,
      email: person?.user?.email ?? null,
    };
  }

  /** Harvest keeps the refresh token; one in the answer is stored all the same. */
  async refresh(refreshToken: string): Promise<RefreshedTokens> {
    return refreshedTokens(
      'Harvest',
      await this.tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken }),
    );
  }

  /** Harvest accounts only: a Forecast account books no time entries. */
  async listAccounts(accessToken: string): Promise<InvoicingAccount[]> {
    const answer = await this.accounts(accessToken);
    return (answer?.accounts ?? [])
      .filter((account) => account.product === 'harvest')
      .map((account) => ({ externalId: String(account.id), name: account.name }));
  }

  // --- importing --------------------------------------------------------------------------

  async listContacts(
    access: InvoicingAccess,
    options: ListOptions,
  ): Promise<ListPage<ProviderContact>> {
    const page = await this.api.page<HarvestClientItem>(
      access.accessToken,
      access.accountId,
      'clients',
      this.listUrl('/clients', options),
      options.page,
    );
    return {
      ...page,
      items: page.items.map((c) => ({
        externalId: String(c.id),
        name: c.name,
        archived: !c.is_active,
      })),
    };
  }

  async listProjects(
    access: InvoicingAccess,
    options: ListOptions,
  ): Promise<ListPage<ProviderProject>> {
    const page = await this.api.page<HarvestProjectItem>(
      access.accessToken,
      access.accountId,
      'projects',
      this.listUrl('/projects', options),
      options.page,
    );
    return {
      ...page,
      items: page.items.map((p) => ({
        externalId: String(p.id),
        name: p.name,
        archived: !p.is_active,
        contactExternalId: p.client ? String(p.client.id) : null,
      })),
    };
  }

  /** The project's task assignments' tasks, billable ones first. */
  async listTasks(access: InvoicingAccess, projectExternalId: string): Promise<ProviderTask[]> {
    const assignments = await this.api.all<HarvestTaskAssignment>(
      access.accessToken,
      access.accountId,
      'task_assignments',
      this.api.url(`/projects/${encodeURIComponent(projectExternalId)}/task_assignments`, {
        per_page: String(HARVEST_PAGE_SIZE),
      }),
    );
    return projectTasks(assignments);
  }

  /** The account's active task assignments, read in pages of `HARVEST_MAX_PAGE_SIZE`. */
  async listAccountTasks(access: InvoicingAccess): Promise<Map<string, ProviderTask[]>> {
    const assignments = await this.api.all<HarvestTaskAssignment>(
      access.accessToken,
      access.accountId,
      'task_assignments',
      this.api.url('/task_assignments', {
        is_active: 'true',
        per_page: String(HARVEST_MAX_PAGE_SIZE),
      }),
    );
    return tasksByProject(assignments);
  }

  async listUsers(access: InvoicingAccess): Promise<ProviderUser[]> {
    const users = await this.api.all<HarvestUserItem>(
      access.accessToken,
      access.accountId,
      'users',
      this.api.url('/users', { per_page: String(HARVEST_PAGE_SIZE) }),
    );
    return users.map((u) => ({
      externalId: String(u.id),
      name: `${u.first_name} ${u.last_name}`.trim(),
      email: u.email ?? null,
      active: u.is_active,
    }));
  }

  // --- time entries -----------------------------------------------------------------------

  /**
   * Looks for the block's `external_reference` first: an entry a lost answer left behind is
   * brought in line with the block (where still open) instead of being booked a second time.
   */
  async createEntry(access: InvoicingAccess, content: EntryContent): Promise<ProviderEntry> {
    const taskId = requireTask(content);
    const existing = await this.findEntry(access, content);
    if (existing) {
      if (existing.billing !== 'open' || entryMatches(existing, content, taskId)) return existing;
      return this.updateEntry(access, existing.externalId, content);
    }
    const created = await this.api.entry<HarvestTimeEntry>({
      ...this.as(access),
      method: 'POST',
      path: '/time_entries',
      body: entryBody(content, taskId, await this.timestampTimers(access)),
      call: 'create',
    });
    return providerEntry(created);
  }

  async findEntry(access: InvoicingAccess, content: EntryContent): Promise<ProviderEntry | null> {
    const page = await this.api.page<HarvestTimeEntry>(
      access.accessToken,
      access.accountId,
      'time_entries',
      this.api.url('/time_entries', {
        external_reference_id: externalReferenceId(content.blockId),
      }),
      null,
    );
    // Oldest first: should two ever exist, the same one is always the block's.
    const [first] = [...page.items].sort((a, b) => a.id - b.id);
    return first ? providerEntry(first) : null;
  }

  async updateEntry(
    access: InvoicingAccess,
    externalId: string,
    content: EntryContent,
  ): Promise<ProviderEntry> {
    const updated = await this.api.entry<HarvestTimeEntry>({
      ...this.as(access),
      method: 'PATCH',
      path: entryPath(externalId),
      body: entryBody(content, requireTask(content), await this.timestampTimers(access)),
      call: 'update',
    });
    return providerEntry(updated);
  }

  async deleteEntry(access: InvoicingAccess, externalId: string): Promise<void> {
    await this.api.send({
      ...this.as(access),
      method: 'DELETE',
      path: entryPath(externalId),
      call: 'delete',
      missingOk: true,
    });
  }

  async readEntry(access: InvoicingAccess, externalId: string): Promise<ProviderEntry | null> {
    const entry = await this.api.send<HarvestTimeEntry>({
      ...this.as(access),
      method: 'GET',
      path: entryPath(externalId),
      missingOk: true,
    });
    return entry ? providerEntry(entry) : null;
  }

  /**
   * Decimal hours (75 minutes are `hours: 1.25`), or on a timestamp account `started_time` and
   * `ended_time` the rounded duration apart (`harvestDuration`).
   */
  durationFields(content: EntryContent, timestampTimers = false): Record<string, string | number> {
    return harvestDuration(content, timestampTimers);
  }

  /**
   * The Company API's `wants_timestamp_timers` of the account, read once per account for
   * `ACCOUNT_KIND_TTL_MS` (a setting an administrator rarely changes).
   */
  async timestampTimers(access: InvoicingAccess): Promise<boolean> {
    const known = this.accountKinds.get(access.accountId);
    if (known && known.expiresAt > Date.now()) return known.timestamps;
    const timestamps = this.api
      .send<{ wants_timestamp_timers?: boolean }>({
        ...this.as(access),
        method: 'GET',
        path: '/company',
      })
      .then((company) => company?.wants_timestamp_timers === true);
    this.accountKinds.set(access.accountId, {
      timestamps,
      expiresAt: Date.now() + ACCOUNT_KIND_TTL_MS,
    });
    timestamps.catch(() => this.accountKinds.delete(access.accountId));
    return timestamps;
  }

  /** Harvest writes `Retry-After` as delta-seconds. */
  retryAfterSeconds(value: string | null | undefined, now = Date.now()): number | undefined {
    return parseRetryAfter(value, now);
  }

  // --- helpers ------------------------------------------------------------------------------

  private listUrl(path: string, options: ListOptions): string {
    return this.api.url(path, {
      per_page: String(HARVEST_PAGE_SIZE),
      updated_since: options.since ? options.since.toISOString() : undefined,
    });
  }

  private accounts(accessToken: string): Promise<HarvestAccounts | null> {
    return this.api.send<HarvestAccounts>({
      method: 'GET',
      path: this.config.accountsUrl,
      accessToken,
      accountId: null,
    });
  }

  private as(access: InvoicingAccess) {
    return { accessToken: access.accessToken, accountId: access.accountId };
  }

  /** A token request with our client credentials (Harvest ID takes them as a form). */
  private tokenRequest(grant: Record<string, string>): Promise<TokenAnswer> {
    return requestTokens(
      this.http,
      this.config.tokenUrl,
      { client_id: this.config.clientId, client_secret: this.config.clientSecret, ...grant },
      this.requestTimeoutMs,
    );
  }
}

/** Harvest books time on a task: without one nothing is sent, and the block says why. */
function requireTask(content: EntryContent): string {
  if (content.taskExternalId) return content.taskExternalId;
  throw new InvoicingError({
    kind: 'permanent',
    status: null,
    code: 'task_required',
    message: 'Harvest: choose the task this project books time on',
  });
}

function entryPath(externalId: string): string {
  return `/time_entries/${encodeURIComponent(externalId)}`;
}
