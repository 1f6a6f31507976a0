import { CreateUsersTable1704067200000 } from './1704067200000-create-users-table';
import { CreateOrganizationsTable1704067201000 } from './1704067201000-create-organizations-table';
import { CreateOrganizationUserTable1704067202000 } from './1704067202000-create-organization-user-table';
import { CreateInvitationsTable1704067203000 } from './1704067203000-create-invitations-table';
import { CreateIntegrationsTable1704067204000 } from './1704067204000-create-integrations-table';
import { CreateCalendarsTable1704067205000 } from './1704067205000-create-calendars-table';
import { CreateClientsTable1704067206000 } from './1704067206000-create-clients-table';
import { CreateProjectsTable1704067207000 } from './1704067207000-create-projects-table';
import { CreateTimeBlocksTable1704067208000 } from './1704067208000-create-time-blocks-table';
import { CreateAuditLogsTable1704067209000 } from './1704067209000-create-audit-logs-table';
import { CreateJobsTable1704067210000 } from './1704067210000-create-jobs-table';
import { CreateApiTokensTable1704067211000 } from './1704067211000-create-api-tokens-table';
import { AddRevokedAtToInvitations1704067212000 } from './1704067212000-add-revoked-at-to-invitations';
import { AddSyncVersionToTimeBlocks1704067213000 } from './1704067213000-add-sync-version-to-time-blocks';
import { CreateCalendarFeedsTable1704067214000 } from './1704067214000-create-calendar-feeds-table';
import { AddCalendarSyncState1704067217000 } from './1704067217000-add-calendar-sync-state';
import { AddTwoWayCalendarSync1704067218000 } from './1704067218000-add-two-way-calendar-sync';
import { AddSyncLeaseKind1704067219000 } from './1704067219000-add-sync-lease-kind';
import { AddTimeBlockApproval1704067225000 } from './1704067225000-add-time-block-approval';
import { AddInvoicingSyncState1704067230000 } from './1704067230000-add-invoicing-sync-state';
import { CreateUserTokensTable1704067250000 } from './1704067250000-create-user-tokens-table';
import { AddTwoFactorToUsers1704067251000 } from './1704067251000-add-two-factor-to-users';
import { CreateOauthStatesTable1704067216000 } from './1704067216000-create-oauth-states-table';
import { AddParkedGrantToOauthStates1704067260000 } from './1704067260000-add-parked-grant-to-oauth-states';
import { AddSharedWithOrganizationToCalendars1704067261000 } from './1704067261000-add-shared-with-organization-to-calendars';
import { CreateThrottleHitsTable1704067270000 } from './1704067270000-create-throttle-hits-table';
import { AddLastImportStartedAtToIntegrations1704067290000 } from './1704067290000-add-last-import-started-at-to-integrations';
import { CreateInvoicingBookingsTable1704067291000 } from './1704067291000-create-invoicing-bookings-table';
import { CreateAuthRevisionTable1704067292000 } from './1704067292000-create-auth-revision-table';
import { AddWebhookToIntegrations1704067293000 } from './1704067293000-add-webhook-to-integrations';

/**
 * Every migration, oldest first. Listed explicitly (not globbed) so the same list works from
 * tsc's CommonJS output, from Jest and from the CLI. New migrations are appended, never edited.
 */
export const migrations = [
  CreateUsersTable1704067200000,
  CreateOrganizationsTable1704067201000,
  CreateOrganizationUserTable1704067202000,
  CreateInvitationsTable1704067203000,
  CreateIntegrationsTable1704067204000,
  CreateCalendarsTable1704067205000,
  CreateClientsTable1704067206000,
  CreateProjectsTable1704067207000,
  CreateTimeBlocksTable1704067208000,
  CreateAuditLogsTable1704067209000,
  CreateJobsTable1704067210000,
  CreateApiTokensTable1704067211000,
  AddRevokedAtToInvitations1704067212000,
  AddSyncVersionToTimeBlocks1704067213000,
  CreateCalendarFeedsTable1704067214000,
  CreateOauthStatesTable1704067216000,
  AddCalendarSyncState1704067217000,
  AddTwoWayCalendarSync1704067218000,
  AddSyncLeaseKind1704067219000,
  AddTimeBlockApproval1704067225000,
  AddInvoicingSyncState1704067230000,
  CreateUserTokensTable1704067250000,
  AddTwoFactorToUsers1704067251000,
  AddParkedGrantToOauthStates1704067260000,
  AddSharedWithOrganizationToCalendars1704067261000,
  CreateThrottleHitsTable1704067270000,
  AddLastImportStartedAtToIntegrations1704067290000,
  CreateInvoicingBookingsTable1704067291000,
  CreateAuthRevisionTable1704067292000,
  AddWebhookToIntegrations1704067293000,
];
