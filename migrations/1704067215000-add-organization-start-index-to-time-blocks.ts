import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';

/**
 * Organization-wide chronological reads (the CSV export and reports over every member) order by
 * start_time; idx_org_user_time leads with user_id, so without this index each page is a filesort
 * over the organization's blocks.
 */
export class AddOrganizationStartIndexToTimeBlocks1704067215000 implements MigrationInterface {
  name = 'AddOrganizationStartIndexToTimeBlocks1704067215000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex(
      'time_blocks',
      new TableIndex({
        name: 'idx_time_blocks_org_start',
        columnNames: ['organization_id', 'start_time'],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('time_blocks', 'idx_time_blocks_org_start');
  }
}
