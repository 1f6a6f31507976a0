import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { timestamp } from './support/schema';

/**
 * integrations.last_import_started_at: when the last import of an invoicing integration that was
 * applied had started. The next import asks the provider only for what changed since then (minus
 * a margin for clock skew). A column rather than a key in `token_metadata`: it is not a secret,
 * and the import writes it in the transaction that applies the listing it was read for.
 */
export class AddLastImportStartedAtToIntegrations1704067290000 implements MigrationInterface {
  name = 'AddLastImportStartedAtToIntegrations1704067290000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'integrations',
      new TableColumn(timestamp(queryRunner, 'last_import_started_at')),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('integrations', 'last_import_started_at');
  }
}
