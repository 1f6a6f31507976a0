import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import {
  foreignId,
  foreignKey,
  foreignKeyIndex,
  id,
  json,
  timestamp,
  timestamps,
} from './support/schema';

/**
 * A durable job queue (Laravel's database queue): work committed with the change that caused it,
 * claimed by workers under a lease, retried with backoff, kept with its error once it gives up.
 */
export class CreateJobsTable1704067210000 implements MigrationInterface {
  name = 'CreateJobsTable1704067210000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'jobs',
        columns: [
          id(queryRunner),
          foreignId(queryRunner, 'organization_id', { nullable: true }),
          { name: 'queue', type: 'varchar', length: '64', default: "'default'" },
          { name: 'type', type: 'varchar', length: '100' },
          json('payload', { nullable: false }),
          { name: 'attempts', type: 'int', default: 0 },
          { name: 'max_attempts', type: 'int', default: 5 },
          timestamp(queryRunner, 'available_at', { nullable: false }),
          { name: 'reserved_by', type: 'varchar', length: '100', isNullable: true },
          timestamp(queryRunner, 'reserved_until'),
          { name: 'last_error', type: 'text', isNullable: true },
          timestamp(queryRunner, 'failed_at'),
          ...timestamps(queryRunner),
        ],
        indices: [
          new TableIndex({
            name: 'idx_jobs_claim',
            columnNames: ['queue', 'failed_at', 'available_at'],
          }),
          new TableIndex({ name: 'idx_jobs_reserved_by', columnNames: ['reserved_by'] }),
          foreignKeyIndex('jobs', 'organization_id'),
        ],
        foreignKeys: [foreignKey('jobs', 'organization_id', 'organizations', 'CASCADE')],
      }),
      true,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('jobs');
  }
}
