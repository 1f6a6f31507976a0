import { Column, Entity, JoinColumn, ManyToOne, OneToMany, Relation } from 'typeorm';
import { BooleanColumn, DateTimeColumn, ForeignIdColumn, IdColumn } from '../database/columns';
import { TimestampedEntity } from '../database/timestamped.entity';
import { Calendar } from '../calendars/calendar.entity';
import { Organization } from '../organizations/organization.entity';
import { User } from '../users/user.entity';

export const INTEGRATION_PROVIDER_TYPES = ['calendar', 'invoicing'] as const;
export type IntegrationProviderType = (typeof INTEGRATION_PROVIDER_TYPES)[number];

/** What holds an integration's lease: a sync worker, or a disconnect in progress. */
export type IntegrationLeaseKind = 'sync' | 'disconnect';

/**
 * Table `integrations`: an organization's OAuth connection to one provider account.
 * `provider` is free text in the schema (VARCHAR(50): 'google_calendar', 'office365', …).
 * The token columns hold AES-256-GCM ciphertext; encryption happens above this layer.
 * Column `connected_by` is `connectedById`, so that the relation can be `connectedBy`.
 */
@Entity({ name: 'integrations' })
export class Integration extends TimestampedEntity {
  @IdColumn()
  id!: number;

  @ForeignIdColumn('organization_id')
  organizationId!: number;

  @ManyToOne(() => Organization, { onDelete: 'CASCADE' })
  @JoinColumn({
    name: 'organization_id',
    foreignKeyConstraintName: 'fk_integrations_organization_id',
  })
  organization?: Relation<Organization>;

  @ForeignIdColumn('connected_by')
  connectedById!: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'connected_by', foreignKeyConstraintName: 'fk_integrations_connected_by' })
  connectedBy?: Relation<User>;

  @Column({ type: 'varchar', length: 50 })
  provider!: string;

  @Column({ name: 'provider_type', type: 'simple-enum', enum: [...INTEGRATION_PROVIDER_TYPES] })
  providerType!: IntegrationProviderType;

  @Column({ type: 'varchar', length: 255, nullable: true })
  name!: string | null;

  @Column({ name: 'access_token', type: 'text' })
  accessToken!: string;

  @Column({ name: 'refresh_token', type: 'text', nullable: true })
  refreshToken!: string | null;

  @Column({ name: 'token_metadata', type: 'text', nullable: true })
  tokenMetadata!: string | null;

  @DateTimeColumn('expires_at')
  expiresAt!: Date | null;

  @Column({ name: 'provider_account_id', type: 'varchar', length: 255, nullable: true })
  providerAccountId!: string | null;

  @Column({ name: 'provider_account_email', type: 'varchar', length: 255, nullable: true })
  providerAccountEmail!: string | null;

  @BooleanColumn('is_active', { default: true, nullable: true })
  isActive!: boolean | null;

  @DateTimeColumn('last_sync_at')
  lastSyncAt!: Date | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @Column({ name: 'error_count', type: 'int', nullable: true, default: 0 })
  errorCount!: number | null;

  /** The provider refused the refresh token (`invalid_grant`): the user must connect again. */
  @BooleanColumn('needs_reconnect', { default: false, nullable: true })
  needsReconnect!: boolean | null;

  /**
   * Who holds the integration's lease, what kind of owner that is, and until when
   * (docs/architecture.md, "Integration session").
   */
  @Column({ name: 'sync_lease_owner', type: 'varchar', length: 100, nullable: true })
  syncLeaseOwner!: string | null;

  @Column({ name: 'sync_lease_kind', type: 'varchar', length: 20, nullable: true })
  syncLeaseKind!: IntegrationLeaseKind | null;

  @DateTimeColumn('sync_lease_expires_at')
  syncLeaseExpiresAt!: Date | null;

  /** The whole integration waits until then (throttled, `Retry-After`, provider unavailable). */
  @DateTimeColumn('sync_retry_at')
  syncRetryAt!: Date | null;

  /**
   * When the last applied import of an invoicing integration started: the next one lists only
   * what changed since (`InvoicingImport`).
   */
  @DateTimeColumn('last_import_started_at')
  lastImportStartedAt!: Date | null;

  /**
   * The webhook danwel registered in the provider (Moneybird), and the secret its deliveries
   * carry (AES-GCM, bound to `integrations.webhook_token#id`); null where there is none.
   */
  @Column({ name: 'webhook_id', type: 'varchar', length: 100, nullable: true })
  webhookId!: string | null;

  @Column({ name: 'webhook_token', type: 'text', nullable: true })
  webhookToken!: string | null;

  @OneToMany(() => Calendar, (calendar) => calendar.integration)
  calendars?: Relation<Calendar>[];
}
