import {
  Column,
  DeleteDateColumn,
  Entity,
  JoinColumn,
  ManyToOne,
  OneToMany,
  Relation,
} from 'typeorm';
import { DateTimeColumn, ForeignIdColumn, IdColumn, JsonColumn } from '../database/columns';
import { TimestampedEntity } from '../database/timestamped.entity';
import { User } from '../users/user.entity';
import { OrganizationMember } from './organization-member.entity';

export const SUBSCRIPTION_STATUSES = ['trial', 'active', 'canceled', 'past_due'] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

/** Table `organizations`: the tenant. Soft-deleted (`deleted_at`). */
@Entity({ name: 'organizations' })
export class Organization extends TimestampedEntity {
  @IdColumn()
  id!: number;

  @Column({ type: 'varchar', length: 255 })
  name!: string;

  @Column({ type: 'varchar', length: 255 })
  slug!: string;

  @ForeignIdColumn('owner_id', { nullable: true })
  ownerId!: number | null;

  @ManyToOne(() => User, { nullable: true, onDelete: 'SET NULL' })
  @JoinColumn({ name: 'owner_id', foreignKeyConstraintName: 'fk_organizations_owner_id' })
  owner?: Relation<User> | null;

  @JsonColumn('settings')
  settings!: Record<string, unknown> | null;

  @Column({ type: 'varchar', length: 64, nullable: true, default: 'UTC' })
  timezone!: string | null;

  @Column({ name: 'billing_email', type: 'varchar', length: 255, nullable: true })
  billingEmail!: string | null;

  @Column({
    name: 'subscription_status',
    type: 'simple-enum',
    enum: [...SUBSCRIPTION_STATUSES],
    nullable: true,
    default: 'trial',
  })
  subscriptionStatus!: SubscriptionStatus | null;

  @DateTimeColumn('trial_ends_at')
  trialEndsAt!: Date | null;

  @DeleteDateColumn({ name: 'deleted_at', type: 'datetime', nullable: true })
  deletedAt!: Date | null;

  @OneToMany(() => OrganizationMember, (membership) => membership.organization)
  members?: Relation<OrganizationMember>[];
}
