import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * integrations.sync_lease_kind: what holds the integration's lease (`sync`, `disconnect`), next to
 * its owner id. A calendar refresh refuses while a disconnect holds it; before this column that
 * was told from a prefix of the owner id.
 */
export class AddSyncLeaseKind1704067219000 implements MigrationInterface {
  name = 'AddSyncLeaseKind1704067219000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'integrations',
      new TableColumn({ name: 'sync_lease_kind', type: 'varchar', length: '20', isNullable: true }),
    );
    await queryRunner.query(
      "UPDATE integrations SET sync_lease_kind = CASE WHEN sync_lease_owner LIKE 'disconnect:%' THEN 'disconnect' ELSE 'sync' END WHERE sync_lease_owner IS NOT NULL",
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('integrations', 'sync_lease_kind');
  }
}
