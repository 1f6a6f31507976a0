import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';
import {
  boolean,
  enumeration,
  foreignId,
  foreignKey,
  foreignKeyIndex,
  id,
  timestamp,
  timestamps,
} from './support/schema';

/**
 * Two-way calendar sync (pulling changes back).
 *
 * calendar_events: the events of read/both calendars that danwel did not make — the busy time the
 * SPA shows beside blocks. One row per (calendar, provider event id); `user_id` is the member whose
 * account the calendar belongs to, so that a week view is one index range.
 *
 * calendars: the pull cursor (Google `nextSyncToken` / Graph delta link), when to pull next, and
 * the push channel (Google watch channel / Graph subscription) whose secret is stored as a digest.
 *
 * time_blocks.synced_hash: a digest of the title and times last written to the provider, so that a
 * pull recognises danwel's own writes and never echoes them back as external edits.
 *
 * audit_logs.actor: who acted when it was not a signed-in user (`sync:google_calendar`).
 */
export class AddTwoWayCalendarSync1704067218000 implements MigrationInterface {
  name = 'AddTwoWayCalendarSync1704067218000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'calendar_events',
        columns: [
          id(queryRunner),
          foreignId(queryRunner, 'organization_id'),
          foreignId(queryRunner, 'calendar_id'),
          foreignId(queryRunner, 'user_id'),
          { name: 'external_id', type: 'varchar', length: '255', isNullable: false },
          { name: 'title', type: 'varchar', length: '255', isNullable: false },
          timestamp(queryRunner, 'start_time', { nullable: false }),
          timestamp(queryRunner, 'end_time', { nullable: false }),
          boolean('is_all_day', { default: false }),
          enumeration('show_as', ['busy', 'free'], { default: 'busy' }),
          { name: 'timezone', type: 'varchar', length: '64', isNullable: true },
          timestamp(queryRunner, 'provider_updated_at'),
          ...timestamps(queryRunner),
        ],
        indices: [
          new TableIndex({
            name: 'uq_calendar_events_calendar_external',
            columnNames: ['calendar_id', 'external_id'],
            isUnique: true,
          }),
          new TableIndex({
            name: 'idx_calendar_events_org_user_time',
            columnNames: ['organization_id', 'user_id', 'start_time'],
          }),
          foreignKeyIndex('calendar_events', 'user_id'),
        ],
        foreignKeys: [
          foreignKey('calendar_events', 'organization_id', 'organizations', 'CASCADE'),
          foreignKey('calendar_events', 'calendar_id', 'calendars', 'CASCADE'),
          foreignKey('calendar_events', 'user_id', 'users', 'CASCADE'),
        ],
      }),
      true,
    );
    await queryRunner.addColumns('calendars', [
      new TableColumn({ name: 'sync_cursor', type: 'text', isNullable: true }),
      new TableColumn(timestamp(queryRunner, 'next_pull_at')),
      new TableColumn(timestamp(queryRunner, 'last_pulled_at')),
      new TableColumn({
        name: 'push_channel_id',
        type: 'varchar',
        length: '255',
        isNullable: true,
      }),
      new TableColumn({
        name: 'push_resource_id',
        type: 'varchar',
        length: '255',
        isNullable: true,
      }),
      new TableColumn({
        name: 'push_secret_hash',
        type: 'varchar',
        length: '64',
        isNullable: true,
      }),
      new TableColumn(timestamp(queryRunner, 'push_expires_at')),
    ]);
    await queryRunner.createIndex(
      'calendars',
      new TableIndex({ name: 'idx_calendars_push_channel_id', columnNames: ['push_channel_id'] }),
    );
    await queryRunner.addColumn(
      'time_blocks',
      new TableColumn({ name: 'synced_hash', type: 'varchar', length: '64', isNullable: true }),
    );
    await queryRunner.addColumn(
      'audit_logs',
      new TableColumn({ name: 'actor', type: 'varchar', length: '100', isNullable: true }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('audit_logs', 'actor');
    await queryRunner.dropColumn('time_blocks', 'synced_hash');
    await queryRunner.dropIndex('calendars', 'idx_calendars_push_channel_id');
    await queryRunner.dropColumns('calendars', [
      'sync_cursor',
      'next_pull_at',
      'last_pulled_at',
      'push_channel_id',
      'push_resource_id',
      'push_secret_hash',
      'push_expires_at',
    ]);
    await queryRunner.dropTable('calendar_events');
  }
}
