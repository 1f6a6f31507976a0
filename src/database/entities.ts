import { CalendarEvent } from '../calendar-events/calendar-event.entity';
import { ApiToken } from '../auth/api-token.entity';
import { UserToken } from '../auth/user-token.entity';
import { AuditLog } from '../audit/audit-log.entity';
import { Calendar } from '../calendars/calendar.entity';
import { CalendarFeed } from '../ical-feeds/calendar-feed.entity';
import { Client } from '../clients/client.entity';
import { Integration } from '../integrations/integration.entity';
import { InvoicingBooking } from '../integrations/invoicing-booking.entity';
import { OAuthState } from '../integrations/oauth-state.entity';
import { Invitation } from '../invitations/invitation.entity';
import { OrganizationMember } from '../organizations/organization-member.entity';
import { Organization } from '../organizations/organization.entity';
import { Job } from '../jobs/job.entity';
import { Project } from '../projects/project.entity';
import { TimeBlock } from '../time-blocks/time-block.entity';
import { User } from '../users/user.entity';
import { ThrottleHit } from '../common/rate-limit/throttle-hit.entity';

/**
 * Every entity, listed explicitly (no globs: the same list serves tsc's output, Jest and the CLI).
 * Indexes and foreign keys are the migrations' business; entities describe columns and relations.
 */
export const entities = [
  User,
  Organization,
  OrganizationMember,
  Invitation,
  Integration,
  Calendar,
  Client,
  Project,
  TimeBlock,
  AuditLog,
  Job,
  ApiToken,
  CalendarFeed,
  OAuthState,
  CalendarEvent,
  UserToken,
  ThrottleHit,
  InvoicingBooking,
];
