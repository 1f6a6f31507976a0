import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { foreignId, foreignKey, id, timestamp, timestamps, uniqueIndex } from './support/schema';

/**
 * api_tokens: opaque bearer tokens. Only the SHA-256 hex digest is stored, so a leaked database
 * does not hand out sessions; a token dies by expiry or by deleting its row (revocation).
 */
export class CreateApiTokensTable1704067211000 implements MigrationInterface {
  name = 'CreateApiTokensTable1704067211000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'api_tokens',
        columns: [
          id(queryRunner),
          foreignId(queryRunner, 'user_id'),
          { name: 'name', type: 'varchar', length: '255', isNullable: false },
          { name: 'token_hash', type: 'varchar', length: '64', isNullable: false },
          timestamp(queryRunner, 'last_used_at'),
          timestamp(queryRunner, 'expires_at', { nullable: false }),
          ...timestamps(queryRunner),
        ],
        indices: [
          uniqueIndex('api_tokens', 'token_hash'),
          new TableIndex({
            name: 'idx_api_tokens_user_id',
            columnNames: ['user_id', 'expires_at'],
          }),
        ],
        foreignKeys: [foreignKey('api_tokens', 'user_id', 'users', 'CASCADE')],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('api_tokens');
  }
}
