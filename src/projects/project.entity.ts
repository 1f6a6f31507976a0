import { Column, Entity, JoinColumn, ManyToOne, Relation } from 'typeorm';
import {
  BooleanColumn,
  DecimalColumn,
  ForeignIdColumn,
  IdColumn,
  JsonColumn,
} from '../database/columns';
import { TimestampedEntity } from '../database/timestamped.entity';
import { Client } from '../clients/client.entity';
import { Integration } from '../integrations/integration.entity';
import { Organization } from '../organizations/organization.entity';

/** Table `projects`: optionally under a client; local or synced from invoicing. */
@Entity({ name: 'projects' })
export class Project extends TimestampedEntity {
  @IdColumn()
  id!: number;

  @ForeignIdColumn('organization_id')
  organizationId!: number;

  @ManyToOne(() => Organization, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'organization_id', foreignKeyConstraintName: 'fk_projects_organization_id' })
  organization?: Relation<Organization>;

  @ForeignIdColumn('client_id', { nullable: true })
  clientId!: number | null;

  @ManyToOne(() => Client, { nullable: true, onDelete: 'SET NULL' })
  @JoinColumn({ name: 'client_id', foreignKeyConstraintName: 'fk_projects_client_id' })
  client?: Relation<Client> | null;

  @ForeignIdColumn('integration_id', { nullable: true })
  integrationId!: number | null;

  @ManyToOne(() => Integration, { nullable: true, onDelete: 'SET NULL' })
  @JoinColumn({ name: 'integration_id', foreignKeyConstraintName: 'fk_projects_integration_id' })
  integration?: Relation<Integration> | null;

  @Column({ name: 'external_id', type: 'varchar', length: 255, nullable: true })
  externalId!: string | null;

  @Column({ type: 'varchar', length: 255 })
  name!: string;

  @Column({ type: 'varchar', length: 20, nullable: true })
  color!: string | null;

  /** A decimal string such as `"85.00"`: money is never a float. */
  @DecimalColumn('hourly_rate', { precision: 10, scale: 2 })
  hourlyRate!: string | null;

  @JsonColumn('metadata')
  metadata!: Record<string, unknown> | null;

  @BooleanColumn('is_active', { default: true, nullable: true })
  isActive!: boolean | null;
}
