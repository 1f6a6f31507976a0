import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import {
  boolean,
  enumeration,
  foreignId,
  foreignKey,
  foreignKeyIndex,
  id,
  timestamp,
  timestamps,
} from './support/schema';

const SYNC_STATUSES = ['pending', 'synced', 'error', 'disabled'];

/**
 * time_blocks: the core entity. `start_time`/`end_time` are DATETIME (not TIMESTAMP) as in the
 * seed, holding UTC; `timezone` is the IANA zone the block was planned in.
 */
export class CreateTimeBlocksTable1704067208000 implements MigrationInterface {
  name = 'CreateTimeBlocksTable1704067208000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'time_blocks',
        columns: [
          id(queryRunner),
          foreignId(queryRunner, 'organization_id'),
          foreignId(queryRunner, 'user_id'),
          foreignId(queryRunner, 'calendar_id', { nullable: true }),
          { name: 'external_calendar_event_id', type: 'varchar', length: '255', isNullable: true },
          { name: 'external_invoicing_entry_id', type: 'varchar', length: '255', isNullable: true },
          { name: 'title', type: 'varchar', length: '255', isNullable: false },
          { name: 'description', type: 'text', isNullable: true },
          { name: 'start_time', type: 'datetime', isNullable: false },
          { name: 'end_time', type: 'datetime', isNullable: false },
          { name: 'timezone', type: 'varchar', length: '64', isNullable: false },
          { name: 'color', type: 'varchar', length: '20', isNullable: true },
          foreignId(queryRunner, 'client_id', { nullable: true }),
          foreignId(queryRunner, 'project_id', { nullable: true }),
          boolean('is_billable', { default: true }),
          enumeration('calendar_sync_status', SYNC_STATUSES, { default: 'pending' }),
          enumeration('invoicing_sync_status', SYNC_STATUSES, { default: 'disabled' }),
          timestamp(queryRunner, 'last_synced_at'),
          { name: 'sync_error', type: 'text', isNullable: true },
          ...timestamps(queryRunner),
          timestamp(queryRunner, 'deleted_at'),
        ],
        indices: [
          new TableIndex({
            name: 'idx_org_user_time',
            columnNames: ['organization_id', 'user_id', 'start_time', 'end_time'],
          }),
          new TableIndex({
            name: 'idx_external_calendar',
            columnNames: ['external_calendar_event_id'],
          }),
          new TableIndex({
            name: 'idx_external_invoicing',
            columnNames: ['external_invoicing_entry_id'],
          }),
          new TableIndex({
            name: 'idx_sync_status',
            columnNames: ['calendar_sync_status', 'invoicing_sync_status'],
          }),
          // Not in the base schema: only organization_id leads one of its indexes; these index the other
          // foreign keys, so deleting a user, calendar, client or project is no scan.
          foreignKeyIndex('time_blocks', 'user_id'),
          foreignKeyIndex('time_blocks', 'calendar_id'),
          foreignKeyIndex('time_blocks', 'client_id'),
          foreignKeyIndex('time_blocks', 'project_id'),
        ],
        foreignKeys: [
          foreignKey('time_blocks', 'organization_id', 'organizations', 'CASCADE'),
          foreignKey('time_blocks', 'user_id', 'users', 'CASCADE'),
          foreignKey('time_blocks', 'calendar_id', 'calendars', 'SET NULL'),
          foreignKey('time_blocks', 'client_id', 'clients', 'SET NULL'),
          foreignKey('time_blocks', 'project_id', 'projects', 'SET NULL'),
        ],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('time_blocks');
  }
}
