import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import {
  foreignId,
  foreignKey,
  foreignKeyIndex,
  id,
  timestamp,
  uniqueIndex,
} from './support/schema';

/**
 * oauth_states: the pending "connect a calendar" flows. The state sent to the provider is a random
 * token; only its SHA-256 digest is stored, with the user and organization it was issued for, the
 * provider, the (encrypted) PKCE verifier and a short expiry. `used_at` makes it single use.
 */
export class CreateOauthStatesTable1704067216000 implements MigrationInterface {
  name = 'CreateOauthStatesTable1704067216000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'oauth_states',
        columns: [
          id(queryRunner),
          { name: 'state_hash', type: 'varchar', length: '64', isNullable: false },
          foreignId(queryRunner, 'user_id'),
          foreignId(queryRunner, 'organization_id'),
          { name: 'provider', type: 'varchar', length: '50', isNullable: false },
          { name: 'code_verifier', type: 'text', isNullable: true },
          timestamp(queryRunner, 'expires_at', { nullable: false }),
          timestamp(queryRunner, 'used_at'),
          timestamp(queryRunner, 'created_at'),
        ],
        indices: [
          uniqueIndex('oauth_states', 'state_hash'),
          foreignKeyIndex('oauth_states', 'user_id'),
          foreignKeyIndex('oauth_states', 'organization_id'),
        ],
        foreignKeys: [
          foreignKey('oauth_states', 'user_id', 'users', 'CASCADE'),
          foreignKey('oauth_states', 'organization_id', 'organizations', 'CASCADE'),
        ],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('oauth_states');
  }
}
