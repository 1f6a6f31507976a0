import { BeforeInsert, Column, Entity, JoinColumn, ManyToOne, Relation } from 'typeorm';
import { DateTimeColumn, ForeignIdColumn, IdColumn, JsonColumn } from '../database/columns';
import { currentTimestamp } from '../database/timestamped.entity';
import { Organization } from '../organizations/organization.entity';
import { User } from '../users/user.entity';

/**
 * Table `audit_logs`: append-only, so only `created_at`. The base schema gives organization_id and
 * user_id no foreign keys (a trail must outlive what it describes), so the relations below are
 * for joins only and declare no constraint.
 */
@Entity({ name: 'audit_logs' })
export class AuditLog {
  @IdColumn()
  id!: number;

  /** NULL for system events. */
  @ForeignIdColumn('organization_id', { nullable: true })
  organizationId!: number | null;

  @ManyToOne(() => Organization, { nullable: true, createForeignKeyConstraints: false })
  @JoinColumn({ name: 'organization_id' })
  organization?: Relation<Organization> | null;

  @ForeignIdColumn('user_id', { nullable: true })
  userId!: number | null;

  @ManyToOne(() => User, { nullable: true, createForeignKeyConstraints: false })
  @JoinColumn({ name: 'user_id' })
  user?: Relation<User> | null;

  /** e.g. `time_block.created`. */
  @Column({ type: 'varchar', length: 100 })
  action!: string;

  /** What the entry is about: a table/entity name and its id (a polymorphic reference). */
  @Column({ name: 'auditable_type', type: 'varchar', length: 255, nullable: true })
  auditableType!: string | null;

  @ForeignIdColumn('auditable_id', { nullable: true })
  auditableId!: number | null;

  @JsonColumn('old_values')
  oldValues!: Record<string, unknown> | null;

  @JsonColumn('new_values')
  newValues!: Record<string, unknown> | null;

  /** Up to 45 characters: the longest textual IPv6 (with an embedded IPv4). */
  @Column({ name: 'ip_address', type: 'varchar', length: 45, nullable: true })
  ipAddress!: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 500, nullable: true })
  userAgent!: string | null;

  /** Who acted when no signed-in user did: `sync:google_calendar`, `sync:office365`. */
  @Column({ type: 'varchar', length: 100, nullable: true })
  actor!: string | null;

  @DateTimeColumn('created_at')
  createdAt!: Date | null;

  @BeforeInsert()
  protected stampCreation(): void {
    this.createdAt ??= currentTimestamp();
  }
}
