import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import {
  foreignId,
  foreignKeyIndex,
  id,
  json,
  timestamp,
  timestamps,
  uniqueIndex,
} from './support/schema';

/**
 * users. The `current_organization_id → organizations.id` foreign key is added by the next
 * migration, once organizations exists (the base schema adds it "after").
 */
export class CreateUsersTable1704067200000 implements MigrationInterface {
  name = 'CreateUsersTable1704067200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'users',
        columns: [
          id(queryRunner),
          { name: 'name', type: 'varchar', length: '255', isNullable: false },
          { name: 'email', type: 'varchar', length: '255', isNullable: false },
          timestamp(queryRunner, 'email_verified_at'),
          { name: 'password', type: 'varchar', length: '255', isNullable: false },
          { name: 'timezone', type: 'varchar', length: '64', isNullable: true, default: "'UTC'" },
          json('work_days', { default: ['mon', 'tue', 'wed', 'thu', 'fri'] }),
          { name: 'work_hours_start', type: 'time', isNullable: true, default: "'08:00:00'" },
          { name: 'work_hours_end', type: 'time', isNullable: true, default: "'18:00:00'" },
          json('preferences'),
          foreignId(queryRunner, 'current_organization_id', { nullable: true }),
          { name: 'remember_token', type: 'varchar', length: '100', isNullable: true },
          ...timestamps(queryRunner),
        ],
        indices: [
          uniqueIndex('users', 'email'),
          new TableIndex({ name: 'idx_email', columnNames: ['email'] }),
          // Not in the base schema: every foreign key is indexed.
          foreignKeyIndex('users', 'current_organization_id'),
        ],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('users');
  }
}
