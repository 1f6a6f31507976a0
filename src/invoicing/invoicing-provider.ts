import { RateLimit } from '../config/app-config';
import {
  AuthorizationRequest,
  ConnectedAccount,
  RefreshedTokens,
} from '../providers/calendar-provider';
import { WriteFailure } from '../providers/calendar-events';

/**
 * What danwel asks of an invoicing system (Moneybird, Harvest, Xero): connect an account, read its
 * clients, projects, tasks and users, and keep one time entry per billable block. A provider speaks
 * its own protocol behind this and never imports our entities; the importer and the invoicing
 * reconciler never see a provider's HTTP shapes (docs/architecture.md, "Invoicing").
 *
 * Every method that talks to the provider throws `InvoicingError` for an HTTP or transport failure,
 * classified once into the calendar providers' failure kinds (`WriteFailure`): `unauthorized` (the
 * integration session refreshes the token once and retries), `throttled` (the whole integration
 * waits, `retryAfterSeconds` as the provider said it), `retryable` (5xx, timeouts, resets),
 * `gone` (the entry no longer exists), `permanent` (the block shows the reason until it changes).
 * Provider messages in failures never contain the access token.
 */

/** The invoicing providers, by the name used in URLs and `integrations.provider`. */
export const INVOICING_PROVIDERS = ['moneybird', 'harvest', 'xero'] as const;
export type InvoicingProviderName = (typeof INVOICING_PROVIDERS)[number];

export const isInvoicingProvider = (name: string): name is InvoicingProviderName =>
  (INVOICING_PROVIDERS as readonly string[]).includes(name);

/** The account to act in: the access token and the chosen provider account. */
export interface InvoicingAccess {
  accessToken: string;
  /** Moneybird administration id, Harvest account id, Xero tenant id (`provider_account_id`). */
  accountId: string;
}

/** A Moneybird administration, a Harvest account (product `harvest`), a Xero tenant. */
export interface InvoicingAccount {
  externalId: string;
  name: string;
}

/** A Moneybird or Xero contact, a Harvest client. */
export interface ProviderContact {
  externalId: string;
  name: string;
  archived: boolean;
}

export interface ProviderProject {
  externalId: string;
  name: string;
  archived: boolean;
  /** The contact (client) the project belongs to, where the provider links one. */
  contactExternalId: string | null;
}

/** What a project's time is booked on: a Harvest task assignment's task, a Xero task. */
export interface ProviderTask {
  externalId: string;
  name: string;
  billable: boolean;
  active: boolean;
}

/** A person time is booked for, matched to members by e-mail address. */
export interface ProviderUser {
  externalId: string;
  name: string;
  email: string | null;
  active: boolean;
}

/** One page of a listing. `next` is opaque: pass it back for the following page; null at the end. */
export interface ListPage<T> {
  items: T[];
  next: string | null;
  /** How many items the whole listing has, where the provider says (for a progress bar). */
  total: number | null;
}

export interface ListOptions {
  /**
   * Only what changed since then, where the provider can filter (Harvest `updated_since`, Xero
   * `If-Modified-Since` on contacts, Moneybird `updated_after` on contacts); a full listing
   * elsewhere. Archived items are always included, so that an archive upstream is seen.
   */
  since: Date | null;
  /** `next` of the previous page, or null for the first. */
  page: string | null;
}

/** Which mappings a provider needs before it can book time on a project. */
export interface BookingNeeds {
  /** A task on the project (Harvest task assignment, Xero task). */
  task: boolean;
  /** The provider user the time is booked for (Xero project user, Moneybird user). */
  user: boolean;
}

/** A block as a time entry: everything the provider stores, already rounded and localized. */
export interface EntryContent {
  /** danwel's block id: the provider's idempotency key or marker is derived from it. */
  blockId: number;
  /** The block's raw times (kept unrounded in danwel) and the zone it was planned in. */
  start: Date;
  end: Date;
  timeZone: string;
  /** The local date of `start` in `timeZone`, `YYYY-MM-DD`. */
  spentDate: string;
  /** The duration rounded up to the next quarter hour (`billableMinutes`). */
  minutes: number;
  /** Title and description. */
  description: string;
  billable: boolean;
  projectExternalId: string;
  taskExternalId: string | null;
  userExternalId: string | null;
  contactExternalId: string | null;
}

