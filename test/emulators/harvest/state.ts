/**
 * What the Harvest emulator remembers: OAuth apps, grants and tokens of Harvest ID people, and per
 * account (product `harvest` or `forecast`) its users, clients, projects, tasks, task assignments
 * and time entries. Ids are integers, as Harvest's.
 */
import { randomBytes } from 'node:crypto';
import { reachableBy, required } from '../common/state';

export interface HarvestApp {
  clientId: string;
  clientSecret: string;
  /** Accepted redirect URIs; empty = any. */
  redirectUris: string[];
}

export interface HarvestUser {
  id: number;
  firstName: string;
  lastName: string;
  email: string;
  isActive: boolean;
  /** Administrator: may delete closed (approved) entries. */
  isAdmin: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface HarvestClient {
  id: number;
  name: string;
  isActive: boolean;
  currency: string;
  createdAt: string;
  updatedAt: string;
}

export interface HarvestProject {
  id: number;
  clientId: number;
  name: string;
  code: string | null;
  isActive: boolean;
  isBillable: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface HarvestTask {
  id: number;
  name: string;
  billableByDefault: boolean;
  isActive: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface HarvestTaskAssignment {
  id: number;
  projectId: number;
  taskId: number;
  billable: boolean;
  isActive: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface ExternalReference {
  id: string;
  group_id: string | null;
  account_id: string | null;
  permalink: string | null;
}

export interface HarvestTimeEntry {
  id: number;
  userId: number;
  projectId: number;
  taskId: number;
  spentDate: string;
  /** Decimal hours, two places. */
  hours: number;
  /** Timestamp accounts: the times of day the entry ran, as Harvest writes them (`8:00am`). */
  startedTime: string | null;
  endedTime: string | null;
  notes: string | null;
  externalReference: ExternalReference | null;
  isLocked: boolean;
  lockedReason: string | null;
  /** Approved through timesheet approval. */
  isClosed: boolean;
  isBilled: boolean;
  invoice: { id: number; number: string } | null;
  createdAt: string;
  updatedAt: string;
}

export interface HarvestAccount {
  id: number;
  name: string;
  product: 'harvest' | 'forecast';
  users: Map<number, HarvestUser>;
  clients: Map<number, HarvestClient>;
  projects: Map<number, HarvestProject>;
  tasks: Map<number, HarvestTask>;
  taskAssignments: Map<number, HarvestTaskAssignment>;
  timeEntries: Map<number, HarvestTimeEntry>;
  /** Harvest ID people (lower-case e-mail) who reach the account; in `harvest`, each is a user. */
  members: Set<string>;
  nextInvoiceNumber: number;
  /** The Company API's `wants_timestamp_timers`: time is tracked as start and end times. */
  wantsTimestampTimers: boolean;
}

export interface Grant {
  email: string;
  clientId: string;
  refreshToken: string;
  revoked: boolean;
}

export interface AccessToken {
  token: string;
  grant: Grant;
  expiresMs: number;
}

export interface AuthCode {
  code: string;
  email: string;
  clientId: string;
  redirectUri: string | null;
  expiresMs: number;
}

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export class HarvestStore {
  readonly apps = new Map<string, HarvestApp>();
  readonly accounts = new Map<number, HarvestAccount>();
  readonly grants = new Map<string, Grant>();
  readonly accessTokens = new Map<string, AccessToken>();
  readonly codes = new Map<string, AuthCode>();
  /** Harvest ID people (lower-case e-mail → [first name, last name]). */
  readonly people = new Map<string, { id: number; firstName: string; lastName: string }>();
  private nextId = 3_000_000;

  constructor(readonly now: () => number) {}

  id(): number {
    this.nextId += 1 + Math.floor(Math.random() * 97);
    return this.nextId;
  }

  /** ISO 8601 datetime without milliseconds, as Harvest writes them. */
  timestamp(): string {
    return new Date(this.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  account(id: number): HarvestAccount {
    return required(this.accounts, id, 'Harvest account');
  }

  /** Accounts `email` reaches, every product. */
  accountsOf(email: string): HarvestAccount[] {
    return reachableBy(this.accounts, email);
  }

  userByEmail(account: HarvestAccount, email: string): HarvestUser | undefined {
    const wanted = email.toLowerCase();
    return [...account.users.values()].find((u) => u.email.toLowerCase() === wanted);
  }
}
