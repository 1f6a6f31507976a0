import { Inject, Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource, EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config';
import { inTransaction, isSqlite } from '../database/transaction';
import { backoffSeconds } from '../jobs/backoff';
import { LeaseHolder, LeaseTable, workerIdentity } from '../jobs/lease';
import { CalendarEventsClient, EventWrite, WriteResult } from '../providers/calendar-events';
import { AccessTokens } from './access-tokens';
import { Ending } from './integration-pause';
import { Integration, IntegrationLeaseKind } from './integration.entity';
import {
  CalendarProviderName,
  IntegrationProviderName,
  IntegrationProviders,
} from './integration-providers';
import { RequestBudget } from './request-budget';

/** How often a session waiting for the lease looks again. */
const LEASE_POLL_MS = 200;

const integrationLease = new LeaseTable(Integration, {
  owner: { property: 'syncLeaseOwner', column: 'sync_lease_owner' },
  expiresAt: { property: 'syncLeaseExpiresAt', column: 'sync_lease_expires_at' },
  kind: { property: 'syncLeaseKind', column: 'sync_lease_kind' },
});

/** Whether a disconnect holds the integration right now. */
export function isBeingDisconnected(integration: Integration): boolean {
  return (
    integration.syncLeaseKind === 'disconnect' &&
    integration.syncLeaseExpiresAt !== null &&
    integration.syncLeaseExpiresAt.getTime() > Date.now()
  );
}

/**
 * Opens integration sessions. One per process: the sync worker's owner id and the request budget
 * (which lives in the memory of the process holding the account's lease) are shared by them all.
 */
@Injectable()
export class IntegrationSessions {
  /** This process's sync owner id: every integration its sync worker claims is held under it. */
  readonly workerId = workerIdentity();
  private readonly budget = new RequestBudget();

  constructor(
    private readonly dataSource: DataSource,
    private readonly accessTokens: AccessTokens,
    private readonly providers: IntegrationProviders,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** SQL for "no one holds the integration's lease at `:now`", on the select's `alias`. */
  leaseIsFree(alias: string): string {
    return integrationLease.free(alias);
  }

  /** What a claiming select on `alias` reads for `claimForSync`. */
  claimColumns(alias: string): string[] {
    return integrationLease.claimColumns(alias);
  }

  /**
   * Takes the sync lease on integrations the caller chose (with `claimColumns`) and locked: a
   * sync worker's claim.
   */
  async claimForSync(manager: EntityManager, chosen: Integration[]): Promise<void> {
    await integrationLease.take(manager, chosen, this.syncHolder(), this.leaseEnd());
  }

  /** A session of the sync worker on an integration it claimed. */
  forSync<P extends IntegrationProviderName>(
    integration: Pick<Integration, 'id'>,
    provider: P,
  ): IntegrationSession<P> {
    return new IntegrationSession(this, integration.id, provider, this.syncHolder());
  }

  /**
   * A session of its own owner: a disconnect (which takes the lease with `acquire`), a calendar
   * refresh or a read of invoicing entries (which take none: they write nothing to the provider,
   * and must not wait behind a sync claim).
   */
  open<P extends IntegrationProviderName>(
    integration: Pick<Integration, 'id'>,
    provider: P,
    kind: 'disconnect' | 'refresh' | 'read',
  ): IntegrationSession<P> {
    const holder: LeaseHolder =
      kind === 'disconnect' ? { id: workerIdentity(), kind } : { id: workerIdentity() };
    return new IntegrationSession(this, integration.id, provider, holder);
  }

  /** Hands back the sync lease on one integration without a session (nothing was done). */
  async releaseSyncLease(integrationId: number): Promise<void> {
    await inTransaction(this.dataSource, (manager) =>
      integrationLease.release(manager, this.syncHolder(), { id: integrationId }),
    );
  }

  /** Hands back every sync lease this process holds (shutdown). */
  async releaseSyncLeases(): Promise<void> {
    await inTransaction(this.dataSource, (manager) =>
      integrationLease.release(manager, this.syncHolder()),
    );
  }

  /** @internal What sessions share. */
  get deps() {
    return {
      dataSource: this.dataSource,
      accessTokens: this.accessTokens,
      budget: this.budget,
      config: this.config,
      providers: this.providers,
      lease: integrationLease,
      leaseEnd: () => this.leaseEnd(),
    };
  }

  private syncHolder(): LeaseHolder<IntegrationLeaseKind> {
    return { id: this.workerId, kind: 'sync' };
  }

  private leaseEnd(): Date {
    return new Date(Date.now() + this.config.sync.leaseSeconds * 1000);
  }
}

/**
 * What one owner (the sync worker, a disconnect, a calendar refresh) needs while it talks to one
 * connected account: the integration's lease, the access token with the single refresh-and-retry
 * after a 401, and the account's request budget (docs/architecture.md, "Integration session").
 */
export class IntegrationSession<P extends IntegrationProviderName = CalendarProviderName> {
  constructor(
    private readonly sessions: IntegrationSessions,
    readonly integrationId: number,
    readonly provider: P,
    private readonly holder: LeaseHolder,
  ) {}

  private get deps() {
    return this.sessions.deps;
  }

  /**
   * Takes the lease unless someone holds an unexpired one, waiting up to `waitMs` for its holder to
   * hand it back. False when it is still held then.
   */
  async acquire(waitMs = 0): Promise<boolean> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const taken = await inTransaction(this.deps.dataSource, (manager) =>
        this.deps.lease.takeIfFree(manager, this.integrationId, this.holder, this.deps.leaseEnd()),
      );
      if (taken || Date.now() >= deadline) return taken;
      await sleep(LEASE_POLL_MS);
    }
  }

  /** Extends the lease; false when it is no longer ours (it ran out and was taken over). */
  renew(): Promise<boolean> {
    return inTransaction(this.deps.dataSource, (manager) =>
      this.deps.lease.renew(manager, this.integrationId, this.holder, this.deps.leaseEnd()),
    );
  }

  /** Whether the lease is still ours, locking the row (MySQL) for the rest of `manager`'s transaction. */
  async stillHeld(manager: EntityManager): Promise<boolean> {
    const query = manager
      .getRepository(Integration)
      .createQueryBuilder('integration')
      .where('integration.id = :id AND integration.syncLeaseOwner = :owner', {
        id: this.integrationId,
        owner: this.holder.id,
      });
    if (!isSqlite(this.deps.dataSource)) query.setLock('pessimistic_write');
    return (await query.getOne()) !== null;
  }

  /** Hands the lease back (only while it is ours). */
  async release(): Promise<void> {
    await inTransaction(this.deps.dataSource, (manager) =>
      this.deps.lease.release(manager, this.holder, { id: this.integrationId }),
    );
  }

  /**
   * Hands the sync lease back with the account's health: a clean pass (`null`) clears its error, a
   * pause schedules the next attempt — after `Retry-After` when the provider said, else with
   * backoff; `needs_reconnect` is recorded already and changes nothing more.
   */
  async finish(ending: Ending): Promise<void> {
    await inTransaction(this.deps.dataSource, async (manager) => {
      const integration = await manager.findOneBy(Integration, {
        id: this.integrationId,
        ...this.deps.lease.heldBy(this.holder),
      });
      if (!integration) return; // deleted, or the lease was taken over
      const now = new Date();
      let health: Partial<
        Pick<Integration, 'errorCount' | 'lastError' | 'syncRetryAt' | 'lastSyncAt'>
      > = {};
      if (ending === null) {
        health = { lastSyncAt: now, lastError: null, errorCount: 0, syncRetryAt: null };
      } else if (ending !== 'needs_reconnect') {
        const errorCount = (integration.errorCount ?? 0) + (ending.countsAsError ? 1 : 0);
        const delay =
          ending.retryAfterSeconds ?? backoffSeconds(Math.max(1, errorCount), this.backoff());
        health = {
          lastError: ending.countsAsError ? ending.message.slice(0, 1000) : integration.lastError,
          errorCount,
          syncRetryAt: new Date(now.getTime() + delay * 1000),
        };
      }
      await this.deps.lease.release(manager, this.holder, {
        id: this.integrationId,
        extra: health,
      });
    });
  }

  /** A usable access token (refreshed first when it is about to expire). */
  token(): Promise<string> {
    return this.deps.accessTokens.current(this.integrationId);
  }

  /** Milliseconds before `cost` more requests fit in the account's budget. */
  budgetWaitMs(cost: number): number {
    const waits = this.deps.providers
      .rateLimits(this.provider)
      .map((limit) => this.deps.budget.waitMs(this.integrationId, cost, limit));
    return Math.max(0, ...waits);
  }

  /**
   * One provider call with the access token. When `isRefusal` says the provider refused the
   * token, it is refreshed once and the call made again.
   */
  async call<T>(request: (token: string) => Promise<T>, isRefusal: (error: unknown) => boolean) {
    type Outcome = { ok: true; value: T } | { ok: false; error: unknown };
    const attempt = async (token: string): Promise<Outcome> => {
      const answered = this.spend(1);
      try {
        return { ok: true, value: await request(token) };
      } catch (error) {
        return { ok: false, error };
      } finally {
        answered();
      }
    };
    const outcome = await this.authorized(
      attempt,
      (first) => !first.ok && isRefusal(first.error),
      (fresh) => attempt(fresh),
    );
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  /**
   * Sends event writes (in the client's batches); the writes refused with 401 are sent once more
   * after a refresh. Refused twice is not a token problem a refresh fixes: retryable, later.
   */
  async apply(client: CalendarEventsClient, writes: EventWrite[]): Promise<WriteResult[]> {
    const refusedAt = (results: WriteResult[]) =>
      results.flatMap((result, i) =>
        !result.ok && result.failure.kind === 'unauthorized' ? [i] : [],
      );
    return this.authorized(
      (token) => {
        const answered = this.spend(writes.length);
        return client.apply(token, writes).finally(answered);
      },
      (results) => refusedAt(results).length > 0,
      async (fresh, results) => {
        const refused = refusedAt(results);
        const answered = this.spend(refused.length);
        const retried = await client
          .apply(
            fresh,
            refused.map((i) => writes[i]),
          )
          .finally(answered);
        refused.forEach((index, n) => {
          const result = retried[n];
          results[index] =
            !result.ok && result.failure.kind === 'unauthorized'
              ? { ok: false, failure: { ...result.failure, kind: 'retryable' } }
              : result;
        });
        return results;
      },
    );
  }

  /**
   * The one refresh-and-retry: `attempt` with the current token; when `refused` says the provider
   * refused it, the token is refreshed — single-flight, and not again if another worker already did
   * (see AccessTokens.afterUnauthorized) — and `retry` runs once with the fresh one.
   */
  private async authorized<T>(
    attempt: (token: string) => Promise<T>,
    refused: (first: T) => boolean,
    retry: (fresh: string, first: T) => Promise<T>,
  ): Promise<T> {
    const token = await this.token();
    const first = await attempt(token);
    if (!refused(first)) return first;
    const fresh = await this.deps.accessTokens.afterUnauthorized(this.integrationId, token);
    return retry(fresh, first);
  }

  /** Counts `cost` requests sent now; the function it answers is called when they are answered. */
  private spend(cost: number): () => void {
    return this.deps.budget.spend(this.integrationId, cost);
  }

  private backoff() {
    return {
      baseSeconds: this.deps.config.sync.backoffBaseSeconds,
      capSeconds: this.deps.config.sync.backoffMaxSeconds,
    };
  }
}
