import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { boolean, foreignId, foreignKey, foreignKeyIndex, timestamp } from './support/schema';

/**
 * The state the calendar reconciler keeps (docs/architecture.md, "Sync").
 *
 * time_blocks
 * - `synced_calendar_id`: the calendar that holds `external_calendar_event_id`. It differs from
 *   `calendar_id` while a move is pending, so the old event can be deleted before the new one is
 *   created.
 * - `sync_attempts`, `sync_retry_at`: per-block backoff after a retryable failure.
 *
 * integrations
 * - `needs_reconnect`: the provider refused the refresh token; only the user can fix it.
 * - `sync_lease_owner`, `sync_lease_expires_at`: the worker that holds the integration's sync lease
 *   (one worker per integration keeps token refresh and rate limiting in one place).
 * - `sync_retry_at`: the whole integration waits (throttled, `Retry-After`, provider down).
 */
export class AddCalendarSyncState1704067217000 implements MigrationInterface {
  name = 'AddCalendarSyncState1704067217000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('time_blocks', [
      new TableColumn(foreignId(queryRunner, 'synced_calendar_id', { nullable: true })),
      new TableColumn({ name: 'sync_attempts', type: 'int', isNullable: false, default: 0 }),
      new TableColumn(timestamp(queryRunner, 'sync_retry_at')),
    ]);
    await queryRunner.createIndex(
      'time_blocks',
      foreignKeyIndex('time_blocks', 'synced_calendar_id'),
    );
    await queryRunner.createForeignKey(
      'time_blocks',
      foreignKey('time_blocks', 'synced_calendar_id', 'calendars', 'SET NULL'),
    );
    await queryRunner.addColumns('integrations', [
      new TableColumn(boolean('needs_reconnect', { default: false })),
      new TableColumn({
        name: 'sync_lease_owner',
        type: 'varchar',
        length: '100',
        isNullable: true,
      }),
      new TableColumn(timestamp(queryRunner, 'sync_lease_expires_at')),
      new TableColumn(timestamp(queryRunner, 'sync_retry_at')),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumns('integrations', [
      'needs_reconnect',
      'sync_lease_owner',
      'sync_lease_expires_at',
      'sync_retry_at',
    ]);
    await queryRunner.dropForeignKey('time_blocks', 'fk_time_blocks_synced_calendar_id');
    await queryRunner.dropIndex('time_blocks', 'idx_time_blocks_synced_calendar_id');
    await queryRunner.dropColumns('time_blocks', [
      'synced_calendar_id',
      'sync_attempts',
      'sync_retry_at',
    ]);
  }
}