/**
 * Whether an entry may still be changed. `locked` (Harvest `is_locked`/`is_closed`, Xero
 * `LOCKED`, a Moneybird period lock) and `invoiced` (Harvest `is_billed`/`invoice`, Xero
 * `INVOICED`, Moneybird `sales_invoice_id`) both make the block `sent_to_billing`.
 */
export type EntryBillingState = 'open' | 'locked' | 'invoiced';

/** A time entry as the provider holds it (read back after a write, or on a lock check). */
export interface ProviderEntry {
  /** Opaque to danwel (stored in `external_invoicing_entry_id`); the provider may encode a path. */
  externalId: string;
  spentDate: string;
  /** The entry's duration in minutes, as the provider expresses it converted back. */
  minutes: number;
  description: string;
  projectExternalId: string | null;
  taskExternalId: string | null;
  userExternalId: string | null;
  billing: EntryBillingState;
  /** The invoice number (or id) shown on the block once invoiced; a lock reason else. */
  invoiceReference: string | null;
}

export interface InvoicingProvider {
  readonly name: InvoicingProviderName;

  // --- connecting ---------------------------------------------------------------------------
  authorizeUrl(request: AuthorizationRequest): string;
  /** Exchanges an authorization code (with its PKCE verifier, where supported) for tokens. */
  exchangeCode(code: string, codeVerifier: string): Promise<ConnectedAccount>;
  /**
   * Trades the refresh token for a new access token (Xero rotates it: the answer's must be
   * stored). Throws `ProviderError('invalid_grant')` when refused for good,
   * `ProviderError('refresh_failed')` for a failure worth retrying.
   */
  refresh(refreshToken: string): Promise<RefreshedTokens>;
  /**
   * Revokes the grant at the provider where it has a revocation endpoint; resolves false where it
   * has none or the call failed. Never throws. Nothing else in the account is touched.
   */
  revoke?(token: string): Promise<boolean>;
  /** The accounts the token reaches, to choose `provider_account_id` from. */
  listAccounts(accessToken: string): Promise<InvoicingAccount[]>;

  // --- importing ----------------------------------------------------------------------------
  listContacts(access: InvoicingAccess, options: ListOptions): Promise<ListPage<ProviderContact>>;
  listProjects(access: InvoicingAccess, options: ListOptions): Promise<ListPage<ProviderProject>>;
  /** A project's tasks (every page); empty where the provider books without tasks (Moneybird). */
  listTasks(access: InvoicingAccess, projectExternalId: string): Promise<ProviderTask[]>;
  /**
   * Every project's active tasks in one account-wide listing (every page), by project external
   * id, where the provider has one (Harvest `GET /v2/task_assignments`): a few requests for the
   * whole account instead of one per project. Absent: tasks are read per project.
   */
  listAccountTasks?(access: InvoicingAccess): Promise<Map<string, ProviderTask[]>>;
  /** Every user of the account (every page). */
  listUsers(access: InvoicingAccess): Promise<ProviderUser[]>;
  readonly bookingNeeds: BookingNeeds;

  // --- time entries -------------------------------------------------------------------------
  /**
   * Creates the block's entry idempotently: a retry after a lost answer or a killed worker finds
   * the entry made before instead of adding a second one (Harvest: `external_reference` looked up
   * first; Xero: `Idempotency-Key`, and a description marker looked up first; Moneybird: a marker
   * in the description looked up with `query=` in the entry's period).
   */
  createEntry(access: InvoicingAccess, content: EntryContent): Promise<ProviderEntry>;
  /**
   * The entry a previous create of this block may have made, or null (lookup-before-create). An
   * empty `projectExternalId`: the block is on none of the account's projects any more, and the
   * entry is looked for wherever it may be.
   */
  findEntry(access: InvoicingAccess, content: EntryContent): Promise<ProviderEntry | null>;
  /** Overwrites the entry with the block's content. A deleted entry throws kind `gone`. */
  updateEntry(
    access: InvoicingAccess,
    externalId: string,
    content: EntryContent,
  ): Promise<ProviderEntry>;
  /** Deletes the entry; one already gone counts as done. */
  deleteEntry(access: InvoicingAccess, externalId: string): Promise<void>;
  /** The entry as it is now (locked or invoiced?), or null when it no longer exists. */
  readEntry(access: InvoicingAccess, externalId: string): Promise<ProviderEntry | null>;

