import { Column, Entity, JoinColumn, ManyToOne, Relation } from 'typeorm';
import { DateTimeColumn, ForeignIdColumn, IdColumn } from '../database/columns';
import { TimestampedEntity } from '../database/timestamped.entity';
import { Organization } from '../organizations/organization.entity';
import { User } from '../users/user.entity';

/**
 * Table `calendar_feeds`: a member's secret iCalendar subscription (`GET /ical/<token>.ics`), one
 * per user per organization. `tokenHash` is the SHA-256 hex digest of the token; the token itself
 * is shown once, when created or rotated. `updatedAt` is when the current token was issued:
 * `lastAccessedAt` is written without touching it.
 */
@Entity({ name: 'calendar_feeds' })
export class CalendarFeed extends TimestampedEntity {
  @IdColumn()
  id!: number;

  @ForeignIdColumn('organization_id')
  organizationId!: number;

  @ManyToOne(() => Organization, { onDelete: 'CASCADE' })
  @JoinColumn({
    name: 'organization_id',
    foreignKeyConstraintName: 'fk_calendar_feeds_organization_id',
  })
  organization?: Relation<Organization>;

  @ForeignIdColumn('user_id')
  userId!: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_calendar_feeds_user_id' })
  user?: Relation<User>;

  @Column({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash!: string;

  @DateTimeColumn('last_accessed_at')
  lastAccessedAt!: Date | null;
}
