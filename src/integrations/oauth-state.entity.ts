import { BeforeInsert, Column, Entity, JoinColumn, ManyToOne, Relation } from 'typeorm';
import { DateTimeColumn, ForeignIdColumn, IdColumn } from '../database/columns';
import { currentTimestamp } from '../database/timestamped.entity';
import { Organization } from '../organizations/organization.entity';
import { User } from '../users/user.entity';

/**
 * Table `oauth_states`: one pending "connect your calendar" flow. `stateHash` is the SHA-256 hex
 * digest of the random `state` sent to the provider; `codeVerifier` is the PKCE verifier,
 * encrypted. Single use: the callback claims the row by setting `usedAt` where it is still null.
 * The callback then parks the grant here (`parkedGrant`, encrypted) under a new `expiresAt`,
 * until the user who started the flow confirms it with the reference whose digest is
 * `grantReferenceHash` (src/integrations/pending-grants.service.ts).
 */
@Entity({ name: 'oauth_states' })
export class OAuthState {
  @IdColumn()
  id!: number;

  @Column({ name: 'state_hash', type: 'varchar', length: 64 })
  stateHash!: string;

  @ForeignIdColumn('user_id')
  userId!: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_oauth_states_user_id' })
  user?: Relation<User>;

  @ForeignIdColumn('organization_id')
  organizationId!: number;

  @ManyToOne(() => Organization, { onDelete: 'CASCADE' })
  @JoinColumn({
    name: 'organization_id',
    foreignKeyConstraintName: 'fk_oauth_states_organization_id',
  })
  organization?: Relation<Organization>;

  @Column({ type: 'varchar', length: 50 })
  provider!: string;

  @Column({ name: 'code_verifier', type: 'text', nullable: true })
  codeVerifier!: string | null;

  /** The tokens, account and calendars the callback received, encrypted (see ParkedGrant). */
  @Column({ name: 'parked_grant', type: 'text', nullable: true })
  parkedGrant!: string | null;

  @Column({ name: 'grant_reference_hash', type: 'varchar', length: 64, nullable: true })
  grantReferenceHash!: string | null;

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
