import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { Encrypter, SecretPlace } from '../common/crypto/encrypter';
import { sha256Hex } from '../common/crypto/tokens';
import { ConflictError, ValidationFailedError } from '../common/errors/domain.error';
import { RateLimiter } from '../common/rate-limit/rate-limiter';
import { currentTimestamp } from '../database/timestamped.entity';
import { inTransaction } from '../database/transaction';
import { User } from '../users/user.entity';
import { AuthenticatedUser } from './authenticated-user';
import { PasswordHasher } from './password-hasher';
import { base32Encode, matchTotp, newTotpSecret, otpauthUrl } from './totp';
import { authFactsChanged } from './verified-tokens';

const RECOVERY_CODES = 10;

/** A second factor: either a code from the authenticator app or one of the recovery codes. */
export interface SecondFactor {
  code?: string;
  recovery_code?: string;
}

/** `xxxxx-xxxxx`, lowercase base32: easy to read off paper and to type. */
const newRecoveryCode = () => {
  const raw = base32Encode(randomBytes(7)).slice(0, 10).toLowerCase();
  return `${raw.slice(0, 5)}-${raw.slice(5)}`;
};
const normaliseRecoveryCode = (code: string) => code.trim().toLowerCase();

/**
 * Two-factor authentication with TOTP (RFC 6238) and one-time recovery codes: enrol, confirm
 * with a first code, disable, new recovery codes, and the second step of a login.
 */
@Injectable()
export class TwoFactorService {
  /** Guessing six digits needs many tries; a handful per minute and account is plenty. */
  private readonly attempts: RateLimiter;

  constructor(
    private readonly dataSource: DataSource,
    private readonly hasher: PasswordHasher,
    private readonly encrypter: Encrypter,
    private readonly audit: AuditService,
  ) {
    this.attempts = new RateLimiter(dataSource, 5, 60);
  }

  /** Starts (or restarts) an enrolment: the secret for the app, not in force until confirmed. */
  async enrol(caller: AuthenticatedUser, password: string) {
    const user = await this.withSecrets(this.dataSource.manager, caller.id);
    await this.checkPassword(user, password);
    if (user.twoFactorConfirmedAt) {
      throw new ConflictError('Two-factor authentication is already on; disable it first.');
    }
    const secret = newTotpSecret();
    await this.dataSource.manager.update(
      User,
      { id: caller.id },
      {
        twoFactorSecret: this.encrypter.encrypt(secret, twoFactorSecretOf(caller.id)),
        twoFactorRecoveryCodes: null,
      },
    );
    return { secret, otpauth_url: otpauthUrl('danwel', user.email, secret) };
  }

  /** The first code proves the app holds the secret; answers the recovery codes, once. */
  async confirm(caller: AuthenticatedUser, code: string): Promise<string[]> {
    await this.attempts.consume(`2fa:user:${caller.id}`);
    return inTransaction(this.dataSource, async (manager) => {
      const user = await this.withSecrets(manager, caller.id);
      if (user.twoFactorConfirmedAt) {
        throw new ConflictError('Two-factor authentication is already on.');
      }
      if (!user.twoFactorSecret) {
        throw new ConflictError('Start with POST /api/v1/me/two-factor to get a secret.');
      }
      const step = matchTotp(
        this.encrypter.decrypt(user.twoFactorSecret, twoFactorSecretOf(user.id)),
        code,
        Date.now(),
        null,
      );
      if (step === null) throw ValidationFailedError.field('code', 'code is not correct.');
      const codes = Array.from({ length: RECOVERY_CODES }, newRecoveryCode);
      await manager.update(
        User,
        { id: caller.id },
        {
          twoFactorConfirmedAt: currentTimestamp(),
          twoFactorLastStep: step,
          twoFactorRecoveryCodes: codes.map(sha256Hex),
        },
      );
      await authFactsChanged(manager);
      await this.record(manager, caller.id, 'auth.two_factor_enabled');
      return codes;
    });
  }

