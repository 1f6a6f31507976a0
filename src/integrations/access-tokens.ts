import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { DecryptionError, Encrypter } from '../common/crypto/encrypter';
import { currentTimestamp } from '../database/timestamped.entity';
import { inTransaction, isSqlite } from '../database/transaction';
import { ProviderError, RefreshedTokens } from '../providers/calendar-provider';
import { Integration } from './integration.entity';
import { IntegrationProviders } from './integration-providers';
import { metrics } from '../metrics/metrics';

/** A token this close to its expiry is refreshed before use rather than sent and refused. */
const EXPIRY_MARGIN_MS = 60_000;

/** The provider refused the refresh token; the integration is marked `needs_reconnect`. */
export class ReconnectRequiredError extends Error {
  constructor(readonly integrationId: number) {
    super(`Integration ${integrationId} needs to be connected again.`);
    this.name = 'ReconnectRequiredError';
  }
}

/** The token endpoint failed in a way worth retrying later (5xx, timeout, reset). */
export class TokenRefreshFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenRefreshFailedError';
  }
}

/** What the token endpoint (or the vault) answered: new tokens, a reason to reconnect, a failure. */
type ProviderAnswer = RefreshedTokens | { reconnect: string } | { failed: string };

const REFUSED_GRANT = 'invalid_grant: the provider refused the refresh token; connect again.';
/** A token that does not decrypt here: a changed APP_KEY, or a value moved from another row. */
const UNREADABLE_GRANT =
  'The stored authorization of this account cannot be read (was APP_KEY changed without ' +
  'APP_PREVIOUS_KEYS?); connect it again.';

type RefreshOutcome =
  | { kind: 'token'; accessToken: string }
  | { kind: 'reconnect' }
  | { kind: 'failed'; message: string };

/**
 * The access tokens of integrations (calendar and invoicing), refreshed when they are about to expire or were
 * refused (docs/architecture.md, "Errors, classified once").
 *
 * A refresh happens under a row lock on the integration (`SELECT … FOR UPDATE` on MySQL/MariaDB),
 * and the lock holder re-reads the row first: if another worker refreshed meanwhile, its token is
 * used instead of refreshing again. That matters for Microsoft, which rotates the refresh token on
 * every refresh — two racing refreshes would leave one worker holding a dead refresh token. The
 * rotated refresh token is stored in the same transaction. SQLite has a single worker and one
 * writer, so there the refresh runs without holding the write queue during the HTTP call.
 */
