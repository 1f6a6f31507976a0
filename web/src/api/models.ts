// Response shapes of the endpoints the app reads (the OpenAPI document types the requests).
import type { Weekday } from '../time/week-time';
import type { components } from './schema';

export type Role = 'owner' | 'admin' | 'member' | 'viewer';
export type SyncStatus = 'pending' | 'synced' | 'failed' | 'not_applicable' | string;
export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'sent_to_billing';

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface User {
  id: number;
  name: string;
  email: string;
  email_verified_at: string | null;
  two_factor_enabled: boolean;
  timezone: string;
  work_days: Weekday[];
  work_hours_start: string;
  work_hours_end: string;
  preferences: Record<string, unknown>;
  current_organization_id: number | null;
}

export interface Me extends User {
  memberships: { organization: { id: number; name: string; slug: string }; role: Role }[];
}

export interface Session {
  user: User;
  token: string;
}

/** The password step of a login for an account with two-factor on. */
export interface TwoFactorChallenge {
  two_factor_required: true;
  challenge_token: string;
  expires_at: string;
}

export interface ApiToken {
  id: number;
  name: string;
  current: boolean;
  last_used_at: string | null;
  expires_at: string;
  created_at: string | null;
}

export interface TwoFactorEnrolment {
  secret: string;
  otpauth_url: string;
}

export interface CalendarFeed {
  exists: boolean;
  created_at: string | null;
  last_accessed_at: string | null;
}

export interface Organization {
  id: number;
  name: string;
  slug: string;
  timezone: string;
  role: Role;
  settings: Record<string, unknown>;
}

export interface Member {
  user_id: number;
  name: string | null;
  email: string | null;
  role: Role;
  joined_at: string | null;
}

export interface Invitation {
  id: number;
  email: string;
  role: Role;
  status?: string;
  expires_at?: string | null;
  organization?: { id: number; name: string };
}

export interface TimeBlock {
  id: number;
  user_id: number;
  title: string;
  description: string | null;
  start_time: string;
  end_time: string;
  timezone: string;
  color: string | null;
  client_id: number | null;
  project_id: number | null;
  calendar_id: number | null;
  is_billable: boolean;
  approval_status: ApprovalStatus;
  /** Why an admin rejected it; shown to the member until an edit sends it back for review. */
  rejection_note: string | null;
  calendar_sync_status: SyncStatus;
  invoicing_sync_status: SyncStatus;
  /** The calendar's last error. */
  sync_error: string | null;
  /** Why the invoicing system could not book it. */
  invoicing_sync_error: string | null;
  /** The provider's invoice, once the entry is invoiced or locked there. */
  invoice_reference?: string | null;
}

export interface CalendarEvent {
  id: number;
  calendar_id: number;
  user_id: number;
  title: string;
  start_time: string;
  end_time: string;
  is_all_day: boolean;
  show_as: string;
}

export interface Client {
  id: number;
  name: string;
  email?: string | null;
  is_active: boolean;
  read_only_fields: string[];
  source?: string;
}

export interface Project {
  id: number;
  name: string;
  client_id: number | null;
  color: string | null;
  hourly_rate: string | null;
  is_active: boolean;
  read_only_fields: string[];
  source?: string;
}

export interface Integration {
  id: number;
  provider: string;
  provider_type: string;
  name: string | null;
  connected_by: number | null;
  provider_account_id?: string | null;
  provider_account_email: string | null;
  is_active: boolean;
  last_sync_at: string | null;
  last_error: string | null;
  needs_reconnect: boolean;
  blocks?: { pending: number; error: number };
}

export type InvoicingAccount = components['schemas']['InvoicingAccountDto'];
export type InvoicingBookings = components['schemas']['InvoicingBookingsDto'];
export type ProjectBooking = components['schemas']['ProjectBookingDto'];
export type MemberBooking = components['schemas']['MemberBookingDto'];

/** What an import created, linked by name and updated, per kind. */
export interface ImportResult {
  clients: { created: number; linked: number; updated: number };
  projects: { created: number; linked: number; updated: number };
}

export interface PendingGrant {
  provider: string;
  provider_account_email: string | null;
  expires_at: string;
}

export interface Calendar {
  id: number;
  name: string;
  color: string | null;
  is_primary: boolean;
  is_enabled: boolean;
  sync_direction: string;
  is_writable: boolean;
  integration: {
    id: number;
    provider: string;
    provider_account_email: string | null;
    is_active: boolean;
    needs_reconnect: boolean;
  };
  owner: { id: number; name: string } | null;
}

export interface AuditLog {
  id: number;
  action: string;
  actor?: string | null;
  user_id?: number | null;
  auditable_type?: string;
  auditable_id?: number | null;
  old_values?: Record<string, unknown> | null;
  new_values?: Record<string, unknown> | null;
  created_at: string;
  [key: string]: unknown;
}

export interface ReportGroup {
  key: Record<string, unknown> & { name?: string | null };
  total_seconds: number;
  billable_seconds: number;
  billed_hours: string | number;
  amount: string | number | null;
}

export interface ReportSummary {
  totals: Omit<ReportGroup, 'key'>;
  groups: ReportGroup[];
}