  /**
   * The fields this provider's entry expresses `content`'s rounded duration in: Harvest decimal
   * `hours` (on an account tracking start and end times, `started_time`/`ended_time` a rounded
   * duration apart), Xero integer `duration` minutes, Moneybird `started_at`/`ended_at` a rounded duration
   * apart. Pure; the same fields `createEntry` sends.
   */
  durationFields(content: EntryContent): Record<string, string | number>;

  // --- webhooks -----------------------------------------------------------------------------
  /**
   * Where the provider lets an app register a webhook per account through the API (Moneybird;
   * Xero's is configured in its developer portal, Harvest has none). `url` is danwel's own; the
   * answer's `externalId` is `<account id>/<the provider's webhook id>` (a removal needs no
   * account chosen, and tells which account a webhook is in), `token` the secret each delivery
   * carries.
   */
  readonly webhooks?: InvoicingWebhooks;

  // --- limits -------------------------------------------------------------------------------
  /**
   * The documented request limits per account, all respected before sending (Harvest 100 / 15 s,
   * Moneybird 150 / 5 min, Xero 60 / min and 5,000 / day).
   */
  readonly rateLimits: readonly RateLimit[];
  /** Seconds to wait from `Retry-After` as this provider writes it (Moneybird: an epoch time). */
  retryAfterSeconds(value: string | null | undefined, now?: number): number | undefined;
}

/** A provider's webhook registration API (see `InvoicingProvider.webhooks`). */
export interface InvoicingWebhooks {
  /**
   * Registers a webhook for `url` in the account, first removing any webhook already registered
   * there for exactly `url` (one left behind by a registration whose answer was lost).
   */
  register(access: InvoicingAccess, url: string): Promise<{ externalId: string; token: string }>;
  /** Removes danwel's webhook; one already gone counts as done. */
  remove(access: Pick<InvoicingAccess, 'accessToken'>, externalId: string): Promise<void>;
}

/** A provider or transport failure of one invoicing call, classified once by the provider. */
export class InvoicingError extends Error {
  constructor(readonly failure: WriteFailure) {
    super(failure.message);
    this.name = 'InvoicingError';
  }
}

export const isTokenRefusal = (error: unknown): boolean =>
  error instanceof InvoicingError && error.failure.kind === 'unauthorized';

/** Billable time is booked in quarter hours, rounded up: 1 minute books 15, 61 books 75. */
export const BILLING_INCREMENT_MINUTES = 15;

/** A block's billable minutes: its raw length rounded up to the next quarter hour (at least one). */
export function billableMinutes(start: Date, end: Date): number {
  const quarterMs = BILLING_INCREMENT_MINUTES * 60_000;
  const quarters = Math.max(1, Math.ceil((end.getTime() - start.getTime()) / quarterMs));
  return quarters * BILLING_INCREMENT_MINUTES;
}

/** The marker danwel writes into an entry's description where a provider has no external id. */
export function entryMarker(blockId: number): string {
  return `[danwel:${blockId}]`;
}

/** The description with the block's marker, which a provider's lookup before a create finds. */
export function markedDescription(content: EntryContent): string {
  const marker = entryMarker(content.blockId);
  const text = content.description.trim();
  return text ? `${text} ${marker}` : marker;
}

/** The description as danwel wrote it: without any marker. */
export function unmarkedDescription(description: string): string {
  return description.replace(/\s*\[danwel:\d+\]/g, '').trim();
}
