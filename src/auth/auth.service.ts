import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { currentContext } from '../common/context/request-context';
import { ValidationFailedError } from '../common/errors/domain.error';
import { RateLimiter } from '../common/rate-limit/rate-limiter';
import { APP_CONFIG, AppConfig } from '../config';
import { currentTimestamp } from '../database/timestamped.entity';
import { inTransaction } from '../database/transaction';
import { InvitationsService } from '../invitations/invitations.service';
import { User } from '../users/user.entity';
import { AccountService } from './account.service';
import { ApiTokensService } from './api-tokens.service';
import { RegisterDto } from './dto/register.dto';
import { PasswordHasher } from './password-hasher';

export interface IssuedToken {
  user: User;
  token: string;
  expiresAt: Date;
}

@Injectable()
export class AuthService {
  private readonly limiter: RateLimiter;

  constructor(
    private readonly dataSource: DataSource,
    private readonly hasher: PasswordHasher,
    private readonly tokens: ApiTokensService,
    private readonly audit: AuditService,
    private readonly invitations: InvitationsService,
    private readonly account: AccountService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.limiter = new RateLimiter(config.auth.throttlePerMinute, 60);
  }

  async register(dto: RegisterDto, ip: string): Promise<IssuedToken> {
    this.limiter.consume(`register:ip:${ip}`, `register:email:${dto.email}`);
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
    this.limiter.consume(`login:ip:${ip}`, `login:email:${normalised}`);
    const user = await this.dataSource.getRepository(User).findOneBy({ email: normalised });
    const valid = await this.hasher.verify(user?.password ?? null, password);
    return valid && user ? user : null;
  }

  async login(user: User, tokenName: string | undefined): Promise<IssuedToken> {
    return inTransaction(this.dataSource, async (manager) => {
      currentContext().userId = user.id;
      const { token, apiToken } = await this.tokens.issue(manager, user.id, tokenName ?? 'login');
      await this.audit.record(manager, {
        action: 'auth.login',
        organizationId: null,
        auditable: { type: 'api_token', id: apiToken.id },
        newValues: { token_name: apiToken.name },
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
