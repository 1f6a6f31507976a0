import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import {
  boolean,
  foreignId,
  foreignKey,
  foreignKeyIndex,
  id,
  json,
  timestamps,
} from './support/schema';

/** projects: optionally under a client; created locally or synced from invoicing. */
export class CreateProjectsTable1704067207000 implements MigrationInterface {
  name = 'CreateProjectsTable1704067207000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'projects',
        columns: [
          id(queryRunner),
          foreignId(queryRunner, 'organization_id'),
          foreignId(queryRunner, 'client_id', { nullable: true }),
          foreignId(queryRunner, 'integration_id', { nullable: true }),
          { name: 'external_id', type: 'varchar', length: '255', isNullable: true },
          { name: 'name', type: 'varchar', length: '255', isNullable: false },
          { name: 'color', type: 'varchar', length: '20', isNullable: true },
          { name: 'hourly_rate', type: 'decimal', precision: 10, scale: 2, isNullable: true },
          json('metadata'),
          boolean('is_active', { default: true }),
          ...timestamps(queryRunner),
        ],
        indices: [
          // The base schema's idx_org_external, qualified with the table: clients has one of the same
          // name, and SQLite index names are global (see support/schema.ts).
          new TableIndex({
            name: 'idx_projects_org_external',
            columnNames: ['organization_id', 'external_id'],
          }),
          new TableIndex({ name: 'idx_org_client', columnNames: ['organization_id', 'client_id'] }),
          // Not in the base schema: idx_org_client has client_id second, so neither it nor integration_id
          // leads any index; these index the two foreign keys.
          foreignKeyIndex('projects', 'client_id'),
          foreignKeyIndex('projects', 'integration_id'),
        ],
        foreignKeys: [
          foreignKey('projects', 'organization_id', 'organizations', 'CASCADE'),
          foreignKey('projects', 'client_id', 'clients', 'SET NULL'),
          foreignKey('projects', 'integration_id', 'integrations', 'SET NULL'),
        ],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('projects');
  }
}
