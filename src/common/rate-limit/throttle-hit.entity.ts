import { Column, Entity } from 'typeorm';
import { DateTimeColumn, IdColumn } from '../../database/columns';

/** One counted attempt against a throttle key (`RateLimiter`); the key is stored as a digest. */
@Entity('throttle_hits')
export class ThrottleHit {
  @IdColumn()
  id!: number;

  @Column({ name: 'key_hash', type: 'varchar', length: 64 })
  keyHash!: string;

  @DateTimeColumn('hit_at', { nullable: false })
  hitAt!: Date;
}
