import { Column, Entity, JoinColumn, ManyToOne, Relation } from 'typeorm';
import { BooleanColumn, DateTimeColumn, ForeignIdColumn, IdColumn } from '../database/columns';
import { TimestampedEntity } from '../database/timestamped.entity';
import { Integration } from '../integrations/integration.entity';
import { Organization } from '../organizations/organization.entity';

/** `read`: pulled into danwel; `write`: blocks pushed out; `both`. */
export const CALENDAR_SYNC_DIRECTIONS = ['read', 'write', 'both'] as const;
export type CalendarSyncDirection = (typeof CALENDAR_SYNC_DIRECTIONS)[number];

/** Table `calendars`: one calendar of a calendar integration (Google/Microsoft calendar id). */
@Entity({ name: 'calendars' })
export class Calendar extends TimestampedEntity {
  @IdColumn()
  id!: number;

  @ForeignIdColumn('organization_id')
  organizationId!: number;

  @ManyToOne(() => Organization, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'organization_id', foreignKeyConstraintName: 'fk_calendars_organization_id' })
  organization?: Relation<Organization>;

  @ForeignIdColumn('integration_id')
  integrationId!: number;

  @ManyToOne(() => Integration, (integration) => integration.calendars, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'integration_id', foreignKeyConstraintName: 'fk_calendars_integration_id' })
  integration?: Relation<Integration>;

  @Column({ name: 'external_id', type: 'varchar', length: 255 })
  externalId!: string;

  @Column({ type: 'varchar', length: 255 })
  name!: string;

  @Column({ type: 'varchar', length: 20, nullable: true })
  color!: string | null;

  @BooleanColumn('is_primary', { default: false, nullable: true })
  isPrimary!: boolean | null;

  @BooleanColumn('is_enabled', { default: true, nullable: true })
  isEnabled!: boolean | null;

  /** The account's owner lets colleagues put their blocks on it too (a team calendar). */
  @BooleanColumn('shared_with_organization', { default: false })
  sharedWithOrganization!: boolean;

  @Column({
    name: 'sync_direction',
    type: 'simple-enum',
    enum: [...CALENDAR_SYNC_DIRECTIONS],
    nullable: true,
    default: 'both',
  })
  syncDirection!: CalendarSyncDirection | null;

  /** Where the last pull ended: Google `nextSyncToken`, Graph delta link. Null: read in full. */
  @Column({ name: 'sync_cursor', type: 'text', nullable: true })
  syncCursor!: string | null;

  /** When the calendar is pulled next (a push notification sets it to now). */
  @DateTimeColumn('next_pull_at')
  nextPullAt!: Date | null;

  @DateTimeColumn('last_pulled_at')
  lastPulledAt!: Date | null;

  /** The push channel: Google watch channel id / Graph subscription id, and Google's resource id. */
  @Column({ name: 'push_channel_id', type: 'varchar', length: 255, nullable: true })
  pushChannelId!: string | null;

  @Column({ name: 'push_resource_id', type: 'varchar', length: 255, nullable: true })
  pushResourceId!: string | null;

  /** SHA-256 of the secret every notification carries (channel token / clientState). */
  @Column({ name: 'push_secret_hash', type: 'varchar', length: 64, nullable: true })
  pushSecretHash!: string | null;

  @DateTimeColumn('push_expires_at')
  pushExpiresAt!: Date | null;
}
