import { OAuthProviderConfig, RateLimit } from '../../config/app-config';
import { EventWrite } from '../../providers/calendar-events';
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
import { invoicingHttpError, InvoicingAnswer, sendInvoicingRequest } from '../invoicing-http';
import {
  BookingNeeds,
  EntryContent,
  InvoicingAccess,
  InvoicingAccount,
  InvoicingProvider,
  InvoicingWebhooks,
  ListOptions,
  markedDescription,
  ListPage,
  ProviderContact,
  ProviderEntry,
  ProviderProject,
  ProviderTask,
  ProviderUser,
} from '../invoicing-provider';
import {
  AdministrationFacts,
  carriesMarker,
  entryMatches,
  moneybirdDurationFields,
  moneybirdRetryAfterSeconds,
  MoneybirdTimeEntry,
  periodAround,
  toProviderEntry,
} from './moneybird-entries';

/** Time entries, and `settings` for projects, users and contacts. */
export const MONEYBIRD_SCOPES = ['time_entries', 'settings'];

/** Moneybird allows 150 requests per 5 minutes, and it cannot be raised. */
const RATE_LIMITS: readonly RateLimit[] = [{ maxRequests: 150, windowSeconds: 300 }];

const PER_PAGE = 100;
/** Most contact ids `POST contacts/synchronization` takes at once. */
const SYNC_BATCH = 100;
/** `findEntry` searches this many days either side of the entry's date. */
const FIND_WINDOW_DAYS = 93;

interface Administration {
  id: string;
  name: string;
  time_zone?: string;
  period_locked_until?: string | null;
}

interface Contact {
  id: string;
  company_name?: string | null;
  firstname?: string | null;
  lastname?: string | null;
  archived?: boolean;
}

interface Project {
  id: string;
  name: string;
  state: string;
}

interface User {
  id: string;
  name: string;
  email?: string | null;
}

interface Query {
  [key: string]: string;
}

/** A webhook as `webhooks.json` answers it (the token is its secret). */
interface Webhook {
  id: string;
  url: string;
  token: string;
}

/**
 * What danwel's webhook hears: an entry invoiced, changed or deleted in Moneybird (each a lock
 * check of that entry), a contact or project changed (an import).
 */
export const MONEYBIRD_WEBHOOK_EVENTS = [
  'time_entry_sales_invoice_created',
  'time_entry_updated',
  'time_entry_destroyed',
  'contact_created',
  'contact_changed',
  'contact_archived',
  'project_created',
  'project_updated',
  'project_archived',
];

/**
 * Moneybird API v2 as an invoicing provider: administrations are the accounts, contacts the
 * clients, time entries carry danwel's marker in their description (Moneybird has no external
 * reference), and a sales invoice or a locked period makes an entry read-only.
 */
export class MoneybirdInvoicingProvider implements InvoicingProvider {
  readonly name = 'moneybird' as const;
  readonly bookingNeeds: BookingNeeds = { task: false, user: true };
  readonly rateLimits = RATE_LIMITS;

  constructor(
    private readonly config: OAuthProviderConfig,
    private readonly http: ProviderHttp,
    private readonly requestTimeoutMs = 30_000,
  ) {}

  /**
   * `POST /{administration}/webhooks.json {url, enabled_events}` answers `{id, token, …}`,
   * `GET` lists them (tokens included), `DELETE /{administration}/webhooks/{id}.json` removes
   * one (Moneybird's webhooks API). The external id is `<administration>/<webhook>`, since a
   * delete names both and the administration chosen may have changed since.
   */
  readonly webhooks: InvoicingWebhooks = {
    register: async (access, url) => {
      const listed = await this.send(access, 'GET', 'webhooks', {});
      for (const stale of (listed.body as Webhook[]).filter((webhook) => webhook.url === url)) {
        await this.send(access, 'DELETE', `webhooks/${encodeURIComponent(stale.id)}`, {
          missingIsFine: true,
        });
      }
      const created = await this.send(access, 'POST', 'webhooks', {
        body: { url, enabled_events: MONEYBIRD_WEBHOOK_EVENTS },
      });
      const webhook = created.body as Webhook;
      return { externalId: `${access.accountId}/${String(webhook.id)}`, token: webhook.token };
    },
    remove: async (access, externalId) => {
      const [accountId, webhookId] = externalId.split('/');
      if (!accountId || !webhookId) return;
      await this.send(
        { accessToken: access.accessToken, accountId },
        'DELETE',
        `webhooks/${encodeURIComponent(webhookId)}`,
        { missingIsFine: true },
      );
    },
  };

