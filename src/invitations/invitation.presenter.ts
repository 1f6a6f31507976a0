import { Invitation } from './invitation.entity';
import { invitationStatus } from './invitations.service';

/** Admin view of an invitation. The token is never returned: it only travels by email. */
export function presentInvitation(invitation: Invitation) {
  return {
    id: invitation.id,
    email: invitation.email,
    role: invitation.role,
    status: invitationStatus(invitation),
    invited_by: invitation.invitedById,
    expires_at: invitation.expiresAt.toISOString(),
    accepted_at: invitation.acceptedAt?.toISOString() ?? null,
    revoked_at: invitation.revokedAt?.toISOString() ?? null,
    created_at: invitation.createdAt?.toISOString() ?? null,
  };
}
