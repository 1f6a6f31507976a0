import { Column, Entity, JoinColumn, ManyToOne, Relation } from 'typeorm';
import { DateTimeColumn, ForeignIdColumn, IdColumn } from '../database/columns';
import { TimestampedEntity } from '../database/timestamped.entity';
import { User } from '../users/user.entity';

/** Table `api_tokens`: an opaque bearer token, stored only as its SHA-256 hex digest. */
@Entity({ name: 'api_tokens' })
export class ApiToken extends TimestampedEntity {
  @IdColumn()
  id!: number;

  @ForeignIdColumn('user_id')
  userId!: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_api_tokens_user_id' })
  user?: Relation<User>;

  @Column({ type: 'varchar', length: 255 })
  name!: string;

  @Column({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash!: string;

  @DateTimeColumn('last_used_at')
  lastUsedAt!: Date | null;

  @DateTimeColumn('expires_at', { nullable: false })
  expiresAt!: Date;
}
