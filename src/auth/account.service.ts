import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager, Not } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { currentContext } from '../common/context/request-context';
import { ConflictError, ValidationFailedError } from '../common/errors/domain.error';
import { RateLimiter } from '../common/rate-limit/rate-limiter';
import { AttemptThrottle } from './attempt-throttle';
import { APP_CONFIG, AppConfig } from '../config';
import { currentTimestamp } from '../database/timestamped.entity';
import { inTransaction } from '../database/transaction';
import { User } from '../users/user.entity';
import { AccountLinks } from './account-links';
import { ApiToken } from './api-token.entity';
import { AuthenticatedUser } from './authenticated-user';
import { PasswordHasher } from './password-hasher';
import { authFactsChanged } from './verified-tokens';

const UNUSABLE_LINK = 'This link is invalid, already used or expired; ask for a new one.';

/**
 * What a person does with their own account besides signing in: reset a forgotten password by
 * mail, change it, and confirm their email address. A reset or change signs out everywhere else.
 */
@Injectable()
export class AccountService {
  /** Mails are slow to arrive; a few requests per address and quarter hour are plenty. */
  private readonly mailLimiter: RateLimiter;
  private readonly attemptLimiter: AttemptThrottle;

  constructor(
    private readonly dataSource: DataSource,
    private readonly hasher: PasswordHasher,
    private readonly links: AccountLinks,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.mailLimiter = new RateLimiter(dataSource, 3, 15 * 60);
    this.attemptLimiter = new AttemptThrottle(dataSource, config.auth);
  }

  /**
   * Mails a reset link when the address has an account. The caller learns nothing either way:
   * the answer, and the throttle, are the same for unknown addresses.
   */
  async requestPasswordReset(email: string, ip: string): Promise<void> {
    await this.attemptLimiter.consume(this.attemptLimiter.clientIp('reset', ip));
    await this.mailLimiter.consume(`reset:email:${email}`);
    await inTransaction(this.dataSource, async (manager) => {
      const user = await manager.findOneBy(User, { email });
      if (!user) return;
      currentContext().userId = user.id;
      await this.links.issue(manager, user, 'password_reset');
      await this.audit.record(manager, {
        action: 'auth.password_reset_requested',
        organizationId: null,
        auditable: { type: 'user', id: user.id },
      });
    });
  }

  /**
   * Sets a new password from a reset link and revokes every API token. The link reached the
   * mailbox, which also verifies the address: whoever registered it before its owner loses it.
   */
  async resetPassword(token: string, password: string, ip: string): Promise<void> {
    await this.attemptLimiter.consume(this.attemptLimiter.clientIp('reset', ip));
    const hash = await this.hasher.hash(password);
    await inTransaction(this.dataSource, async (manager) => {
      const userId = await this.links.claim(manager, token, 'password_reset');
      if (userId === null) throw ValidationFailedError.field('token', UNUSABLE_LINK);
      currentContext().userId = userId;
      const user = await manager.findOneByOrFail(User, { id: userId });
      await manager.update(
        User,
        { id: userId },
        { password: hash, emailVerifiedAt: user.emailVerifiedAt ?? currentTimestamp() },
      );
      await this.links.retire(manager, userId, 'email_verification');
      const revoked = await this.revokeTokens(manager, userId);
      await this.audit.record(manager, {
        action: 'auth.password_reset',
        organizationId: null,
        auditable: { type: 'user', id: userId },
        newValues: { revoked_tokens: revoked },
      });
    });
  }

  /** Needs the current password; every other token of the caller is revoked. */
  async changePassword(caller: AuthenticatedUser, current: string, password: string) {
    await this.attemptLimiter.consume(`password:user:${caller.id}`);
    const user = await this.dataSource.getRepository(User).findOneByOrFail({ id: caller.id });
    if (!(await this.hasher.verify(user.password, current))) {
      throw ValidationFailedError.field('current_password', 'current_password is not correct.');
    }
    const hash = await this.hasher.hash(password);
    await inTransaction(this.dataSource, async (manager) => {
      await manager.update(User, { id: caller.id }, { password: hash });
      await this.links.retire(manager, caller.id, 'password_reset');
      const revoked = await this.revokeTokens(manager, caller.id, caller.tokenId);
      await this.audit.record(manager, {
        action: 'user.password_changed',
        organizationId: null,
        auditable: { type: 'user', id: caller.id },
        newValues: { revoked_tokens: revoked },
      });
    });
  }

  /** Registration without an invitation: the address is unconfirmed until its link is used. */
  async sendVerification(manager: EntityManager, user: User): Promise<void> {
    await this.links.issue(manager, user, 'email_verification');
  }

  async resendVerification(caller: AuthenticatedUser): Promise<void> {
    await this.mailLimiter.consume(`verify:user:${caller.id}`);
    await inTransaction(this.dataSource, async (manager) => {
      const user = await manager.findOneByOrFail(User, { id: caller.id });
      if (user.emailVerifiedAt) throw new ConflictError('Your email address is already confirmed.');
      await this.links.issue(manager, user, 'email_verification');
    });
  }

  async verifyEmail(token: string, ip: string): Promise<void> {
    await this.attemptLimiter.consume(this.attemptLimiter.clientIp('verify', ip));
    await inTransaction(this.dataSource, async (manager) => {
      const userId = await this.links.claim(manager, token, 'email_verification');
      if (userId === null) throw ValidationFailedError.field('token', UNUSABLE_LINK);
      currentContext().userId = userId;
      await manager.update(User, { id: userId }, { emailVerifiedAt: currentTimestamp() });
      await this.audit.record(manager, {
        action: 'user.email_verified',
        organizationId: null,
        auditable: { type: 'user', id: userId },
      });
    });
  }

  /** Deletes the user's API tokens (all, or all but one); answers how many. */
  private async revokeTokens(manager: EntityManager, userId: number, keepTokenId?: number) {
    const result = await manager.delete(ApiToken, {
      userId,
      ...(keepTokenId === undefined ? {} : { id: Not(keepTokenId) }),
    });
    await authFactsChanged(manager);
    return result.affected ?? 0;
  }
}
