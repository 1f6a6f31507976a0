import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * `sync_version` counts the changes of a block that need pushing (docs/architecture.md, "Version-conditional write-back").
 * A change bumps it in the same transaction that marks the block pending; the sync worker pushes
 * the version it read and writes "synced" back only where the row still has that version, so an
 * edit made during a push is pushed again instead of being overwritten by a stale "synced".
 */
export class AddSyncVersionToTimeBlocks1704067213000 implements MigrationInterface {
  name = 'AddSyncVersionToTimeBlocks1704067213000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'time_blocks',
      new TableColumn({ name: 'sync_version', type: 'int', isNullable: false, default: 0 }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('time_blocks', 'sync_version');
  }
}
