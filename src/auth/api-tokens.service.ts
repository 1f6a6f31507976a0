import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager, MoreThan } from 'typeorm';
import { OrganizationRole } from '../organizations/organization-member.entity';
import { generateSecretToken, sha256Hex } from '../common/crypto/tokens';
import { NotFoundError } from '../common/errors/domain.error';
import { APP_CONFIG, AppConfig } from '../config';
import { inTransaction } from '../database/transaction';
import { ApiToken } from './api-token.entity';
import { AuthenticatedUser, OrganizationRoleLookup } from './authenticated-user';

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
   * round trip for both checks instead of two.
   */
  async authenticate(
    token: string,
    organizationId: number | null = null,
  ): Promise<AuthenticatedUser | null> {
    const metadata = this.dataSource.getMetadata(ApiToken);
    const column = (property: string) => metadata.findColumnWithPropertyName(property)!;
    const driver = this.dataSource.driver;
    const [row] = (await this.dataSource.query(
      'SELECT t.id AS token_id, t.last_used_at, u.id AS user_id, u.email, u.name,' +
        ' CASE WHEN o.id IS NULL THEN NULL ELSE m.role END AS role,' +
        ' CASE WHEN u.two_factor_confirmed_at IS NULL THEN 0 ELSE 1 END AS two_factor,' +
        ' o.settings AS organization_settings' +
        ' FROM api_tokens t INNER JOIN users u ON u.id = t.user_id' +
        ' LEFT JOIN organization_user m ON m.user_id = t.user_id AND m.organization_id = ?' +
        ' LEFT JOIN organizations o ON o.id = m.organization_id AND o.deleted_at IS NULL' +
        ' WHERE t.token_hash = ? AND t.expires_at > ?',
      [
        organizationId,
        sha256Hex(token),
        driver.preparePersistentValue(new Date(), column('expiresAt')),
      ],
    )) as {
      token_id: number | string;
      last_used_at: unknown;
      user_id: number | string;
      email: string;
      name: string;
      role: OrganizationRole | null;
      two_factor: number | string;
      organization_settings: unknown;
    }[];
    if (!row) return null;
    const tokenId = Number(row.token_id);
    const lastUsedAt = driver.prepareHydratedValue(
      row.last_used_at,
      column('lastUsedAt'),
    ) as Date | null;
    const now = Date.now();
    if (!lastUsedAt || now - lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      await inTransaction(this.dataSource, (manager) =>
        manager.update(ApiToken, { id: tokenId }, { lastUsedAt: new Date(now) }),
      );
    }
    const organizationRole: OrganizationRoleLookup | undefined =
      organizationId === null
        ? undefined
        : {
            organizationId,
            role: row.role,
            // Only admins and owners without it can miss it: the settings JSON is read for them alone.
            missingRequiredTwoFactor:
              (row.role === 'owner' || row.role === 'admin') &&
              Number(row.two_factor) === 0 &&
              requiresTwoFactor(row.organization_settings),
          };
    return {
      id: Number(row.user_id),
      email: row.email,
      name: row.name,
      tokenId,
      ...(organizationRole ? { organizationRole } : {}),
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
    return apiToken;
  }
}
