import { MigrationInterface, QueryRunner, TableColumn, TableIndex } from 'typeorm';
import { timestamp } from './support/schema';

/**
 * The invoicing target's own sync state on time_blocks, beside the calendar's
 * (docs/architecture.md, "Sync state"). `invoicing_sync_status` and `external_invoicing_entry_id`
 * are in the base schema; this adds what the calendar side has since gained:
 * - `invoicing_sync_version`: bumped by every change that concerns the entry; the invoicing
 *   write-back is conditional on it, independently of the calendar's `sync_version`.
 * - `invoicing_sync_error`, `invoicing_sync_attempts`, `invoicing_sync_retry_at`: the last error
 *   and the per-block backoff of the invoicing push.
 * - `invoicing_synced_hash`: digest of what was last written to the entry.
 * The index serves the invoicing reconciler's scan: pending blocks of one organization that are
 * due (`invoicing_sync_retry_at` passed or unset).
 */
export class AddInvoicingSyncState1704067230000 implements MigrationInterface {
  name = 'AddInvoicingSyncState1704067230000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('time_blocks', [
      new TableColumn({
        name: 'invoicing_sync_version',
        type: 'int',
        isNullable: false,
        default: 0,
      }),
      new TableColumn({ name: 'invoicing_sync_error', type: 'text', isNullable: true }),
      new TableColumn({
        name: 'invoicing_sync_attempts',
        type: 'int',
        isNullable: false,
        default: 0,
      }),
      new TableColumn(timestamp(queryRunner, 'invoicing_sync_retry_at')),
      new TableColumn({
        name: 'invoicing_synced_hash',
        type: 'varchar',
        length: '64',
        isNullable: true,
      }),
    ]);
    await queryRunner.createIndex(
      'time_blocks',
      new TableIndex({
        name: 'idx_time_blocks_invoicing_pending',
        columnNames: ['invoicing_sync_status', 'organization_id', 'invoicing_sync_retry_at'],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('time_blocks', 'idx_time_blocks_invoicing_pending');
    await queryRunner.dropColumns('time_blocks', [
      'invoicing_sync_version',
      'invoicing_sync_error',
      'invoicing_sync_attempts',
      'invoicing_sync_retry_at',
      'invoicing_synced_hash',
    ]);
  }
}