  // ---- connecting -------------------------------------------------------------------------

  authorizeUrl(request: AuthorizationRequest): string {
    const url = new URL(this.config.authorizeUrl);
    url.searchParams.set('client_id', this.config.clientId);
    url.searchParams.set('redirect_uri', this.config.redirectUri);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('scope', MONEYBIRD_SCOPES.join(' '));
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
      throw new ProviderError('token_exchange_failed', 'Moneybird: the token request failed.');
    }
    const { response, tokens } = answer;
    if (!response.ok || !tokens.access_token) {
      const error = typeof tokens.error === 'string' ? tokens.error : 'token_exchange_failed';
      throw new ProviderError(error, `Moneybird: ${error}`);
    }
    return {
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token ?? null,
      // Moneybird's access tokens do not expire today; one with `expires_in` is honoured.
      expiresAt: tokenExpiry(tokens),
      metadata: { scope: tokens.scope ?? null, token_type: tokens.token_type ?? null },
      // The token names no person: the administration is chosen after connecting.
      accountId: null,
      email: null,
    };
  }

  /** A refresh may rotate the refresh token: the answer's one replaces ours. */
  async refresh(refreshToken: string): Promise<RefreshedTokens> {
    return refreshedTokens(
      'Moneybird',
      await this.tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken }),
    );
  }

  /** Doorkeeper's token revocation (RFC 7009): the grant and all its tokens end. */
  async revoke(token: string): Promise<boolean> {
    if (!this.config.revokeUrl) return false;
    const answer = await requestTokens(
      this.http,
      this.config.revokeUrl,
      { client_id: this.config.clientId, client_secret: this.config.clientSecret, token },
      this.requestTimeoutMs,
    );
    return !('failed' in answer) && answer.response.ok;
  }

  async listAccounts(accessToken: string): Promise<InvoicingAccount[]> {
    const administrations = await this.administrations(accessToken);
    return administrations.map((a) => ({ externalId: String(a.id), name: a.name }));
  }

  // ---- importing --------------------------------------------------------------------------

  /**
   * A full listing pages through `contacts`; `since` lists the synchronization versions (the
   * epoch second of each contact's last change) and fetches the newer ones a hundred at a time.
   */
  async listContacts(
    access: InvoicingAccess,
    options: ListOptions,
  ): Promise<ListPage<ProviderContact>> {
    if (options.since) return this.changedContacts(access, options.since, options.page);
    const page = Number(options.page ?? '1');
    const answer = await this.get(access, 'contacts', {
      include_archived: 'true',
      page: String(page),
      per_page: String(PER_PAGE),
    });
    return this.listPage(answer, page, (items: Contact[]) => items.map(toContact));
  }

  private async changedContacts(
    access: InvoicingAccess,
    since: Date,
    cursor: string | null,
  ): Promise<ListPage<ProviderContact>> {
    const sinceVersion = Math.floor(since.getTime() / 1000);
    const versions = (
      await this.get(access, 'contacts/synchronization', { include_archived: 'true' })
    ).body as Array<{ id: string; version: number }>;
    const ids = versions
      .filter((v) => v.version >= sinceVersion)
      .map((v) => String(v.id))
      .sort(compareIds);
    const offset = Number(cursor ?? '0');
    const batch = ids.slice(offset, offset + SYNC_BATCH);
    const contacts =
      batch.length === 0
        ? []
        : ((
            await this.send(access, 'POST', 'contacts/synchronization', {
              body: { ids: batch },
            })
          ).body as Contact[]);
    const next = offset + SYNC_BATCH < ids.length ? String(offset + SYNC_BATCH) : null;
    return { items: contacts.map(toContact), next, total: ids.length };
  }

  /** Moneybird cannot filter projects by change time: always the full listing, archived too. */
  async listProjects(
    access: InvoicingAccess,
    options: ListOptions,
  ): Promise<ListPage<ProviderProject>> {
    const page = Number(options.page ?? '1');
    const answer = await this.get(access, 'projects', {
      filter: 'state:all',
      page: String(page),
      per_page: String(PER_PAGE),
    });
    return this.listPage(answer, page, (items: Project[]) =>
      items.map((p) => ({
        externalId: String(p.id),
        name: p.name,
        archived: p.state === 'archived',
        contactExternalId: null,
      })),
    );
  }

  /** Moneybird books time on a project without tasks. */
  listTasks(_access: InvoicingAccess, _projectExternalId: string): Promise<ProviderTask[]> {
    return Promise.resolve([]);
  }

  async listUsers(access: InvoicingAccess): Promise<ProviderUser[]> {
    const users = (await this.get(access, 'users', {})).body as User[];
    return users.map((u) => ({
      externalId: String(u.id),
      name: u.name,
      email: u.email ?? null,
      active: true,
    }));
  }

  // ---- time entries -----------------------------------------------------------------------

  async createEntry(access: InvoicingAccess, content: EntryContent): Promise<ProviderEntry> {
    const found = await this.findTimeEntry(access, content);
    if (found) {
      const entry = toProviderEntry(found, await this.administration(access));
      if (entry.billing !== 'open' || entryMatches(found, content)) return entry;
      return this.updateEntry(access, found.id, content);
    }
    return this.postEntry(access, content);
  }

  async findEntry(access: InvoicingAccess, content: EntryContent): Promise<ProviderEntry | null> {
    const found = await this.findTimeEntry(access, content);
    return found ? toProviderEntry(found, await this.administration(access)) : null;
  }

  /**
   * PATCH cannot move an entry to another user (Moneybird ignores `user_id` there): an entry of
   * another user is made again for the block's, under a new id. The old one is deleted first, so
   * a crash in between leaves a block whose entry is gone (booked again), never two entries.
   */
  async updateEntry(
    access: InvoicingAccess,
    externalId: string,
    content: EntryContent,
  ): Promise<ProviderEntry> {
    const answer = await this.send(access, 'PATCH', `time_entries/${externalId}`, {
      body: { time_entry: { ...this.entryFields(content), paused_duration: 0 } },
      write: 'update',
    });
    const updated = answer.body as MoneybirdTimeEntry;
    if (content.userExternalId === null || updated.user_id === content.userExternalId) {
      return toProviderEntry(updated, await this.administration(access));
    }
    await this.deleteEntry(access, externalId);
    return this.postEntry(access, content);
  }

  private async postEntry(access: InvoicingAccess, content: EntryContent): Promise<ProviderEntry> {
    const answer = await this.send(access, 'POST', 'time_entries', {
      body: { time_entry: { user_id: content.userExternalId, ...this.entryFields(content) } },
      write: 'create',
    });
    return toProviderEntry(answer.body as MoneybirdTimeEntry, await this.administration(access));
  }

  async deleteEntry(access: InvoicingAccess, externalId: string): Promise<void> {
    await this.send(access, 'DELETE', `time_entries/${externalId}`, {
      write: 'delete',
      missingIsFine: true,
    });
  }

  async readEntry(access: InvoicingAccess, externalId: string): Promise<ProviderEntry | null> {
    const answer = await this.send(access, 'GET', `time_entries/${externalId}`, {
      missingIsFine: true,
    });
    if (answer.status === 404) return null;
    // Read afresh: a period lock is a setting of the administration that changes any time.
    return toProviderEntry(answer.body as MoneybirdTimeEntry, await this.administration(access));
  }

  durationFields(content: EntryContent): Record<string, string | number> {
    return moneybirdDurationFields(content);
  }

  retryAfterSeconds(value: string | null | undefined, now?: number): number | undefined {
    return moneybirdRetryAfterSeconds(value, now);
  }

  // ---- helpers ----------------------------------------------------------------------------

  private entryFields(content: EntryContent) {
    return {
      ...moneybirdDurationFields(content),
      description: markedDescription(content),
      project_id: content.projectExternalId,
      contact_id: content.contactExternalId,
      billable: content.billable,
    };
  }

  /** The entry carrying the block's marker, searched with `query=` around the entry's date. */
  private async findTimeEntry(
    access: InvoicingAccess,
    content: EntryContent,
  ): Promise<MoneybirdTimeEntry | null> {
    const filter = [
      `period:${periodAround(content.spentDate, FIND_WINDOW_DAYS)}`,
      'state:all',
      'include_active:true',
    ];
    const answer = await this.get(access, 'time_entries', {
      filter: filter.join(','),
      query: markedDescription({ ...content, description: '' }),
      per_page: String(PER_PAGE),
    });
    const entries = answer.body as MoneybirdTimeEntry[];
    return entries.find((e) => carriesMarker(e, content.blockId)) ?? null;
  }

  private async administrations(accessToken: string): Promise<Administration[]> {
    const answer = await this.request(
      accessToken,
      'GET',
      `${this.config.apiBaseUrl}/administrations.json`,
    );
    return answer.body as Administration[];
  }

  /** The chosen administration's zone (for entry dates) and period lock. */
  private async administration(access: InvoicingAccess): Promise<AdministrationFacts> {
    const found = (await this.administrations(access.accessToken)).find(
      (a) => String(a.id) === access.accountId,
    );
    return {
      timeZone: found?.time_zone ?? 'Europe/Amsterdam',
      periodLockedUntil: found?.period_locked_until ?? null,
    };
  }

  private get(access: InvoicingAccess, path: string, query: Query): Promise<InvoicingAnswer> {
    return this.send(access, 'GET', path, { query });
  }

  private send(
    access: InvoicingAccess,
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    path: string,
    options: {
      query?: Query;
      body?: unknown;
      write?: EventWrite['kind'];
      /** A 404 is answered rather than thrown (a delete or read of an entry already gone). */
      missingIsFine?: boolean;
    },
  ): Promise<InvoicingAnswer> {
    const url = new URL(`${this.config.apiBaseUrl}/${access.accountId}/${path}.json`);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      url.searchParams.set(key, value);
    }
    return this.request(access.accessToken, method, url.toString(), options);
  }

  private async request(
    accessToken: string,
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    options: { body?: unknown; write?: EventWrite['kind']; missingIsFine?: boolean } = {},
  ): Promise<InvoicingAnswer> {
    const answer = await sendInvoicingRequest(
      'Moneybird',
      this.http,
      { method, url, body: options.body, accessToken },
      this.requestTimeoutMs,
    );
    if (answer.status < 400 || (answer.status === 404 && options.missingIsFine)) return answer;
    const retryAfter = this.retryAfterSeconds(answer.headers.get('retry-after'));
    throw invoicingHttpError(
      'Moneybird',
      {
        status: answer.status,
        ...moneybirdReason(answer.body),
        retryAfter: retryAfter === undefined ? null : String(retryAfter),
      },
      options.write ?? 'request',
      accessToken,
    );
  }

  private listPage<T, R>(
    answer: InvoicingAnswer,
    page: number,
    map: (items: T[]) => R[],
  ): ListPage<R> {
    const link = answer.headers.get('link') ?? '';
    const total = answer.headers.get('x-total-count');
    return {
      items: map(answer.body as T[]),
      next: /rel="next"/.test(link) ? String(page + 1) : null,
      total: total && /^\d+$/.test(total) ? Number(total) : null,
    };
  }

  private tokenRequest(grant: Record<string, string>): Promise<TokenAnswer> {
    return requestTokens(
      this.http,
      this.config.tokenUrl,
      { client_id: this.config.clientId, client_secret: this.config.clientSecret, ...grant },
      this.requestTimeoutMs,
    );
  }
}