  /** Turning it off needs the password and a second factor. */
  async disable(caller: AuthenticatedUser, password: string, factor: SecondFactor) {
    await inTransaction(this.dataSource, async (manager) => {
      const user = await this.withSecrets(manager, caller.id);
      await this.checkPassword(user, password);
      if (!user.twoFactorConfirmedAt) {
        throw new ConflictError('Two-factor authentication is not on.');
      }
      if (!(await this.passSecondFactor(manager, user, factor))) {
        throw ValidationFailedError.field(factorField(factor), 'code is not correct.');
      }
      await manager.update(
        User,
        { id: caller.id },
        {
          twoFactorSecret: null,
          twoFactorConfirmedAt: null,
          twoFactorRecoveryCodes: null,
          twoFactorLastStep: null,
        },
      );
      await authFactsChanged(manager);
      await this.record(manager, caller.id, 'auth.two_factor_disabled');
    });
  }

  /** New recovery codes replace the old ones (all of them). */
  async regenerateRecoveryCodes(caller: AuthenticatedUser, password: string): Promise<string[]> {
    return inTransaction(this.dataSource, async (manager) => {
      const user = await this.withSecrets(manager, caller.id);
      await this.checkPassword(user, password);
      if (!user.twoFactorConfirmedAt) {
        throw new ConflictError('Two-factor authentication is not on.');
      }
      const codes = Array.from({ length: RECOVERY_CODES }, newRecoveryCode);
      await manager.update(
        User,
        { id: caller.id },
        { twoFactorRecoveryCodes: codes.map(sha256Hex) },
      );
      await this.record(manager, caller.id, 'auth.recovery_codes_regenerated');
      return codes;
    });
  }

  /**
   * The second step of a login, in the caller's transaction: true when the code (not used
   * before) or an unused recovery code matches; the recovery code is used up.
   */
  async passSecondFactor(
    manager: EntityManager,
    user: User,
    factor: SecondFactor,
  ): Promise<boolean> {
    await this.attempts.consume(`2fa:user:${user.id}`);
    const full =
      user.twoFactorSecret === undefined ? await this.withSecrets(manager, user.id) : user;
    if (!full.twoFactorSecret || !full.twoFactorConfirmedAt) return false;
    if (factor.code !== undefined) {
      const step = matchTotp(
        this.encrypter.decrypt(full.twoFactorSecret, twoFactorSecretOf(user.id)),
        factor.code,
        Date.now(),
        full.twoFactorLastStep ?? null,
      );
      if (step === null) return false;
      await manager.update(User, { id: user.id }, { twoFactorLastStep: step });
      return true;
    }
    if (factor.recovery_code === undefined) return false;
    const digest = sha256Hex(normaliseRecoveryCode(factor.recovery_code));
    const remaining = full.twoFactorRecoveryCodes ?? [];
    if (!remaining.includes(digest)) return false;
    await manager.update(
      User,
      { id: user.id },
      { twoFactorRecoveryCodes: remaining.filter((code) => code !== digest) },
    );
    await this.record(manager, user.id, 'auth.recovery_code_used', {
      remaining: remaining.length - 1,
    });
    return true;
  }

  private withSecrets(manager: EntityManager, userId: number): Promise<User> {
    return manager
      .getRepository(User)
      .createQueryBuilder('user')
      .addSelect(['user.twoFactorSecret', 'user.twoFactorRecoveryCodes', 'user.twoFactorLastStep'])
      .where('user.id = :userId', { userId })
      .getOneOrFail();
  }

  private async checkPassword(user: User, password: string) {
    if (!(await this.hasher.verify(user.password, password))) {
      throw ValidationFailedError.field('password', 'password is not correct.');
    }
  }

  private record(
    manager: EntityManager,
    userId: number,
    action: string,
    newValues?: Record<string, unknown>,
  ) {
    return this.audit.record(manager, {
      action,
      organizationId: null,
      userId,
      auditable: { type: 'user', id: userId },
      newValues,
    });
  }
}

/** Which field a wrong second factor is reported on. */
export const factorField = (factor: SecondFactor) =>
  factor.recovery_code !== undefined ? 'recovery_code' : 'code';

const twoFactorSecretOf = (userId: number): SecretPlace => ({
  column: 'users.two_factor_secret',
  id: userId,
});
