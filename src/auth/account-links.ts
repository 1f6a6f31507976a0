import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { generateSecretToken, sha256Hex } from '../common/crypto/tokens';
import { APP_CONFIG, AppConfig } from '../config';
import { currentTimestamp } from '../database/timestamped.entity';
import { JobHandlerRegistry } from '../jobs/job-handler';
import { JobQueue } from '../jobs/job-queue.service';
import { MailService } from '../mail/mail.service';
import { User } from '../users/user.entity';
import { accountLinkEmail } from './account.mail';
import { MailedTokenPurpose, UserToken, UserTokenPurpose } from './user-token.entity';

const SEND_ACCOUNT_LINK = 'mail.account_link';

/** How long a token works. */
const TOKEN_TTL_MS: Record<UserTokenPurpose, number> = {
  password_reset: 60 * 60_000,
  email_verification: 24 * 60 * 60_000,
  two_factor_login: 5 * 60_000,
};

const TOKEN_PREFIX: Record<UserTokenPurpose, string> = {
  password_reset: 'rst',
  email_verification: 'vfy',
  two_factor_login: 'tfa',
};

/**
 * Where a link lands in the web app. The token travels in the fragment, which browsers never
 * send to a server: it cannot end up in a request log or a proxy's.
 */
const LINK_PATH: Record<MailedTokenPurpose, string> = {
  password_reset: 'reset-password',
  email_verification: 'verify-email',
};

interface SendAccountLinkPayload {
  user_token_id: number;
  /** The plain token the mail needs (a job secret: encrypted in the jobs table). */
  token: string;
}

/**
 * The single-use links mailed to a person (password reset, email verification): issued in the
 * caller's transaction with a durable mail job, claimed once. A new link of a purpose retires the
 * older ones, so only the latest mail works.
 */
@Injectable()
export class AccountLinks implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly queue: JobQueue,
    private readonly registry: JobHandlerRegistry,
    private readonly mail: MailService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.registry.register<SendAccountLinkPayload>(SEND_ACCOUNT_LINK, {
      handle: (payload) => this.deliver(payload),
    });
  }

  /** Mails a new link of that purpose, retiring the older ones. */
  async issue(manager: EntityManager, user: User, purpose: MailedTokenPurpose): Promise<void> {
    const { id, token } = await this.mint(manager, user.id, purpose);
    await this.queue.enqueue(
      manager,
      SEND_ACCOUNT_LINK,
      { user_token_id: id },
      { maxAttempts: 8, secrets: { token } },
    );
  }

  /** A new token of that purpose (the older ones retired); the plain value is returned once. */
  async mint(
    manager: EntityManager,
    userId: number,
    purpose: UserTokenPurpose,
  ): Promise<{ id: number; token: string; expiresAt: Date }> {
    await this.retire(manager, userId, purpose);
    const token = generateSecretToken(TOKEN_PREFIX[purpose]);
    const saved = await manager.save(
      manager.create(UserToken, {
        userId,
        purpose,
        tokenHash: sha256Hex(token),
        expiresAt: new Date(currentTimestamp().getTime() + TOKEN_TTL_MS[purpose]),
        usedAt: null,
      }),
    );
    return { id: saved.id, token, expiresAt: saved.expiresAt };
  }

  /** The user a live token belongs to, without using it up; null as for `claim`. */
  async holder(
    manager: EntityManager,
    token: string,
    purpose: UserTokenPurpose,
  ): Promise<number | null> {
    return (await this.live(manager, token, purpose))?.userId ?? null;
  }

  /**
   * Uses up a live link: the user id it was issued to, or null when the token is unknown,
   * used, expired or of another purpose. The conditional update makes a race claim it once.
   */
  async claim(
    manager: EntityManager,
    token: string,
    purpose: UserTokenPurpose,
  ): Promise<number | null> {
    const found = await this.live(manager, token, purpose);
    if (!found) return null;
    const claimed = await manager.update(
      UserToken,
      { id: found.id, usedAt: IsNull() },
      { usedAt: currentTimestamp() },
    );
    return claimed.affected === 1 ? found.userId : null;
  }

  /** The token's row while it is unused and unexpired. */
  private async live(manager: EntityManager, token: string, purpose: UserTokenPurpose) {
    const found = await manager.findOneBy(UserToken, { tokenHash: sha256Hex(token), purpose });
    return found && !found.usedAt && found.expiresAt.getTime() > Date.now() ? found : null;
  }

  /** Makes every unused link of that purpose stop working (a reset invalidates older mails). */
  async retire(manager: EntityManager, userId: number, purpose: UserTokenPurpose): Promise<void> {
    await manager.update(
      UserToken,
      { userId, purpose, usedAt: IsNull() },
      { usedAt: currentTimestamp() },
    );
  }

  /** The job: mail the link, unless it was used or superseded meanwhile. */
  private async deliver(payload: SendAccountLinkPayload): Promise<void> {
    const userToken = await this.dataSource.getRepository(UserToken).findOne({
      where: { id: payload.user_token_id },
      relations: { user: true },
    });
    if (!userToken?.user || userToken.usedAt || userToken.expiresAt.getTime() <= Date.now()) return;
    if (userToken.purpose === 'two_factor_login') return;
    const token = payload.token;
    if (sha256Hex(token) !== userToken.tokenHash) return;
    await this.mail.send(
      accountLinkEmail({
        to: userToken.user.email,
        purpose: userToken.purpose,
        link: `${this.config.appUrl}/${LINK_PATH[userToken.purpose]}#${token}`,
        expiresAt: userToken.expiresAt,
      }),
    );
  }
}
