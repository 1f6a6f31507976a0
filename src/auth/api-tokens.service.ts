import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager, MoreThan } from 'typeorm';
import { generateSecretToken, sha256Hex } from '../common/crypto/tokens';
import { NotFoundError } from '../common/errors/domain.error';
import { APP_CONFIG, AppConfig } from '../config';
import { inTransaction } from '../database/transaction';
import { User } from '../users/user.entity';
import { ApiToken } from './api-token.entity';
import { AuthenticatedUser } from './authenticated-user';

/** Writing last_used_at on every request would turn each read into a write; once a minute is plenty. */
const LAST_USED_RESOLUTION_MS = 60_000;

@Injectable()
export class ApiTokensService {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Creates a token; the plain value is returned once and never stored. */
  async issue(
    manager: EntityManager,
    userId: number,
    name: string,
  ): Promise<{ token: string; apiToken: ApiToken }> {
    const token = generateSecretToken('dwl');
    const apiToken = await manager.save(
      manager.create(ApiToken, {
        userId,
        name: name.slice(0, 255),
        tokenHash: sha256Hex(token),
        lastUsedAt: null,
        expiresAt: new Date(Date.now() + this.config.auth.apiTokenTtlDays * 86_400_000),
      }),
    );
    return { token, apiToken };
  }

  /** The user behind a live token, or null for unknown, expired or revoked tokens. */
  async authenticate(token: string): Promise<AuthenticatedUser | null> {
    const apiToken = await this.dataSource.getRepository(ApiToken).findOne({
      where: { tokenHash: sha256Hex(token), expiresAt: MoreThan(new Date()) },
      relations: { user: true },
    });
    if (!apiToken?.user) return null;
    const now = Date.now();
    if (!apiToken.lastUsedAt || now - apiToken.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      await inTransaction(this.dataSource, (manager) =>
        manager.update(ApiToken, { id: apiToken.id }, { lastUsedAt: new Date(now) }),
      );
    }
    const user: User = apiToken.user;
    return { id: user.id, email: user.email, name: user.name, tokenId: apiToken.id };
  }

  list(userId: number): Promise<ApiToken[]> {
    return this.dataSource.getRepository(ApiToken).find({
      where: { userId, expiresAt: MoreThan(new Date()) },
      order: { id: 'DESC' },
    });
  }

  /** Deletes one of the user's own tokens; another user's token id is "not found". */
  async revoke(manager: EntityManager, userId: number, tokenId: number): Promise<ApiToken> {
    const apiToken = await manager.findOneBy(ApiToken, { id: tokenId, userId });
    if (!apiToken) throw new NotFoundError('Token');
    await manager.delete(ApiToken, { id: apiToken.id });
    return apiToken;
  }
}
