import { Logger } from '@nestjs/common';
import { DataSource, EntityManager, SelectQueryBuilder } from 'typeorm';
import { inTransaction, isSqlite } from '../database/transaction';
import { ReconnectRequiredError, TokenRefreshFailedError } from '../integrations/access-tokens';
import { Ending, IntegrationPause } from '../integrations/integration-pause';
import { AppConfig } from '../config';
import { IntegrationSession, IntegrationSessions } from '../integrations/integration-session';
import { IntegrationProviderName } from '../integrations/integration-providers';
import { Integration, IntegrationProviderType } from '../integrations/integration.entity';

/** What a reconciler claims: integrations of one type, and the SQL saying one has work now. */
export interface ClaimQuery {
  providerType: IntegrationProviderType;
  limit: number;
  /** Narrows `due` (alias `integration`) to integrations with work at `now`. */
  withWork(
    due: SelectQueryBuilder<Integration>,
    manager: EntityManager,
    now: Date,
  ): SelectQueryBuilder<Integration>;
}

/**
 * Claims due integrations for a reconciler (docs/architecture.md, "Sync"): active, connected,
 * not paused, with no one holding their lease, and with work; oldest sync first. Chosen with
 * `FOR UPDATE SKIP LOCKED` on MySQL/MariaDB so several worker processes share the accounts;
 * SQLite runs a single worker. The claimed ones are leased to this process's sync owner.
 */
export function claimDueIntegrations(
  dataSource: DataSource,
  sessions: IntegrationSessions,
  query: ClaimQuery,
): Promise<number[]> {
  const now = new Date();
  return inTransaction(dataSource, async (manager) => {
    const due = manager
      .getRepository(Integration)
      .createQueryBuilder('integration')
      .select(sessions.claimColumns('integration'))
      .where('integration.providerType = :providerType', { providerType: query.providerType })
      .andWhere('(integration.isActive IS NULL OR integration.isActive = :yes)', { yes: true })
      .andWhere('(integration.needsReconnect IS NULL OR integration.needsReconnect = :no)', {
        no: false,
      })
      .andWhere(sessions.leaseIsFree('integration'), { now })
      .andWhere('(integration.syncRetryAt IS NULL OR integration.syncRetryAt <= :now)');
    query
      .withWork(due, manager, now)
      .orderBy('integration.lastSyncAt', 'ASC')
      .addOrderBy('integration.id', 'ASC')
      .limit(query.limit);
    if (!isSqlite(dataSource)) due.setLock('pessimistic_write').setOnLocked('skip_locked');
    const chosen = await due.getMany();
    if (chosen.length === 0) return [];
    await sessions.claimForSync(manager, chosen);
    return chosen.map((integration) => integration.id);
  });
}

/** Reads a claimed integration; null (its lease handed back) when it is gone or not `accepts`. */
export async function claimedIntegration(
  dataSource: DataSource,
  sessions: IntegrationSessions,
  integrationId: number,
  accepts: (integration: Integration) => boolean,
  logger: Logger,
): Promise<Integration | null> {
  const integration = await dataSource.manager
    .findOneBy(Integration, { id: integrationId })
    .catch((error: unknown) => {
      logger.error({ msg: 'reading a claimed integration failed', integrationId, err: error });
      return null;
    });
  if (integration && accepts(integration)) return integration;
  await sessions
    .releaseSyncLease(integrationId)
    .catch((error: unknown) =>
      logger.error({ msg: 'releasing a sync lease failed', integrationId, err: error }),
    );
  return null;
}

/** How a claim that threw ends: a refused grant waits for the user, anything else is retried. */
export function pauseAfter(error: unknown, integrationId: number, logger: Logger): Ending {
  // needs_reconnect and its error are recorded already; nothing to retry until the user acts.
  if (error instanceof ReconnectRequiredError) return 'needs_reconnect';
  const message = error instanceof Error ? error.message : String(error);
  if (!(error instanceof TokenRefreshFailedError)) {
    logger.error({ msg: 'sync failed', integrationId, err: error });
  }
  return new IntegrationPause(message, null, true);
}

/** A wait for the request budget longer than this releases the integration until then. */
export const MAX_BUDGET_WAIT_MS = 2_000;

/** What a claim did so far (blocks written or settled), counted as it goes. */
export interface ClaimProgress {
  done: number;
}

/**
 * What every reconciler does with its claims: a pass claims up to `WORKER_CONCURRENCY`
 * integrations and syncs them side by side, each under its sync session, which is always handed
 * back with the account's health (see `IntegrationSession.finish`); `drain` repeats passes until
 * one finds nothing to do.
 */
export abstract class IntegrationReconciler {
  protected abstract readonly logger: Logger;

  constructor(
    protected readonly dataSource: DataSource,
    protected readonly sessions: IntegrationSessions,
    protected readonly config: AppConfig,
  ) {}

  protected abstract claim(limit: number): Promise<number[]>;
  /** Whether a claimed integration is this reconciler's to sync. */
  protected abstract accepts(integration: Integration): boolean;
  /** Syncs one claimed integration; answers how it ended (null: cleanly). */
  protected abstract syncClaimed(
    integration: Integration,
    session: IntegrationSession<IntegrationProviderName>,
    progress: ClaimProgress,
  ): Promise<Ending>;

  /** Claims due integrations and syncs them; returns how many blocks were written or settled. */
  async runOnce(): Promise<number> {
    const claimed = await this.claim(this.config.worker.concurrency);
    const done = await Promise.all(claimed.map((id) => this.syncIntegration(id)));
    return done.reduce((sum, n) => sum + n, 0);
  }

  /** Runs until nothing is due (or `maxRounds`); for tests and the CLI. */
  async drain(maxRounds = 1000): Promise<number> {
    let total = 0;
    for (let round = 0; round < maxRounds; round++) {
      const done = await this.runOnce();
      if (done === 0) break;
      total += done;
    }
    return total;
  }

  /** Hands back every lease this worker holds (shutdown). */
  releaseLeases(): Promise<void> {
    return this.sessions.releaseSyncLeases();
  }

  /**
   * Whether a claim started at `started` may do another batch: within half its lease, and with
   * the lease renewed (a worker that lost it stops).
   */
  protected async mayContinue(
    session: IntegrationSession<IntegrationProviderName>,
    started: number,
  ): Promise<boolean> {
    if (Date.now() - started > (this.config.sync.leaseSeconds * 1000) / 2) return false;
    return session.renew();
  }

  private async syncIntegration(integrationId: number): Promise<number> {
    const integration = await claimedIntegration(
      this.dataSource,
      this.sessions,
      integrationId,
      (found) => this.accepts(found),
      this.logger,
    );
    if (!integration) return 0;
    const session = this.sessions.forSync(
      integration,
      integration.provider as IntegrationProviderName,
    );
    const progress: ClaimProgress = { done: 0 };
    let pause: Ending = null;
    try {
      pause = await this.syncClaimed(integration, session, progress);
    } catch (error) {
      pause = pauseAfter(error, integrationId, this.logger);
    } finally {
      await session
        .finish(pause)
        .catch((error: unknown) =>
          this.logger.error({ msg: 'releasing a sync lease failed', integrationId, err: error }),
        );
    }
    return progress.done;
  }
}
