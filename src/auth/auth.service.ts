import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { currentContext } from '../common/context/request-context';
import { ValidationFailedError } from '../common/errors/domain.error';
import { APP_CONFIG, AppConfig } from '../config';
import { currentTimestamp } from '../database/timestamped.entity';
import { inTransaction } from '../database/transaction';
import { InvitationsService } from '../invitations/invitations.service';
import { User } from '../users/user.entity';
import { AttemptThrottle } from './attempt-throttle';
import { AccountLinks } from './account-links';
import { AccountService } from './account.service';
import { ApiTokensService } from './api-tokens.service';
import { RegisterDto } from './dto/register.dto';
import { PasswordHasher } from './password-hasher';
import { factorField, SecondFactor, TwoFactorService } from './two-factor.service';

export interface IssuedToken {
  user: User;
  token: string;
  expiresAt: Date;
}

/** The password was right; the account wants its second factor before a token is issued. */
export interface SecondStepChallenge {
  challengeToken: string;
  expiresAt: Date;
}

@Injectable()
export class AuthService {
  private readonly limiter: AttemptThrottle;

  constructor(
    private readonly dataSource: DataSource,
    private readonly hasher: PasswordHasher,
    private readonly tokens: ApiTokensService,
    private readonly audit: AuditService,
    private readonly invitations: InvitationsService,
    private readonly account: AccountService,
    private readonly links: AccountLinks,
    private readonly twoFactor: TwoFactorService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.limiter = new AttemptThrottle(dataSource, config.auth);
  }

  async register(dto: RegisterDto, ip: string): Promise<IssuedToken> {
    await this.limiter.consume(
      this.limiter.clientIp('register', ip),
      `register:email:${dto.email}`,
    );
    const password = await this.hasher.hash(dto.password);
    return inTransaction(this.dataSource, async (manager) => {
      if (await manager.existsBy(User, { email: dto.email })) {
        throw ValidationFailedError.field('email', 'email has already been taken.');
      }
      const user = await manager.save(
        manager.create(User, { name: dto.name, email: dto.email, password }),
      );
      currentContext().userId = user.id;
      await this.audit.record(manager, {
        action: 'user.registered',
        organizationId: null,
        auditable: { type: 'user', id: user.id },
        newValues: { name: user.name, email: user.email },
      });
      if (dto.invitation_token) {
        const membership = await this.invitations.acceptForUser(
          manager,
          dto.invitation_token,
          user,
        );
        // The invitation reached this address, which verifies it.
        user.currentOrganizationId = membership.organizationId;
        user.emailVerifiedAt = currentTimestamp();
        await manager.update(
          User,
          { id: user.id },
          {
            currentOrganizationId: membership.organizationId,
            emailVerifiedAt: user.emailVerifiedAt,
          },
        );
      } else {
        await this.account.sendVerification(manager, user);
      }
      const { token, apiToken } = await this.tokens.issue(manager, user.id, 'registration');
      return { user, token, expiresAt: apiToken.expiresAt };
    });
  }

  /**
   * Checks email + password. Unknown emails cost the same argon2 verification as wrong
   * passwords and get the same answer, so the response does not reveal which emails exist.
   */
  async verifyCredentials(email: string, password: string, ip: string): Promise<User | null> {
    const normalised = email.trim().toLowerCase();
    // Per IP and per IP+email, not per email alone: failing logins in someone's name from
    // elsewhere must not lock them out.
    await this.limiter.consume(
      this.limiter.clientIp('login', ip),
      `login:ip-email:${ip}:${normalised}`,
    );
    const user = await this.dataSource.getRepository(User).findOneBy({ email: normalised });
    const valid = await this.hasher.verify(user?.password ?? null, password);
    if (user && !valid) await this.recordFailedLogin(user.id, 'password');
    return valid && user ? user : null;
  }

  /** Passwords are right: a token, or for two-factor accounts a short-lived challenge. */
  async passwordAccepted(
    user: User,
    tokenName: string | undefined,
  ): Promise<IssuedToken | SecondStepChallenge> {
    if (!user.twoFactorConfirmedAt) return this.login(user, tokenName);
    return inTransaction(this.dataSource, async (manager) => {
      const { token, expiresAt } = await this.links.mint(manager, user.id, 'two_factor_login');
      return { challengeToken: token, expiresAt };
    });
  }

  /** The second step: the challenge from the password step and a code or recovery code. */
  async completeSecondStep(
    challengeToken: string,
    factor: SecondFactor,
    tokenName: string | undefined,
  ): Promise<IssuedToken> {
    if ((factor.code === undefined) === (factor.recovery_code === undefined)) {
      throw ValidationFailedError.field('code', 'Give either code or recovery_code.');
    }
    const outcome = await inTransaction(this.dataSource, async (manager) => {
      const userId = await this.links.holder(manager, challengeToken, 'two_factor_login');
      if (userId === null) return 'expired' as const;
      const user = await manager.findOneByOrFail(User, { id: userId });
      if (!(await this.twoFactor.passSecondFactor(manager, user, factor))) return user.id;
      await this.links.claim(manager, challengeToken, 'two_factor_login');
      return user;
    });
    if (outcome === 'expired') {
      throw ValidationFailedError.field(
        'challenge_token',
        'This sign-in has expired or was completed; sign in with your password again.',
      );
    }
    if (typeof outcome === 'number') {
      await this.recordFailedLogin(outcome, 'second_factor');
      throw ValidationFailedError.field(factorField(factor), 'code is not correct.');
    }
    return this.login(outcome, tokenName, { two_factor: true });
  }

  /** Audited outside any transaction that the failure rolls back. */
  private async recordFailedLogin(userId: number, reason: 'password' | 'second_factor') {
    await inTransaction(this.dataSource, (manager) =>
      this.audit.record(manager, {
        action: 'auth.login_failed',
        organizationId: null,
        userId,
        auditable: { type: 'user', id: userId },
        newValues: { reason },
      }),
    );
  }

  async login(
    user: User,
    tokenName: string | undefined,
    details: Record<string, unknown> = {},
  ): Promise<IssuedToken> {
    return inTransaction(this.dataSource, async (manager) => {
      currentContext().userId = user.id;
      const { token, apiToken } = await this.tokens.issue(manager, user.id, tokenName ?? 'login');
      await this.audit.record(manager, {
        action: 'auth.login',
        organizationId: null,
        auditable: { type: 'api_token', id: apiToken.id },
        newValues: { token_name: apiToken.name, ...details },
      });
      return { user, token, expiresAt: apiToken.expiresAt };
    });
  }

  async revokeToken(userId: number, tokenId: number, action: 'auth.logout' | 'token.revoked') {
    await inTransaction(this.dataSource, async (manager) => {
      const apiToken = await this.tokens.revoke(manager, userId, tokenId);
      await this.audit.record(manager, {
        action,
        organizationId: null,
        auditable: { type: 'api_token', id: apiToken.id },
        oldValues: { name: apiToken.name },
      });
    });
  }
}
