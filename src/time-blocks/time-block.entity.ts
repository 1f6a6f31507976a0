import { Column, DeleteDateColumn, Entity, JoinColumn, ManyToOne, Relation } from 'typeorm';
import { BooleanColumn, DateTimeColumn, ForeignIdColumn, IdColumn } from '../database/columns';
import { TimestampedEntity } from '../database/timestamped.entity';
import { Calendar } from '../calendars/calendar.entity';
import { Client } from '../clients/client.entity';
import { Organization } from '../organizations/organization.entity';
import { Project } from '../projects/project.entity';
import { User } from '../users/user.entity';

export const SYNC_STATUSES = ['pending', 'synced', 'error', 'disabled'] as const;
export type SyncStatus = (typeof SYNC_STATUSES)[number];

export const APPROVAL_STATUSES = ['pending', 'approved', 'rejected', 'sent_to_billing'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

/**
 * Table `time_blocks`: the core entity. `[startTime, endTime)` is a half-open UTC interval;
 * `timezone` is the IANA zone it was planned in. Soft-deleted so that the external calendar
 * event and invoicing entry can be removed before the row is purged.
 */
@Entity({ name: 'time_blocks' })
export class TimeBlock extends TimestampedEntity {
  @IdColumn()
  id!: number;

  @ForeignIdColumn('organization_id')
  organizationId!: number;

  @ManyToOne(() => Organization, { onDelete: 'CASCADE' })
  @JoinColumn({
    name: 'organization_id',
    foreignKeyConstraintName: 'fk_time_blocks_organization_id',
  })
  organization?: Relation<Organization>;

  /** The member who owns the block. */
  @ForeignIdColumn('user_id')
  userId!: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_time_blocks_user_id' })
  user?: Relation<User>;

  /** The calendar the block is pushed to. */
  @ForeignIdColumn('calendar_id', { nullable: true })
  calendarId!: number | null;

  @ManyToOne(() => Calendar, { nullable: true, onDelete: 'SET NULL' })
  @JoinColumn({ name: 'calendar_id', foreignKeyConstraintName: 'fk_time_blocks_calendar_id' })
  calendar?: Relation<Calendar> | null;

  /**
   * The calendar that holds `externalCalendarEventId`. It differs from `calendarId` while a move
   * (or a removal of the calendar) waits to be pushed: the old event is deleted first.
   */
  @ForeignIdColumn('synced_calendar_id', { nullable: true })
  syncedCalendarId!: number | null;

  @ManyToOne(() => Calendar, { nullable: true, onDelete: 'SET NULL' })
  @JoinColumn({
    name: 'synced_calendar_id',
    foreignKeyConstraintName: 'fk_time_blocks_synced_calendar_id',
  })
  syncedCalendar?: Relation<Calendar> | null;

  @Column({ name: 'external_calendar_event_id', type: 'varchar', length: 255, nullable: true })
  externalCalendarEventId!: string | null;

  @Column({ name: 'external_invoicing_entry_id', type: 'varchar', length: 255, nullable: true })
  externalInvoicingEntryId!: string | null;

  @Column({ type: 'varchar', length: 255 })
  title!: string;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  @DateTimeColumn('start_time', { nullable: false })
  startTime!: Date;

  @DateTimeColumn('end_time', { nullable: false })
  endTime!: Date;

  @Column({ type: 'varchar', length: 64 })
  timezone!: string;

  @Column({ type: 'varchar', length: 20, nullable: true })
  color!: string | null;

  @ForeignIdColumn('client_id', { nullable: true })
  clientId!: number | null;

  @ManyToOne(() => Client, { nullable: true, onDelete: 'SET NULL' })
  @JoinColumn({ name: 'client_id', foreignKeyConstraintName: 'fk_time_blocks_client_id' })
  client?: Relation<Client> | null;

  @ForeignIdColumn('project_id', { nullable: true })
  projectId!: number | null;

  @ManyToOne(() => Project, { nullable: true, onDelete: 'SET NULL' })
  @JoinColumn({ name: 'project_id', foreignKeyConstraintName: 'fk_time_blocks_project_id' })
  project?: Relation<Project> | null;

  @BooleanColumn('is_billable', { default: true, nullable: true })
  isBillable!: boolean | null;

  @Column({
    name: 'calendar_sync_status',
    type: 'simple-enum',
    enum: [...SYNC_STATUSES],
    nullable: true,
    default: 'pending',
  })
  calendarSyncStatus!: SyncStatus | null;

  @Column({
    name: 'invoicing_sync_status',
    type: 'simple-enum',
    enum: [...SYNC_STATUSES],
    nullable: true,
    default: 'disabled',
  })
  invoicingSyncStatus!: SyncStatus | null;

  @DateTimeColumn('last_synced_at')
  lastSyncedAt!: Date | null;

  @Column({ name: 'sync_error', type: 'text', nullable: true })
  syncError!: string | null;

  /**
   * Bumped by every change that marks the block for syncing, in the same transaction. The worker
   * pushes the version it read and writes the result back only while the row still has it.
   */
  @Column({ name: 'sync_version', type: 'int', default: 0 })
  syncVersion!: number;

  /**
   * Digest of the title and times last written to the provider's event: a pull that finds the
   * event unchanged since then is danwel's own write, not an external edit (no echo).
   */
  @Column({ name: 'synced_hash', type: 'varchar', length: 64, nullable: true })
  syncedHash!: string | null;

  /** Retryable failures in a row of the calendar push; reset when the block syncs or changes. */
  @Column({ name: 'sync_attempts', type: 'int', default: 0 })
  syncAttempts!: number;

  /** Not before this time does the reconciler try the block again (backoff). */
  @DateTimeColumn('sync_retry_at')
  syncRetryAt!: Date | null;

  /*
   * The invoicing target's counterparts of the calendar columns above (`invoicing_sync_status`
   * and `external_invoicing_entry_id` are with them): per-target columns, see
   * docs/architecture.md, "Sync state".
   */

  @Column({ name: 'invoicing_sync_version', type: 'int', default: 0 })
  invoicingSyncVersion!: number;

  @Column({ name: 'invoicing_sync_error', type: 'text', nullable: true })
  invoicingSyncError!: string | null;

  @Column({ name: 'invoicing_sync_attempts', type: 'int', default: 0 })
  invoicingSyncAttempts!: number;

  @DateTimeColumn('invoicing_sync_retry_at')
  invoicingSyncRetryAt!: Date | null;

  /** Digest of what was last written to the invoicing entry. */
  @Column({ name: 'invoicing_synced_hash', type: 'varchar', length: 64, nullable: true })
  invoicingSyncedHash!: string | null;

  /** Where the block is in review before billing (src/time-blocks/approval/approval-rules.ts). */
  @Column({
    name: 'approval_status',
    type: 'simple-enum',
    enum: [...APPROVAL_STATUSES],
    default: 'pending',
  })
  approvalStatus!: ApprovalStatus;

  @ForeignIdColumn('approved_by', { nullable: true })
  approvedBy!: number | null;

  @ManyToOne(() => User, { nullable: true, onDelete: 'SET NULL' })
  @JoinColumn({ name: 'approved_by', foreignKeyConstraintName: 'fk_time_blocks_approved_by' })
  approver?: Relation<User> | null;

  @DateTimeColumn('approved_at')
  approvedAt!: Date | null;

  @Column({ name: 'rejection_note', type: 'text', nullable: true })
  rejectionNote!: string | null;

  /** The provider's invoice the block's entry is on, once it is sent to billing. */
  @Column({ name: 'invoice_reference', type: 'varchar', length: 255, nullable: true })
  invoiceReference!: string | null;

  @DeleteDateColumn({ name: 'deleted_at', type: 'datetime', nullable: true })
  deletedAt!: Date | null;
}
