import { OrganizationRole } from '../organizations/organization-member.entity';
import { TenantScope } from '../common/tenancy/tenant-scope';

/** The caller, as the bearer-token guard resolved them. */
export interface AuthenticatedUser {
  id: number;
  email: string;
  name: string;
  /** The API token this request came with (logout revokes it). */
  tokenId: number;
  /** The caller's role in the route's organization, looked up with the token (see the guard). */
  organizationRole?: OrganizationRoleLookup;
}

/** A role of null: not a member, or the organization is deleted. */
export interface OrganizationRoleLookup {
  organizationId: number;
  role: OrganizationRole | null;
  /** The organization requires two-factor for admins and owners, and the caller has none. */
  missingRequiredTwoFactor: boolean;
}

/** The caller's membership of the organization in the route, resolved once per request. */
export interface Membership {
  organizationId: number;
  userId: number;
  role: OrganizationRole;
  /** Queries on tenant tables go through this, so none can forget the organization filter. */
  scope: TenantScope;
}

declare module 'express-serve-static-core' {
  interface Request {
    membership?: Membership;
  }
}
