/**
 * What the Moneybird emulator remembers: OAuth apps, grants and tokens, and per administration
 * its users, contacts (with synchronization versions), projects and time entries. Every id is an
 * 18-digit decimal STRING above 2^53, as Moneybird's: a client that parses one as a number
 * loses digits and finds nothing.
 */
import { randomBytes } from 'node:crypto';
import { DateTime } from 'luxon';
import { reachableBy, required } from '../common/state';

export interface MoneybirdApp {
  clientId: string;
  clientSecret: string;
  /** Accepted redirect URIs; empty = any. */
  redirectUris: string[];
}

export interface MoneybirdUser {
  id: string;
  name: string;
  email: string;
  /** `owner`, `employee`, `accountant` … (Moneybird's user_type). */
  userType: string;
  createdAt: string;
  updatedAt: string;
}

export interface MoneybirdContact {
  id: string;
  companyName: string;
  firstname: string;
  lastname: string;
  email: string;
  customerId: string;
  archived: boolean;
  /** Bumped on every change; what `contacts/synchronization` lists. */
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface MoneybirdProject {
  id: string;
  name: string;
  state: 'active' | 'archived';
  budget: number | null;
}

export interface MoneybirdTimeEntry {
  id: string;
  administrationId: string;
  userId: string;
  contactId: string | null;
  projectId: string | null;
  salesInvoiceId: string | null;
  startedAt: string;
  endedAt: string | null;
  description: string;
  pausedDuration: number;
  billable: boolean;
  createdAt: string;
  updatedAt: string;
  events: Array<{ action: string; created_at: string }>;
}

export interface Administration {
  id: string;
  name: string;
  currency: string;
  country: string;
  language: string;
  timeZone: string;
  /** Entries starting on or before this date (YYYY-MM-DD) cannot change. */
  periodLockedUntil: string | null;
  /** Emails of the Moneybird people who may use this administration through the API. */
  members: Set<string>;
  users: Map<string, MoneybirdUser>;
  contacts: Map<string, MoneybirdContact>;
  projects: Map<string, MoneybirdProject>;
  timeEntries: Map<string, MoneybirdTimeEntry>;
}

export interface Grant {
  email: string;
  clientId: string;
  scopes: string[];
  refreshToken: string;
  revoked: boolean;
}

export interface AccessToken {
  token: string;
  grant: Grant;
  /** undefined: the token does not expire (Moneybird's documented behaviour). */
  expiresMs?: number;
}

export interface AuthCode {
  code: string;
  email: string;
  clientId: string;
  redirectUri: string;
  scopes: string[];
  expiresMs: number;
}

export const MONEYBIRD_SCOPES = [
  'sales_invoices',
  'documents',
  'estimates',
  'bank',
  'time_entries',
  'settings',
] as const;

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export class MoneybirdStore {
  readonly apps = new Map<string, MoneybirdApp>();
  readonly administrations = new Map<string, Administration>();
  readonly grants = new Map<string, Grant>();
  readonly accessTokens = new Map<string, AccessToken>();
  readonly codes = new Map<string, AuthCode>();
  /** People who can sign in (lower-case e-mail → name). */
  readonly people = new Map<string, string>();
  private nextId = 496081425181705336n;
  private versionClock = 1_700_000_000;

  constructor(readonly now: () => number) {}

  /** A fresh 18-digit id, as a string. */
  id(): string {
    this.nextId += BigInt(1 + Math.floor(Math.random() * 9973));
    return this.nextId.toString();
  }

  timestamp(): string {
    return new Date(this.now()).toISOString().replace(/\.\d{3}Z$/, '.000Z');
  }

  /** A contact version: seconds-like and strictly increasing. */
  version(): number {
    this.versionClock = Math.max(this.versionClock + 1, Math.floor(this.now() / 1000));
    return this.versionClock;
  }

  administration(id: string): Administration {
    return required(this.administrations, id, 'Moneybird administration');
  }

  /** Administrations `email` can reach. */
  administrationsOf(email: string): Administration[] {
    return reachableBy(this.administrations, email);
  }

  /** Local calendar date (YYYY-MM-DD) of an instant in the administration's time zone. */
  localDate(administration: Administration, iso: string): string {
    return DateTime.fromISO(iso, { zone: 'utc' }).setZone(administration.timeZone).toISODate()!;
  }
}
