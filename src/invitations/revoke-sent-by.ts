import { EntityManager, IsNull, MoreThan } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { currentTimestamp } from '../database/timestamped.entity';
import { Invitation } from './invitation.entity';

/**
 * Revokes the pending invitations someone sent in an organization, when they leave it or stop
 * being allowed to invite (removed, left, demoted below admin): an invitation speaks for its
 * sender, and should not let people in on the word of someone who no longer could.
 */
export async function revokeInvitationsSentBy(
  manager: EntityManager,
  audit: AuditService,
  organizationId: number,
  inviterId: number,
  reason: 'member_removed' | 'member_left' | 'role_changed',
): Promise<void> {
  const pending = await manager.findBy(Invitation, {
    organizationId,
    invitedById: inviterId,
    acceptedAt: IsNull(),
    revokedAt: IsNull(),
    expiresAt: MoreThan(new Date()),
  });
  for (const invitation of pending) {
    await manager.update(Invitation, { id: invitation.id }, { revokedAt: currentTimestamp() });
    await audit.record(manager, {
      action: 'invitation.revoked',
      organizationId,
      auditable: { type: 'invitation', id: invitation.id },
      oldValues: { email: invitation.email, role: invitation.role },
      newValues: { reason },
    });
  }
}
