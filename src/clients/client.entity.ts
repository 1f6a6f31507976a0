import { Column, Entity, JoinColumn, ManyToOne, Relation } from 'typeorm';
import { BooleanColumn, ForeignIdColumn, IdColumn, JsonColumn } from '../database/columns';
import { TimestampedEntity } from '../database/timestamped.entity';
import { Integration } from '../integrations/integration.entity';
import { Organization } from '../organizations/organization.entity';

/** Table `clients`: local (`integrationId` null) or synced from an invoicing integration. */
@Entity({ name: 'clients' })
export class Client extends TimestampedEntity {
  @IdColumn()
  id!: number;

  @ForeignIdColumn('organization_id')
  organizationId!: number;

  @ManyToOne(() => Organization, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'organization_id', foreignKeyConstraintName: 'fk_clients_organization_id' })
  organization?: Relation<Organization>;

  @ForeignIdColumn('integration_id', { nullable: true })
  integrationId!: number | null;

  @ManyToOne(() => Integration, { nullable: true, onDelete: 'SET NULL' })
  @JoinColumn({ name: 'integration_id', foreignKeyConstraintName: 'fk_clients_integration_id' })
  integration?: Relation<Integration> | null;

  /** The contact's id at the invoicing provider (Moneybird, Harvest, Xero). */
  @Column({ name: 'external_id', type: 'varchar', length: 255, nullable: true })
  externalId!: string | null;

  @Column({ type: 'varchar', length: 255 })
  name!: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  email!: string | null;

  @JsonColumn('metadata')
  metadata!: Record<string, unknown> | null;

  @BooleanColumn('is_active', { default: true, nullable: true })
  isActive!: boolean | null;
}
