import { Column, Entity, JoinColumn, ManyToOne, Relation } from 'typeorm';
import { DateTimeColumn, ForeignIdColumn, IdColumn } from '../database/columns';
import { TimestampedEntity } from '../database/timestamped.entity';
import { User } from '../users/user.entity';
import { Organization } from './organization.entity';

/** Highest first: owner > admin > member > viewer. */
export const ORGANIZATION_ROLES = ['owner', 'admin', 'member', 'viewer'] as const;
export type OrganizationRole = (typeof ORGANIZATION_ROLES)[number];

/** Table `organization_user`: a user's membership of an organization, with a role. */
@Entity({ name: 'organization_user' })
export class OrganizationMember extends TimestampedEntity {
  @IdColumn()
  id!: number;

  @ForeignIdColumn('organization_id')
  organizationId!: number;

  @ManyToOne(() => Organization, (organization) => organization.members, { onDelete: 'CASCADE' })
  @JoinColumn({
    name: 'organization_id',
    foreignKeyConstraintName: 'fk_organization_user_organization_id',
  })
  organization?: Relation<Organization>;

  @ForeignIdColumn('user_id')
  userId!: number;

  @ManyToOne(() => User, (user) => user.memberships, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_organization_user_user_id' })
  user?: Relation<User>;

  @Column({ type: 'simple-enum', enum: [...ORGANIZATION_ROLES], default: 'member' })
  role!: OrganizationRole;

  @DateTimeColumn('invited_at')
  invitedAt!: Date | null;

  @DateTimeColumn('joined_at')
  joinedAt!: Date | null;
}
