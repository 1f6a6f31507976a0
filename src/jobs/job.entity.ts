import { Column, Entity } from 'typeorm';
import { DateTimeColumn, ForeignIdColumn, IdColumn, JsonColumn } from '../database/columns';
import { TimestampedEntity } from '../database/timestamped.entity';

@Entity('jobs')
export class Job extends TimestampedEntity {
  @IdColumn()
  id!: number;

  /** Jobs of a deleted organization go with it. */
  @ForeignIdColumn('organization_id', { nullable: true })
  organizationId!: number | null;

  @Column({ type: 'varchar', length: 64, default: 'default' })
  queue!: string;

  @Column({ type: 'varchar', length: 100 })
  type!: string;

  @JsonColumn('payload', { nullable: false })
  payload!: Record<string, unknown>;

  @Column({ type: 'int', default: 0 })
  attempts!: number;

  @Column({ name: 'max_attempts', type: 'int', default: 5 })
  maxAttempts!: number;

  @DateTimeColumn('available_at', { nullable: false })
  availableAt!: Date;

  @Column({ name: 'reserved_by', type: 'varchar', length: 100, nullable: true })
  reservedBy!: string | null;

  @DateTimeColumn('reserved_until')
  reservedUntil!: Date | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @DateTimeColumn('failed_at')
  failedAt!: Date | null;
}
