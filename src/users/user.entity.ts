import { Column, Entity, JoinColumn, ManyToOne, OneToMany, Relation } from 'typeorm';
import { DateTimeColumn, ForeignIdColumn, IdColumn, JsonColumn } from '../database/columns';
import { TimestampedEntity } from '../database/timestamped.entity';
import { Organization } from '../organizations/organization.entity';
import { OrganizationMember } from '../organizations/organization-member.entity';

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** Table `users`. Nullable-with-default columns stay nullable here, as they are in the schema. */
@Entity({ name: 'users' })
export class User extends TimestampedEntity {
  @IdColumn()
  id!: number;

  @Column({ type: 'varchar', length: 255 })
  name!: string;

  @Column({ type: 'varchar', length: 255 })
  email!: string;

  @DateTimeColumn('email_verified_at')
  emailVerifiedAt!: Date | null;

  /** An argon2id hash, never the password itself. */
  @Column({ type: 'varchar', length: 255 })
  password!: string;

  /** The user's IANA timezone, e.g. `Europe/Amsterdam`. */
  @Column({ type: 'varchar', length: 64, nullable: true, default: 'UTC' })
  timezone!: string | null;

  @JsonColumn('work_days', { default: () => `('["mon","tue","wed","thu","fri"]')` })
  workDays!: Weekday[] | null;

  /** `HH:MM:SS`, the start of the calendar view. */
  @Column({ name: 'work_hours_start', type: 'time', nullable: true, default: '08:00:00' })
  workHoursStart!: string | null;

  @Column({ name: 'work_hours_end', type: 'time', nullable: true, default: '18:00:00' })
  workHoursEnd!: string | null;

  @JsonColumn('preferences')
  preferences!: Record<string, unknown> | null;

  /** The organization last switched to. */
  @ForeignIdColumn('current_organization_id', { nullable: true })
  currentOrganizationId!: number | null;

  @ManyToOne(() => Organization, { nullable: true, onDelete: 'SET NULL' })
  @JoinColumn({
    name: 'current_organization_id',
    foreignKeyConstraintName: 'fk_users_current_organization_id',
  })
  currentOrganization?: Relation<Organization> | null;

  @Column({ name: 'remember_token', type: 'varchar', length: 100, nullable: true })
  rememberToken!: string | null;

  /** The TOTP secret, encrypted; login needs a code once `twoFactorConfirmedAt` is set. */
  @Column({ name: 'two_factor_secret', type: 'text', nullable: true, select: false })
  twoFactorSecret?: string | null;

  @DateTimeColumn('two_factor_confirmed_at')
  twoFactorConfirmedAt!: Date | null;

  /** SHA-256 digests of the unused recovery codes. */
  @JsonColumn('two_factor_recovery_codes', { select: false })
  twoFactorRecoveryCodes?: string[] | null;

  /** The TOTP time step last accepted: a code works once. */
  @Column({ name: 'two_factor_last_step', type: 'int', nullable: true, select: false })
  twoFactorLastStep?: number | null;

  @OneToMany(() => OrganizationMember, (membership) => membership.user)
  memberships?: Relation<OrganizationMember>[];
}
