import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { id, timestamp } from './support/schema';

/**
 * throttle_hits: the attempts counted by the login, registration, reset and two-factor brakes, in
 * the database so that every API process shares them. Keys (an IP, an address) are stored as
 * SHA-256 digests; rows older than a day are purged by the housekeeping job.
 */
export class CreateThrottleHitsTable1704067270000 implements MigrationInterface {
  name = 'CreateThrottleHitsTable1704067270000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'throttle_hits',
        columns: [
          id(queryRunner),
          { name: 'key_hash', type: 'varchar', length: '64', isNullable: false },
          timestamp(queryRunner, 'hit_at', { nullable: false }),
        ],
        indices: [
          new TableIndex({
            name: 'idx_throttle_hits_key_hash_hit_at',
            columnNames: ['key_hash', 'hit_at'],
          }),
          new TableIndex({ name: 'idx_throttle_hits_hit_at', columnNames: ['hit_at'] }),
        ],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('throttle_hits');
  }
}
