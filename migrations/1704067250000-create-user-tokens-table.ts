import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { foreignId, foreignKey, id, timestamp, uniqueIndex } from './support/schema';

/**
 * user_tokens: the single-use links mailed to a person — password reset and email verification.
 * Only the SHA-256 digest of the token is stored; `used_at` makes it single use, `expires_at`
 * short-lived. Issuing a new link of a purpose invalidates the older ones of that purpose.
 */
export class CreateUserTokensTable1704067250000 implements MigrationInterface {
  name = 'CreateUserTokensTable1704067250000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'user_tokens',
        columns: [
          id(queryRunner),
          foreignId(queryRunner, 'user_id'),
          { name: 'purpose', type: 'varchar', length: '32', isNullable: false },
          { name: 'token_hash', type: 'varchar', length: '64', isNullable: false },
          timestamp(queryRunner, 'expires_at', { nullable: false }),
          timestamp(queryRunner, 'used_at'),
          timestamp(queryRunner, 'created_at'),
        ],
        indices: [
          uniqueIndex('user_tokens', 'token_hash'),
          new TableIndex({
            name: 'idx_user_tokens_user_id_purpose',
            columnNames: ['user_id', 'purpose'],
          }),
        ],
        foreignKeys: [foreignKey('user_tokens', 'user_id', 'users', 'CASCADE')],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('user_tokens');
  }
}
