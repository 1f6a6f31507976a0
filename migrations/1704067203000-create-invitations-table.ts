import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import {
  enumeration,
  foreignId,
  foreignKey,
  foreignKeyIndex,
  id,
  timestamp,
  timestamps,
  uniqueIndex,
} from './support/schema';

/** invitations: a pending offer of membership, redeemed with a (hashed) single-use token. */
export class CreateInvitationsTable1704067203000 implements MigrationInterface {
  name = 'CreateInvitationsTable1704067203000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'invitations',
        columns: [
          id(queryRunner),
          foreignId(queryRunner, 'organization_id'),
          { name: 'email', type: 'varchar', length: '255', isNullable: false },
          enumeration('role', ['admin', 'member', 'viewer'], {
            nullable: false,
            default: 'member',
          }),
          { name: 'token', type: 'varchar', length: '64', isNullable: false },
          foreignId(queryRunner, 'invited_by'),
          timestamp(queryRunner, 'expires_at', { nullable: false }),
          timestamp(queryRunner, 'accepted_at'),
          ...timestamps(queryRunner),
        ],
        indices: [
          uniqueIndex('invitations', 'token'),
          new TableIndex({ name: 'idx_token', columnNames: ['token'] }),
          new TableIndex({ name: 'idx_org_email', columnNames: ['organization_id', 'email'] }),
          // Not in the base schema: every foreign key is indexed.
          foreignKeyIndex('invitations', 'invited_by'),
        ],
        foreignKeys: [
          foreignKey('invitations', 'organization_id', 'organizations', 'CASCADE'),
          foreignKey('invitations', 'invited_by', 'users', 'CASCADE'),
        ],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('invitations');
  }
}
