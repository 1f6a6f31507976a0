import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import {
  enumeration,
  foreignId,
  foreignKey,
  id,
  json,
  timestamp,
  timestamps,
  uniqueIndex,
} from './support/schema';

/**
 * organizations, then the two foreign keys between users and organizations, which can only exist
 * once both tables do (the base schema adds them "by alter"). `down` drops them in reverse.
 */
export class CreateOrganizationsTable1704067201000 implements MigrationInterface {
  name = 'CreateOrganizationsTable1704067201000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'organizations',
        columns: [
          id(queryRunner),
          { name: 'name', type: 'varchar', length: '255', isNullable: false },
          { name: 'slug', type: 'varchar', length: '255', isNullable: false },
          foreignId(queryRunner, 'owner_id', { nullable: true }),
          json('settings'),
          { name: 'timezone', type: 'varchar', length: '64', isNullable: true, default: "'UTC'" },
          { name: 'billing_email', type: 'varchar', length: '255', isNullable: true },
          enumeration('subscription_status', ['trial', 'active', 'canceled', 'past_due'], {
            default: 'trial',
          }),
          timestamp(queryRunner, 'trial_ends_at'),
          ...timestamps(queryRunner),
          timestamp(queryRunner, 'deleted_at'),
        ],
        indices: [
          uniqueIndex('organizations', 'slug'),
          new TableIndex({ name: 'idx_slug', columnNames: ['slug'] }),
          new TableIndex({ name: 'idx_owner', columnNames: ['owner_id'] }),
        ],
      }),
      true,
    );
    await queryRunner.createForeignKey(
      'organizations',
      foreignKey('organizations', 'owner_id', 'users', 'SET NULL'),
    );
    await queryRunner.createForeignKey(
      'users',
      foreignKey('users', 'current_organization_id', 'organizations', 'SET NULL'),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropForeignKey('users', 'fk_users_current_organization_id');
    await queryRunner.dropForeignKey('organizations', 'fk_organizations_owner_id');
    await queryRunner.dropTable('organizations');
  }
}