function toContact(c: Contact): ProviderContact {
  const person = [c.firstname, c.lastname].filter(Boolean).join(' ');
  return {
    externalId: String(c.id),
    name: c.company_name || person || String(c.id),
    archived: c.archived === true,
  };
}

/** Ids are decimal strings of up to 18 digits: compared as numbers without parsing them. */
function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

/**
 * Moneybird's reason: `{error, symbolic: {field: code}}`, or for a 422
 * `{error: {field: [message]}, details: {field: [{error: code}]}}`; a 429 body is a bare string.
 */
function moneybirdReason(body: unknown): { code?: string; message?: string } {
  if (typeof body === 'string') return { message: body.slice(0, 200) };
  if (!body || typeof body !== 'object') return {};
  const { error, symbolic, details } = body as {
    error?: unknown;
    symbolic?: Record<string, unknown>;
    details?: Record<string, Array<{ error?: unknown }>>;
  };
  const firstCode = (values: unknown[]) => values.find((v) => typeof v === 'string') as string;
  if (typeof error === 'string') {
    return { message: error, code: symbolic ? firstCode(Object.values(symbolic)) : undefined };
  }
  if (error && typeof error === 'object') {
    const message = Object.entries(error as Record<string, unknown>)
      .map(([field, messages]) => `${field} ${[messages].flat().join(', ')}`)
      .join('; ');
    const code = details
      ? firstCode(Object.values(details).flatMap((list) => list.map((d) => d.error)))
      : undefined;
    return { message, code };
  }
  return {};
}
