import { OrganizationRole } from '../organizations/organization-member.entity';

/*
 * The single role → permission table (solidtime's PermissionStore idea). Guards and services ask
 * `can(role, permission)`; nothing else compares roles. `:own` permissions cover the caller's own
 * records, `:all` everyone's in the organization. The README documents this table.
 */

const VIEWER = [
  'organizations:view',
  'members:view',
  'members:leave',
  'clients:view',
  'projects:view',
  'time-blocks:view:all',
  'reports:view',
  'calendars:view',
  'integrations:view:own',
  // A viewer (e.g. demoted) can still end a connection of their own.
  'integrations:disconnect:own',
  'calendar-feed:manage:own',
] as const;

const MEMBER = [
  ...VIEWER,
  'time-blocks:create:own',
  'time-blocks:update:own',
  'time-blocks:delete:own',
  'integrations:connect:own',
  'integrations:manage:own',
] as const;

const ADMIN = [
  ...MEMBER,
  'organizations:update',
  'members:update',
  'members:remove',
  'invitations:view',
  'invitations:create',
  'invitations:revoke',
  'audit-logs:view',
  'clients:manage',
  'projects:manage',
  'time-blocks:create:all',
  'time-blocks:update:all',
  'time-blocks:delete:all',
  'time-blocks:approve',
  'integrations:view:all',
  'integrations:manage:all',
  // The organization's invoicing system: connect it, choose its account, import from it.
  'integrations:connect:invoicing',
] as const;

const OWNER = [...ADMIN, 'organizations:delete', 'organizations:transfer-ownership'] as const;

export type Permission = (typeof OWNER)[number];

export const ROLE_PERMISSIONS: Record<OrganizationRole, ReadonlySet<Permission>> = {
  owner: new Set(OWNER),
  admin: new Set(ADMIN),
  member: new Set(MEMBER),
  viewer: new Set(VIEWER),
};

export function can(role: OrganizationRole, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].has(permission);
}

/** Roles ordered by rank, highest first; an actor may only act on members ranked below. */
export const ROLE_RANK: Record<OrganizationRole, number> = {
  owner: 4,
  admin: 3,
  member: 2,
  viewer: 1,
};
