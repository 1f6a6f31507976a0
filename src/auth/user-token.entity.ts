import { BeforeInsert, Column, Entity, JoinColumn, ManyToOne, Relation } from 'typeorm';
import { DateTimeColumn, ForeignIdColumn, IdColumn } from '../database/columns';
import { currentTimestamp } from '../database/timestamped.entity';
import { User } from '../users/user.entity';

/** Mailed links, and the short-lived ticket between a password and a second factor at login. */
export type UserTokenPurpose = MailedTokenPurpose | 'two_factor_login';
export type MailedTokenPurpose = 'password_reset' | 'email_verification';

/**
 * Table `user_tokens`: a single-use token of a person (a mailed link, a login challenge). `tokenHash` is the SHA-256 hex digest
 * of the mailed token; claiming sets `usedAt` where it is still null, so a link works once.
 */
@Entity({ name: 'user_tokens' })
export class UserToken {
  @IdColumn()
  id!: number;

  @ForeignIdColumn('user_id')
  userId!: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_user_tokens_user_id' })
  user?: Relation<User>;

  @Column({ type: 'varchar', length: 32 })
  purpose!: UserTokenPurpose;

  @Column({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash!: string;

  @DateTimeColumn('expires_at', { nullable: false })
  expiresAt!: Date;

  @DateTimeColumn('used_at')
  usedAt!: Date | null;

  @DateTimeColumn('created_at')
  createdAt!: Date | null;

  @BeforeInsert()
  protected stampCreation(): void {
    this.createdAt ??= currentTimestamp();
  }
}
