import type {
  InvoicingAccess,
  InvoicingProvider,
  InvoicingProviderName,
} from '../../src/invoicing/invoicing-provider';

/**
 * One invoicing provider as the contract specs see it: its emulator, the real danwel client
 * pointed at it, and what a person working in the provider can do. Each provider has one subject
 * (`test/support/invoicing-subjects/<provider>.ts`); the contract specs run the same cases against
 * every subject with `describe.each(INVOICING_SUBJECTS)`, and only what differs is written per
 * provider.
 */
export interface InvoicingSubject {
  readonly name: InvoicingProviderName;
  /** The provider and, where it has several kinds of account, which one (for spec titles). */
  readonly label: string;
  /**
   * Starts the emulator with one account set up as `InvoicingWorld.fixtures` describes; its clock
   * runs `clockOffsetMs` from the real one (negative: behind, so that what is set up now looks
   * older than an import danwel starts next).
   */
  start(options?: { clockOffsetMs?: number }): Promise<InvoicingWorld>;
}

/** What a provider account holds at the start: enough to book time. */
export interface InvoicingFixtures {
  /** The account chosen as `provider_account_id` (administration, Harvest account, Xero tenant). */
  accountId: string;
  accountName: string;
  /** A contact (client) named `contactName` and a project named `projectName` for it. */
  contactExternalId: string;
  contactName: string;
  projectExternalId: string;
  projectName: string;
  /** A billable task on that project, where the provider books on tasks (else null). */
  taskExternalId: string | null;
  /** The provider user with e-mail `userEmail` time is booked for, where the provider needs one. */
  userExternalId: string | null;
  userEmail: string;
}

/** A time entry as the emulator stores it, for assertions (independent of danwel's client). */
export interface StoredEntry {
  externalId: string;
  spentDate: string;
  minutes: number;
  description: string;
  projectExternalId: string | null;
  /** The task it is booked on (null where the provider has none: Moneybird). */
  taskExternalId: string | null;
  /** The provider user it is booked for. */
  userExternalId: string | null;
  /** The times of day it ran, where the account tracks them (Harvest timestamp accounts). */
  times: { started: string; ended: string } | null;
  billable: boolean | null;
}

/** One API request as the emulator logged it. */
export interface ApiRequest {
  method: string;
  path: string;
  /** The query string without `?`. */
  query: string;
  body: string;
  /** Request headers that select what a listing answers (Xero's `If-Modified-Since`). */
  headers: Record<string, string>;
}

export interface InvoicingWorld {
  /** The client danwel uses, built by `InvoicingProviders` from a configuration loaded with `env`. */
  readonly provider: InvoicingProvider;
  /** The environment variables that point danwel at this emulator (`<PROVIDER>_*_URL`, client). */
  env(): Record<string, string>;
  /** A valid access token for `fixtures.accountId` and the account, without the OAuth dance. */
  access(): InvoicingAccess;
  /** The refresh token issued with `access()`'s access token. */
  refreshToken(): string;
  readonly fixtures: InvoicingFixtures;
  /** The most items one listing page of danwel's client holds (so a spec can span pages). */
  readonly pageSize: number;
  /**
   * A moment after every change made so far, by the provider's clock: a listing `since` then
   * shows only what changes afterwards (the emulator's clock moves on where its change stamps
   * are coarse).
   */
  checkpoint(): Promise<Date>;
  /** Moves the emulator's clock forward. */
  advanceTime(ms: number): void;

  // --- a person working in the provider ---------------------------------------------------------
  /** Every time entry of the account, as stored. */
  entries(): StoredEntry[];
  /** Locks an entry (a locked period, an approved timesheet…): it can no longer be changed. */
  lockEntry(externalId: string): Promise<void>;
  /**
   * Puts the entry on an invoice; answers the invoice's reference as the provider shows it on the
   * entry, or null where an entry does not name its invoice (Xero).
   */
  invoiceEntry(externalId: string): Promise<string | null>;
  editEntry(externalId: string, changes: { description: string }): Promise<void>;
  deleteEntry(externalId: string): Promise<void>;
  /** Archives the contact or project upstream. */
  archive(kind: 'contact' | 'project', externalId: string): Promise<void>;
  rename(kind: 'contact' | 'project', externalId: string, name: string): Promise<void>;
  addContact(name: string): Promise<string>;
  addProject(name: string, contactExternalId: string): Promise<string>;
  /** Adds a billable task to the project; null where the provider books without tasks. */
  addTask(projectExternalId: string, name: string): Promise<string | null>;
  /** Adds an active user of the account (not signing in); answers its id. */
  addUser(email: string): Promise<string>;

  // --- faults, in the provider's own shapes -------------------------------------------------------
  /** The next API call that writes (create, update, delete) is applied; its answer never arrives. */
  loseNextResponse(): void;
  /** The next API call answers 429 with this provider's `Retry-After` for `seconds`. */
  throttleNext(seconds: number): void;
  /** The next API call answers a 5xx. */
  failNext(): void;
  /** The current access token stops working (the next call answers 401). */
  expireAccessToken(): void;
  /** The next token refresh answers the provider's invalid_grant, and the refresh token dies. */
  refuseNextRefresh(): void;

  /** Requests the emulator has received so far (API calls only, not OAuth). */
  requestCount(): number;
  /** Requests its own rate limit answered 429 so far (injected throttles not counted). */
  rateLimited(): number;
  /** Those requests, oldest first. */
  requests(): ApiRequest[];
  stop(): Promise<void>;
}
