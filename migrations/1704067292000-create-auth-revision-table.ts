import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/**
 * auth_revision: one row whose counter moves, in the same transaction, with every change to who a
 * bearer token is or what they may do (revocation, membership, role, two-factor, organization
 * deletion). API processes read it a few times a second to drop their cache of verified tokens.
 */
export class CreateAuthRevisionTable1704067292000 implements MigrationInterface {
  name = 'CreateAuthRevisionTable1704067292000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'auth_revision',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true },
          { name: 'revision', type: 'bigint', isNullable: false, default: 0 },
        ],
      }),
      true,
    );
    await queryRunner.query('INSERT INTO auth_revision (id, revision) VALUES (1, 0)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('auth_revision');
  }
}
