import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { timestamp } from './support/schema';

/**
 * Revoking an invitation keeps the row (so the link can answer "revoked" rather than "unknown",
 * and the audit trail keeps pointing at it).
 */
export class AddRevokedAtToInvitations1704067212000 implements MigrationInterface {
  name = 'AddRevokedAtToInvitations1704067212000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'invitations',
      new TableColumn(timestamp(queryRunner, 'revoked_at')),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('invitations', 'revoked_at');
  }
}
