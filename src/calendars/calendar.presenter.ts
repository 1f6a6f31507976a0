import { Membership } from '../auth/authenticated-user';
import { canSeeAccount } from '../integrations/integration-access';
import { needsReconnect } from '../integrations/integration.presenter';
import { isWritable } from './calendar-blocks';
import { isUsableBy } from './calendar-use';
import { Calendar } from './calendar.entity';

/**
 * A calendar as the API shows it, with the account it belongs to (never a token) and the member
 * who connected that account. `is_writable` says whether blocks can be planned onto it now;
 * `usable`, whether the viewer can plan their own blocks onto it (theirs, or shared with the
 * organization). The account's e-mail address is shown only to those `canSeeAccount` allows.
 * Expects `integration` and `integration.connectedBy` loaded (`CalendarsService`).
 */
export function presentCalendar(calendar: Calendar, viewer: Membership) {
  const integration = calendar.integration!;
  const owner = integration.connectedBy;
  return {
    id: calendar.id,
    name: calendar.name,
    color: calendar.color,
    is_primary: calendar.isPrimary === true,
    is_enabled: calendar.isEnabled === true,
    sync_direction: calendar.syncDirection,
    is_writable: isWritable(calendar),
    shared_with_organization: calendar.sharedWithOrganization === true,
    usable: isUsableBy(calendar, viewer.userId),
    external_id: calendar.externalId,
    integration: {
      id: integration.id,
      provider: integration.provider,
      provider_account_email: canSeeAccount(viewer, integration)
        ? integration.providerAccountEmail
        : null,
      is_active: integration.isActive !== false,
      needs_reconnect: needsReconnect(integration),
    },
    owner: owner ? { id: owner.id, name: owner.name } : null,
    created_at: calendar.createdAt?.toISOString() ?? null,
    updated_at: calendar.updatedAt?.toISOString() ?? null,
  };
}
