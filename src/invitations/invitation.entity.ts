import { Column, Entity, JoinColumn, ManyToOne, Relation } from 'typeorm';
import { DateTimeColumn, ForeignIdColumn, IdColumn } from '../database/columns';
import { TimestampedEntity } from '../database/timestamped.entity';
import { Organization } from '../organizations/organization.entity';
import { User } from '../users/user.entity';

/** An invitation never makes an owner: ownership is transferred, not invited. */
export const INVITATION_ROLES = ['admin', 'member', 'viewer'] as const;
export type InvitationRole = (typeof INVITATION_ROLES)[number];

/**
 * Table `invitations`. `token` holds the SHA-256 hex digest of the token that was mailed (64
 * characters), never the token itself. Column `invited_by` is `invitedById`, so that the
 * relation can be `invitedBy`.
 */
@Entity({ name: 'invitations' })
export class Invitation extends TimestampedEntity {
  @IdColumn()
  id!: number;

  @ForeignIdColumn('organization_id')
  organizationId!: number;

  @ManyToOne(() => Organization, { onDelete: 'CASCADE' })
  @JoinColumn({
    name: 'organization_id',
    foreignKeyConstraintName: 'fk_invitations_organization_id',
  })
  organization?: Relation<Organization>;

  @Column({ type: 'varchar', length: 255 })
  email!: string;

  @Column({ type: 'simple-enum', enum: [...INVITATION_ROLES], default: 'member' })
  role!: InvitationRole;

  @Column({ type: 'varchar', length: 64 })
  token!: string;

  @ForeignIdColumn('invited_by')
  invitedById!: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'invited_by', foreignKeyConstraintName: 'fk_invitations_invited_by' })
  invitedBy?: Relation<User>;

  @DateTimeColumn('expires_at', { nullable: false })
  expiresAt!: Date;

  @DateTimeColumn('accepted_at')
  acceptedAt!: Date | null;

  /** Added by migration AddRevokedAtToInvitations: a revoked link stays explainable. */
  @DateTimeColumn('revoked_at')
  revokedAt!: Date | null;
}
