import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import {
  foreignId,
  foreignKey,
  foreignKeyIndex,
  id,
  timestamp,
  timestamps,
  uniqueIndex,
} from './support/schema';

/**
 * calendar_feeds: one secret iCalendar subscription URL per member of an organization (a user in
 * two organizations has two). Only the SHA-256 hex digest of the token is stored; rotating writes
 * a new digest, so the old URL stops resolving.
 */
export class CreateCalendarFeedsTable1704067214000 implements MigrationInterface {
  name = 'CreateCalendarFeedsTable1704067214000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'calendar_feeds',
        columns: [
          id(queryRunner),
          foreignId(queryRunner, 'organization_id'),
          foreignId(queryRunner, 'user_id'),
          { name: 'token_hash', type: 'varchar', length: '64', isNullable: false },
          timestamp(queryRunner, 'last_accessed_at'),
          ...timestamps(queryRunner),
        ],
        indices: [
          uniqueIndex('calendar_feeds', 'token_hash'),
          // One feed per member; also the index of the organization_id foreign key.
          new TableIndex({
            name: 'uq_calendar_feeds_org_user',
            columnNames: ['organization_id', 'user_id'],
            isUnique: true,
          }),
          foreignKeyIndex('calendar_feeds', 'user_id'),
        ],
        foreignKeys: [
          foreignKey('calendar_feeds', 'organization_id', 'organizations', 'CASCADE'),
          foreignKey('calendar_feeds', 'user_id', 'users', 'CASCADE'),
        ],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('calendar_feeds');
  }
}