@Injectable()
export class AccessTokens {
  private readonly logger = new Logger(AccessTokens.name);
  /** Per integration, the last token operation of this process: they run one after another. */
  private readonly queues = new Map<number, Promise<unknown>>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly encrypter: Encrypter,
    private readonly providers: IntegrationProviders,
  ) {}

  /** A usable access token: the stored one while it is fresh, else a refreshed one. */
  current(integrationId: number): Promise<string> {
    return this.refreshIf(integrationId, (integration) => isExpiring(integration));
  }

  /** After the provider answered 401 to `rejected`: refresh, unless another worker already did. */
  afterUnauthorized(integrationId: number, rejected: string): Promise<string> {
    return this.refreshIf(
      integrationId,
      (integration, accessToken) => accessToken === rejected || isExpiring(integration),
    );
  }

  /**
   * One token operation per integration at a time in this process (the row lock does the same
   * across processes on MySQL; SQLite has only this): a caller that waited finds the token its
   * predecessor refreshed and uses it.
   */
  private refreshIf(
    integrationId: number,
    needsRefresh: (integration: Integration, accessToken: string) => boolean,
  ): Promise<string> {
    const previous = this.queues.get(integrationId) ?? Promise.resolve();
    const run = previous
      .catch(() => undefined)
      .then(() => this.refreshNow(integrationId, needsRefresh));
    const settled = run.catch(() => undefined);
    this.queues.set(integrationId, settled);
    void settled.then(() => {
      if (this.queues.get(integrationId) === settled) this.queues.delete(integrationId);
    });
    return run;
  }

  private async refreshNow(
    integrationId: number,
    needsRefresh: (integration: Integration, accessToken: string) => boolean,
  ): Promise<string> {
    const outcome = isSqlite(this.dataSource)
      ? await this.refreshUnlocked(integrationId, needsRefresh)
      : await inTransaction(this.dataSource, (manager) =>
          this.refreshLocked(manager, integrationId, needsRefresh),
        );
    if (outcome.kind === 'reconnect') throw new ReconnectRequiredError(integrationId);
    if (outcome.kind === 'failed') throw new TokenRefreshFailedError(outcome.message);
    return outcome.accessToken;
  }

  private async refreshLocked(
    manager: EntityManager,
    integrationId: number,
    needsRefresh: (integration: Integration, accessToken: string) => boolean,
  ): Promise<RefreshOutcome> {
    const integration = await manager
      .getRepository(Integration)
      .createQueryBuilder('integration')
      .setLock('pessimistic_write')
      .where('integration.id = :integrationId', { integrationId })
      .getOneOrFail();
    const accessToken = this.accessTokenOf(integration);
    if (accessToken === null)
      return this.store(manager, integration, { reconnect: UNREADABLE_GRANT });
    if (!needsRefresh(integration, accessToken)) return { kind: 'token', accessToken };
    return this.refreshAndStore(manager, integration);
  }

  private async refreshUnlocked(
    integrationId: number,
    needsRefresh: (integration: Integration, accessToken: string) => boolean,
  ): Promise<RefreshOutcome> {
    const integration = await this.dataSource.manager.findOneByOrFail(Integration, {
      id: integrationId,
    });
    const accessToken = this.accessTokenOf(integration);
    if (accessToken !== null && !needsRefresh(integration, accessToken)) {
      return { kind: 'token', accessToken };
    }
    const refreshed =
      accessToken === null ? { reconnect: UNREADABLE_GRANT } : await this.callProvider(integration);
    return inTransaction(this.dataSource, (manager) => this.store(manager, integration, refreshed));
  }

  private async refreshAndStore(
    manager: EntityManager,
    integration: Integration,
  ): Promise<RefreshOutcome> {
    return this.store(manager, integration, await this.callProvider(integration));
  }

  private async callProvider(integration: Integration): Promise<ProviderAnswer> {
    if (this.providers.typeOf(integration.provider) === null || !integration.refreshToken) {
      return { reconnect: REFUSED_GRANT };
    }
    const refreshToken = this.secretOf(integration, 'integrations.refresh_token');
    if (refreshToken === null) return { reconnect: UNREADABLE_GRANT };
    const counted = (outcome: string) =>
      metrics.tokenRefreshes.inc({ provider: integration.provider, outcome });
    try {
      const refreshed = await this.providers.oauth(integration.provider).refresh(refreshToken);
      counted('ok');
      return refreshed;
    } catch (error) {
      if (error instanceof ProviderError && error.code === 'invalid_grant') {
        counted('reconnect');
        return { reconnect: REFUSED_GRANT };
      }
      counted('failed');
      const message = error instanceof Error ? error.message : String(error);
      this.logger.warn({ msg: 'token refresh failed', integration: integration.id, err: message });
      return { failed: `token refresh failed: ${message}` };
    }
  }

  private async store(
    manager: EntityManager,
    integration: Integration,
    refreshed: ProviderAnswer,
  ): Promise<RefreshOutcome> {
    if ('reconnect' in refreshed) {
      await manager.update(Integration, integration.id, {
        needsReconnect: true,
        lastError: refreshed.reconnect,
        errorCount: () => 'COALESCE(error_count, 0) + 1',
        updatedAt: currentTimestamp(),
      });
      return { kind: 'reconnect' };
    }
    if ('failed' in refreshed) return { kind: 'failed', message: refreshed.failed };
    await manager.update(Integration, integration.id, {
      accessToken: this.encrypter.encrypt(refreshed.accessToken, {
        column: 'integrations.access_token',
        id: integration.id,
      }),
      // Google usually sends no new refresh token (keep ours); Microsoft, Moneybird and Xero
      // rotate it.
      ...(refreshed.refreshToken
        ? {
            refreshToken: this.encrypter.encrypt(refreshed.refreshToken, {
              column: 'integrations.refresh_token',
              id: integration.id,
            }),
          }
        : {}),
      expiresAt: refreshed.expiresAt,
      updatedAt: currentTimestamp(),
    });
    return { kind: 'token', accessToken: refreshed.accessToken };
  }

  private accessTokenOf(integration: Integration): string | null {
    return this.secretOf(integration, 'integrations.access_token');
  }

  /** A token column in plain text, or null when it does not decrypt at this row. */
  private secretOf(
    integration: Integration,
    column: 'integrations.access_token' | 'integrations.refresh_token',
  ): string | null {
    const stored =
      column === 'integrations.access_token' ? integration.accessToken : integration.refreshToken;
    try {
      return this.encrypter.decrypt(stored ?? '', { column, id: integration.id });
    } catch (error) {
      if (!(error instanceof DecryptionError)) throw error;
      this.logger.warn({
        msg: 'a stored token does not decrypt',
        integration: integration.id,
        column,
      });
      return null;
    }
  }
}

function isExpiring(integration: Integration): boolean {
  return (
    integration.expiresAt !== null &&
    integration.expiresAt.getTime() - EXPIRY_MARGIN_MS <= Date.now()
  );
}
