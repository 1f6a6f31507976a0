import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { enumeration, foreignId, foreignKey, id, timestamp, timestamps } from './support/schema';

/** organization_user: membership of a user in an organization, with the user's role there. */
export class CreateOrganizationUserTable1704067202000 implements MigrationInterface {
  name = 'CreateOrganizationUserTable1704067202000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'organization_user',
        columns: [
          id(queryRunner),
          foreignId(queryRunner, 'organization_id'),
          foreignId(queryRunner, 'user_id'),
          enumeration('role', ['owner', 'admin', 'member', 'viewer'], {
            nullable: false,
            default: 'member',
          }),
          timestamp(queryRunner, 'invited_at'),
          timestamp(queryRunner, 'joined_at'),
          ...timestamps(queryRunner),
        ],
        // idx_org_user leads with organization_id and idx_user_orgs is user_id: both FKs indexed.
        indices: [
          new TableIndex({
            name: 'idx_org_user',
            columnNames: ['organization_id', 'user_id'],
            isUnique: true,
          }),
          new TableIndex({ name: 'idx_user_orgs', columnNames: ['user_id'] }),
        ],
        foreignKeys: [
          foreignKey('organization_user', 'organization_id', 'organizations', 'CASCADE'),
          foreignKey('organization_user', 'user_id', 'users', 'CASCADE'),
        ],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('organization_user');
  }
}
