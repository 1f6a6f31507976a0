import { User } from './user.entity';

/** The public shape of a user (never the password or remember token). */
export function presentUser(user: User) {
  return {
    id: user.id,
    name: user.name,
    email: user.email,
    email_verified_at: user.emailVerifiedAt?.toISOString() ?? null,
    two_factor_enabled: user.twoFactorConfirmedAt != null,
    timezone: user.timezone,
    work_days: user.workDays,
    work_hours_start: user.workHoursStart,
    work_hours_end: user.workHoursEnd,
    preferences: user.preferences ?? {},
    current_organization_id: user.currentOrganizationId,
    created_at: user.createdAt?.toISOString() ?? null,
  };
}
