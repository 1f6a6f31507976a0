import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager, MoreThan } from 'typeorm';
import { OrganizationRole } from '../organizations/organization-member.entity';
import { generateSecretToken, sha256Hex } from '../common/crypto/tokens';
import { NotFoundError } from '../common/errors/domain.error';
import { APP_CONFIG, AppConfig } from '../config';
import { inTransaction } from '../database/transaction';
import { ApiToken } from './api-token.entity';
import { AuthenticatedUser } from './authenticated-user';
import { authFactsChanged, VerifiedToken, verifiedTokenCache } from './verified-tokens';

/** The organization setting `require_two_factor`, from its settings JSON as the driver returns it. */
export function requiresTwoFactor(settings: unknown): boolean {
  const parsed: unknown = typeof settings === 'string' ? JSON.parse(settings) : settings;
  return (parsed as { require_two_factor?: unknown } | null)?.require_two_factor === true;
}

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

  /**
   * The user behind a live token, or null for unknown, expired or revoked tokens. With an
   * `organizationId` (the route's), the caller's role there comes back from the same query —
   * null when they are no member or the organization is deleted — so a tenant request costs one
   * round trip for both checks instead of two, and none while the answer is in the verified-token
   * cache (src/auth/verified-tokens.ts), which every change to these facts drops.
   */
  async authenticate(
    token: string,
    organizationId: number | null = null,
  ): Promise<AuthenticatedUser | null> {
    const tokenHash = sha256Hex(token);
    const key = `${tokenHash}:${organizationId ?? ''}`;
    const cache = verifiedTokenCache(this.dataSource);
    let verified = cache.get(key) ?? null;
    if (!verified) {
      const begun = cache.begin();
      verified = await this.lookUp(tokenHash, organizationId);
      if (!verified) return null;
      cache.store(key, verified, begun);
    }
    const now = Date.now();
    if (verified.lastUsedAt === null || now - verified.lastUsedAt > LAST_USED_RESOLUTION_MS) {
      verified.lastUsedAt = now;
      await inTransaction(this.dataSource, (manager) =>
        manager.update(ApiToken, { id: verified.tokenId }, { lastUsedAt: new Date(now) }),
      );
    }
    return {
      id: verified.userId,
      email: verified.email,
      name: verified.name,
      tokenId: verified.tokenId,
      ...(organizationId === null
        ? {}
        : {
            organizationRole: {
              organizationId,
              role: verified.role,
              missingRequiredTwoFactor: verified.missingRequiredTwoFactor,
            },
          }),
    };
  }

  private async lookUp(
    tokenHash: string,
    organizationId: number | null,
  ): Promise<VerifiedToken | null> {
    const metadata = this.dataSource.getMetadata(ApiToken);
    const column = (property: string) => metadata.findColumnWithPropertyName(property)!;
    const driver = this.dataSource.driver;
    const [row] = (await this.dataSource.query(
      'SELECT t.id AS token_id, t.expires_at, t.last_used_at, u.id AS user_id, u.email, u.name,' +
        ' CASE WHEN o.id IS NULL THEN NULL ELSE m.role END AS role,' +
        ' CASE WHEN u.two_factor_confirmed_at IS NULL THEN 0 ELSE 1 END AS two_factor,' +
        ' o.settings AS organization_settings' +
        ' FROM api_tokens t INNER JOIN users u ON u.id = t.user_id' +
        ' LEFT JOIN organization_user m ON m.user_id = t.user_id AND m.organization_id = ?' +
        ' LEFT JOIN organizations o ON o.id = m.organization_id AND o.deleted_at IS NULL' +
        ' WHERE t.token_hash = ? AND t.expires_at > ?',
      [organizationId, tokenHash, driver.preparePersistentValue(new Date(), column('expiresAt'))],
    )) as {
      token_id: number | string;
      expires_at: unknown;
      last_used_at: unknown;
      user_id: number | string;
      email: string;
      name: string;
      role: OrganizationRole | null;
      two_factor: number | string;
      organization_settings: unknown;
    }[];
    if (!row) return null;
    const instant = (value: unknown, property: string) =>
      (driver.prepareHydratedValue(value, column(property)) as Date | null)?.getTime() ?? null;
    return {
      tokenId: Number(row.token_id),
      userId: Number(row.user_id),
      email: row.email,
      name: row.name,
      expiresAt: instant(row.expires_at, 'expiresAt')!,
      lastUsedAt: instant(row.last_used_at, 'lastUsedAt'),
      role: organizationId === null ? null : row.role,
      // Only admins and owners without it can miss it: the settings JSON is read for them alone.
      missingRequiredTwoFactor:
        (row.role === 'owner' || row.role === 'admin') &&
        Number(row.two_factor) === 0 &&
        requiresTwoFactor(row.organization_settings),
    };
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
    await authFactsChanged(manager);
    return apiToken;
  }
}
