import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { boolean, enumeration, foreignId, foreignKey, id, timestamps } from './support/schema';

/** calendars: the calendars one calendar integration exposes, each enabled or not. */
export class CreateCalendarsTable1704067205000 implements MigrationInterface {
  name = 'CreateCalendarsTable1704067205000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'calendars',
        columns: [
          id(queryRunner),
          foreignId(queryRunner, 'organization_id'),
          foreignId(queryRunner, 'integration_id'),
          { name: 'external_id', type: 'varchar', length: '255', isNullable: false },
          { name: 'name', type: 'varchar', length: '255', isNullable: false },
          { name: 'color', type: 'varchar', length: '20', isNullable: true },
          boolean('is_primary', { default: false }),
          boolean('is_enabled', { default: true }),
          enumeration('sync_direction', ['read', 'write', 'both'], { default: 'both' }),
          ...timestamps(queryRunner),
        ],
        // idx_integration_external leads with integration_id, idx_org_enabled with
        // organization_id: both foreign keys are indexed by the base schema's own indexes.
        indices: [
          new TableIndex({
            name: 'idx_integration_external',
            columnNames: ['integration_id', 'external_id'],
            isUnique: true,
          }),
          new TableIndex({
            name: 'idx_org_enabled',
            columnNames: ['organization_id', 'is_enabled'],
          }),
        ],
        foreignKeys: [
          foreignKey('calendars', 'organization_id', 'organizations', 'CASCADE'),
          foreignKey('calendars', 'integration_id', 'integrations', 'CASCADE'),
        ],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('calendars');
  }
}
