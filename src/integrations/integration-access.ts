import { EntityManager, SelectQueryBuilder } from 'typeorm';
import { Membership } from '../auth/authenticated-user';
import { can } from '../auth/permissions';
import { Integration } from './integration.entity';

/**
 * Whether the caller may see which provider account an integration is (its e-mail address): the
 * member who connected it, and those who see every integration (admins and owners). Colleagues
 * see only that a calendar exists and whose it is.
 */
export function canSeeAccount(
  membership: Membership,
  integration: Pick<Integration, 'connectedById'>,
): boolean {
  return (
    can(membership.role, 'integrations:view:all') || integration.connectedById === membership.userId
  );
}

/**
 * Who may change a calendar account (its calendars' settings, refresh, disconnect): the member who
 * connected it (`integrations:manage:own`) and admins and owners (`integrations:manage:all`).
 */
export function canManageIntegration(
  membership: Membership,
  integration: Pick<Integration, 'connectedById'>,
): boolean {
  if (can(membership.role, 'integrations:manage:all')) return true;
  return (
    can(membership.role, 'integrations:manage:own') &&
    integration.connectedById === membership.userId
  );
}

/**
 * The organization's integrations the caller may manage. Members see only their own integrations
 * (`GET …/integrations`), so someone else's is not found here either: 404, never 403.
 */
export function manageableIntegrations(
  manager: EntityManager,
  membership: Membership,
): SelectQueryBuilder<Integration> {
  const query = membership.scope.query(manager, Integration, 'integration');
  if (!can(membership.role, 'integrations:manage:all')) {
    query.andWhere('integration.connectedById = :managerId', { managerId: membership.userId });
  }
  return query;
}
