import { Column, Entity, JoinColumn, ManyToOne, Relation } from 'typeorm';
import { Calendar } from '../calendars/calendar.entity';
import { BooleanColumn, DateTimeColumn, ForeignIdColumn, IdColumn } from '../database/columns';
import { TimestampedEntity } from '../database/timestamped.entity';
import { Organization } from '../organizations/organization.entity';
import { User } from '../users/user.entity';

export const SHOW_AS = ['busy', 'free'] as const;
export type ShowAs = (typeof SHOW_AS)[number];

/**
 * Table `calendar_events`: an event of a read/both calendar that danwel did not make (a meeting,
 * a dentist appointment) — busy time shown beside the blocks. `userId` is the member whose account
 * holds the calendar. danwel's own events are blocks and never stored here.
 */
@Entity({ name: 'calendar_events' })
export class CalendarEvent extends TimestampedEntity {
  @IdColumn()
  id!: number;

  @ForeignIdColumn('organization_id')
  organizationId!: number;

  @ManyToOne(() => Organization, { onDelete: 'CASCADE' })
  @JoinColumn({
    name: 'organization_id',
    foreignKeyConstraintName: 'fk_calendar_events_organization_id',
  })
  organization?: Relation<Organization>;

  @ForeignIdColumn('calendar_id')
  calendarId!: number;

  @ManyToOne(() => Calendar, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'calendar_id', foreignKeyConstraintName: 'fk_calendar_events_calendar_id' })
  calendar?: Relation<Calendar>;

  @ForeignIdColumn('user_id')
  userId!: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_calendar_events_user_id' })
  user?: Relation<User>;

  @Column({ name: 'external_id', type: 'varchar', length: 255 })
  externalId!: string;

  @Column({ type: 'varchar', length: 255 })
  title!: string;

  @DateTimeColumn('start_time', { nullable: false })
  startTime!: Date;

  @DateTimeColumn('end_time', { nullable: false })
  endTime!: Date;

  @BooleanColumn('is_all_day', { default: false, nullable: true })
  isAllDay!: boolean | null;

  @Column({
    name: 'show_as',
    type: 'simple-enum',
    enum: [...SHOW_AS],
    nullable: true,
    default: 'busy',
  })
  showAs!: ShowAs | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  timezone!: string | null;

  @DateTimeColumn('provider_updated_at')
  providerUpdatedAt!: Date | null;
}
