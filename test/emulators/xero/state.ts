/**
 * What the Xero emulator remembers: OAuth apps, grants (each connected to some tenants), tokens
 * and codes, and per tenant (organisation) its contacts, projects with their tasks, project users
 * and time entries, and the answers remembered under an `Idempotency-Key`. Ids are UUIDs, as
 * Xero's.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { reachableBy, required } from '../common/state';

export interface XeroApp {
  clientId: string;
  clientSecret: string;
  /** Accepted redirect URIs; empty = any. */
  redirectUris: string[];
}

export type ContactStatus = 'ACTIVE' | 'ARCHIVED' | 'GDPRREQUEST';

export interface XeroContact {
  contactId: string;
  name: string;
  emailAddress: string;
  status: ContactStatus;
  isCustomer: boolean;
  isSupplier: boolean;
  /** What `If-Modified-Since` compares with. */
  updatedMs: number;
}

export type ProjectStatus = 'INPROGRESS' | 'CLOSED';

export interface XeroProject {
  projectId: string;
  contactId: string;
  name: string;
  status: ProjectStatus;
  currencyCode: string;
  deadlineUtc: string | null;
}

export type ChargeType = 'TIME' | 'FIXED' | 'NON_CHARGEABLE';

export interface XeroTask {
  taskId: string;
  projectId: string;
  name: string;
  rate: { currency: string; value: number };
  chargeType: ChargeType;
  status: 'ACTIVE' | 'INVOICED' | 'LOCKED';
}

export interface XeroProjectUser {
  userId: string;
  name: string;
  email: string;
}

export type TimeEntryStatus = 'ACTIVE' | 'LOCKED' | 'INVOICED';

export interface XeroTimeEntry {
  timeEntryId: string;
  projectId: string;
  userId: string;
  taskId: string;
  /** ISO-8601 UTC, as sent. */
  dateUtc: string;
  dateEnteredUtc: string;
  /** Minutes, 1…59940. */
  duration: number;
  description: string | null;
  status: TimeEntryStatus;
  /** The invoice it is on (INVOICED); Xero shows it only through `?invoiceId=`. */
  invoiceId: string | null;
}

/** A remembered answer to a POST/PUT sent with an `Idempotency-Key`. */
export interface IdempotentAnswer {
  /** Method, path and body of the first request: a different request with the key is refused. */
  fingerprint: string;
  status: number;
  body: unknown;
}

export interface Tenant {
  tenantId: string;
  tenantName: string;
  tenantType: 'ORGANISATION' | 'PRACTICE';
  createdDateUtc: string;
  /** E-mails of the Xero people who may connect this organisation. */
  members: Set<string>;
  contacts: Map<string, XeroContact>;
  projects: Map<string, XeroProject>;
  tasks: Map<string, XeroTask>;
  users: Map<string, XeroProjectUser>;
  timeEntries: Map<string, XeroTimeEntry>;
  idempotency: Map<string, IdempotentAnswer>;
}

export interface Connection {
  /** The connection's own id (what `DELETE /connections/{id}` takes). */
  id: string;
  tenantId: string;
  authEventId: string;
  createdDateUtc: string;
  updatedDateUtc: string;
}

export interface Grant {
  email: string;
  clientId: string;
  scopes: string[];
  refreshToken: string;
  revoked: boolean;
  connections: Connection[];
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
  redirectUri: string;
  scopes: string[];
  tenantIds: string[];
  codeChallenge: string | null;
  expiresMs: number;
}

export const XERO_SCOPES = [
  'openid',
  'profile',
  'email',
  'offline_access',
  'projects',
  'projects.read',
  'accounting.contacts',
  'accounting.contacts.read',
  'accounting.settings',
  'accounting.settings.read',
] as const;

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export const uuid = (): string => randomUUID();

export class XeroStore {
  readonly apps = new Map<string, XeroApp>();
  readonly tenants = new Map<string, Tenant>();
  readonly grants = new Map<string, Grant>();
  readonly accessTokens = new Map<string, AccessToken>();
  readonly codes = new Map<string, AuthCode>();
  /** People who can sign in (lower-case e-mail → name). */
  readonly people = new Map<string, string>();

  constructor(readonly now: () => number) {}

  timestamp(): string {
    return new Date(this.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  tenant(id: string): Tenant {
    return required(this.tenants, id, 'Xero tenant');
  }

  tenantsOf(email: string): Tenant[] {
    return reachableBy(this.tenants, email);
  }
}
