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

/** clients: created locally or synced from an invoicing integration (then `external_id` is set). */
export class CreateClientsTable1704067206000 implements MigrationInterface {
  name = 'CreateClientsTable1704067206000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'clients',
        columns: [
          id(queryRunner),
          foreignId(queryRunner, 'organization_id'),
          foreignId(queryRunner, 'integration_id', { nullable: true }),
          { name: 'external_id', type: 'varchar', length: '255', isNullable: true },
          { name: 'name', type: 'varchar', length: '255', isNullable: false },
          { name: 'email', type: 'varchar', length: '255', isNullable: true },
          json('metadata'),
          boolean('is_active', { default: true }),
          ...timestamps(queryRunner),
        ],
        indices: [
          // The base schema's idx_org_external, qualified with the table: projects has one of the same
          // name, and SQLite index names are global (see support/schema.ts).
          new TableIndex({
            name: 'idx_clients_org_external',
            columnNames: ['organization_id', 'external_id'],
          }),
          new TableIndex({ name: 'idx_org_active', columnNames: ['organization_id', 'is_active'] }),
          // Not in the base schema: every foreign key is indexed.
          foreignKeyIndex('clients', 'integration_id'),
        ],
        foreignKeys: [
          foreignKey('clients', 'organization_id', 'organizations', 'CASCADE'),
          foreignKey('clients', 'integration_id', 'integrations', 'SET NULL'),
        ],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('clients');
  }
}
