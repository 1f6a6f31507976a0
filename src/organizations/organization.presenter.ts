import { OrganizationMember, OrganizationRole } from './organization-member.entity';
import { Organization } from './organization.entity';

export function presentOrganization(organization: Organization, role: OrganizationRole) {
  return {
    id: organization.id,
    name: organization.name,
    slug: organization.slug,
    timezone: organization.timezone,
    billing_email: organization.billingEmail,
    settings: organization.settings ?? {},
    subscription_status: organization.subscriptionStatus,
    trial_ends_at: organization.trialEndsAt?.toISOString() ?? null,
    owner_id: organization.ownerId,
    role,
    created_at: organization.createdAt?.toISOString() ?? null,
    updated_at: organization.updatedAt?.toISOString() ?? null,
  };
}

export function presentMember(membership: OrganizationMember) {
  return {
    user_id: membership.userId,
    name: membership.user?.name ?? null,
    email: membership.user?.email ?? null,
    role: membership.role,
    invited_at: membership.invitedAt?.toISOString() ?? null,
    joined_at: membership.joinedAt?.toISOString() ?? null,
  };
}
