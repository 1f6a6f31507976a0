import { Inject, Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { Calendar } from '../calendars/calendar.entity';
import { APP_CONFIG, AppConfig } from '../config';
import { inTransaction, isSqlite } from '../database/transaction';
import { ReconnectRequiredError, TokenRefreshFailedError } from '../integrations/access-tokens';
import { Ending, IntegrationPause } from '../integrations/integration-pause';
import { IntegrationSession, IntegrationSessions } from '../integrations/integration-session';
import { Integration } from '../integrations/integration.entity';
import {
  CalendarProviderName,
  IntegrationProviders,
  isCalendarProvider,
} from '../integrations/integration-providers';
import {
  CalendarEventsClient,
  EventWrite,
  googleEventId,
  graphTransactionId,
} from '../providers/calendar-events';
import { BackoffPolicy, BlockOutcome, OutcomePolicy, recordOutcomes } from './block-outcomes';
import * as syncState from './block-sync-state';
import { planEvent, UNCONFIRMED_PREFIX } from './event-plan';
import { duePendingBlocks, nextBlocksOf } from './pending-blocks';
import { CalendarPuller } from './calendar-puller';
import { eventHash } from './event-hash';

/** A wait for the request budget longer than this releases the integration until then. */
const MAX_BUDGET_WAIT_MS = 2_000;
/** Batches per claim, so that one busy account does not keep a worker from the others. */
const MAX_BATCHES_PER_CLAIM = 50;

/**
 * The calendar reconciler (docs/architecture.md, "Sync"): brings each provider calendar in line
 * with the blocks, which are the source of truth.
 *
 * Work is claimed per integration — one account, one access token, one request budget — under its
 * lease (an integration session of the sync kind), chosen with `FOR UPDATE SKIP LOCKED` on
 * MySQL/MariaDB so several worker processes share the accounts; SQLite runs a single worker. The
 * lease is renewed before every batch and a worker that lost it stops. A crash leaves the lease to
 * expire; everything else is in the rows: a block is pending until a write-back for its version
 * says otherwise, and creates are idempotent, so redoing a batch is harmless.
 */
@Injectable()
export class CalendarReconciler {
  private readonly logger = new Logger(CalendarReconciler.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly providers: IntegrationProviders,
    private readonly sessions: IntegrationSessions,
    private readonly puller: CalendarPuller,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

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

  private claim(limit: number): Promise<number[]> {
    const now = new Date();
    return inTransaction(this.dataSource, async (manager) => {
      const due = manager
        .getRepository(Integration)
        .createQueryBuilder('integration')
        .select(['integration.id'])
        .where('integration.providerType = :calendar', { calendar: 'calendar' })
        .andWhere('(integration.isActive IS NULL OR integration.isActive = :yes)', { yes: true })
        .andWhere('(integration.needsReconnect IS NULL OR integration.needsReconnect = :no)', {
          no: false,
        })
        .andWhere(this.sessions.leaseIsFree('integration'), { now })
        .andWhere('(integration.syncRetryAt IS NULL OR integration.syncRetryAt <= :now)');
      const work = duePendingBlocks(manager, now)
        .select('1')
        .andWhere('calendar.integrationId = integration.id');
      const pulls = manager
        .getRepository(Calendar)
        .createQueryBuilder('pulled')
        .select('1')
        .where('pulled.integrationId = integration.id')
        .andWhere('pulled.isEnabled = :yes')
        .andWhere('pulled.syncDirection IN (:...readable)', { readable: ['read', 'both'] })
        .andWhere('(pulled.nextPullAt IS NULL OR pulled.nextPullAt <= :now)');
      due
        .andWhere(`(EXISTS (${work.getQuery()}) OR EXISTS (${pulls.getQuery()}))`)
        .setParameters({ ...work.getParameters(), ...pulls.getParameters() })
        .orderBy('integration.lastSyncAt', 'ASC')
        .addOrderBy('integration.id', 'ASC')
        .limit(limit);
      if (!isSqlite(this.dataSource)) due.setLock('pessimistic_write').setOnLocked('skip_locked');
      const ids = (await due.getMany()).map((integration) => integration.id);
      if (ids.length === 0) return [];
      await this.sessions.claimForSync(manager, ids);
      return ids;
    });
  }

  /** Syncs one claimed integration batch by batch; always gives the lease back. */
  private async syncIntegration(integrationId: number): Promise<number> {
    const integration = await this.dataSource.manager
      .findOneBy(Integration, { id: integrationId })
      .catch((error: unknown) => {
        this.logger.error({
          msg: 'reading a claimed integration failed',
          integrationId,
          err: error,
        });
        return null;
      });
    if (!integration || !isCalendarProvider(integration.provider)) {
      await this.sessions
        .releaseSyncLease(integrationId)
        .catch((error: unknown) =>
          this.logger.error({ msg: 'releasing a sync lease failed', integrationId, err: error }),
        );
      return 0;
    }
    const provider = integration.provider;
    const session = this.sessions.forSync(integration, provider);
    let done = 0;
    let pause: Ending = null;
    try {
      const client = this.providers.get(provider).events();
      const calendars = new Map(
        (await this.dataSource.manager.findBy(Calendar, { integrationId })).map((c) => [c.id, c]),
      );
      // Pull first: an edit made in the provider must be seen before a push could overwrite it.
      const pulledNow = new Set<number>();
      const pulled = await this.puller.pullDue(integration, session, calendars, pulledNow);
      done += pulled.done;
      pause = pulled.pause;
      const started = Date.now();
      for (let batch = 0; !pause && batch < MAX_BATCHES_PER_CLAIM; batch++) {
        if (Date.now() - started > (this.config.sync.leaseSeconds * 1000) / 2) break;
        if (!(await session.renew())) break;
        // A batch never costs more than the whole request budget allows.
        const batchSize = Math.min(
          client.maxBatchSize,
          this.config.sync.rateLimits[provider].maxRequests,
        );
        const blocks = await nextBlocksOf(
          this.dataSource.manager,
          integrationId,
          new Date(),
          batchSize,
        );
        if (blocks.length === 0) break;
        // Before overwriting or deleting an event in a two-way calendar, read that calendar: an
        // edit made there since the last pull must be weighed (later change wins), not lost.
        const unread = new Set(
          blocks
            .filter((block) => block.externalCalendarEventId !== null)
            .map((block) => block.syncedCalendarId!)
            .filter((id) => !pulledNow.has(id) && calendars.get(id)?.syncDirection === 'both'),
        );
        if (unread.size > 0) {
          const read = await this.puller.pullDue(
            integration,
            session,
            calendars,
            pulledNow,
            unread,
          );
          done += read.done;
          pause = read.pause;
          for (const id of unread) pulledNow.add(id); // failed reads are not retried in this claim
          continue; // the pull may have changed these blocks: read them again
        }
        const result = await this.syncBatch(session, client, calendars, blocks);
        done += result.done;
        if (result.pause) {
          pause = result.pause;
          break;
        }
      }
    } catch (error) {
      pause = this.pauseFor(error, integrationId);
    } finally {
      await session
        .finish(pause)
        .catch((error: unknown) =>
          this.logger.error({ msg: 'releasing a sync lease failed', integrationId, err: error }),
        );
    }
    return done;
  }

  private async syncBatch(
    session: IntegrationSession,
    client: CalendarEventsClient,
    calendars: Map<number, Calendar>,
    blocks: Awaited<ReturnType<typeof nextBlocksOf>>,
  ): Promise<{ done: number; pause: IntegrationPause | null }> {
    const writes: Array<{ block: (typeof blocks)[number]; write: EventWrite; calendarId: number }> =
      [];
    const settled: Array<{ block: (typeof blocks)[number]; status: 'synced' | 'disabled' }> = [];
    for (const block of blocks) {
      const plan = planEvent(block, calendars);
      if (plan.kind === 'settle') settled.push({ block, status: plan.status });
      else writes.push({ block, write: plan.write, calendarId: plan.calendar.id });
    }
    if (settled.length > 0) {
      const now = new Date();
      await inTransaction(this.dataSource, async (manager) => {
        for (const { block, status } of settled) {
          await syncState.settled(manager, 'calendar', block, status, now);
        }
      });
    }
    if (writes.length === 0) return { done: settled.length, pause: null };

    const wait = session.budgetWaitMs(writes.length);
    if (wait > MAX_BUDGET_WAIT_MS) {
      return {
        done: settled.length,
        pause: new IntegrationPause('request budget used up', Math.ceil(wait / 1000), false),
      };
    }
    if (wait > 0) await sleep(wait);

    // The lease must outlast what follows (see `SYNC_LEASE_SECONDS` in load-config.ts).
    if (!(await session.renew())) return { done: settled.length, pause: null };
    const policy = this.outcomePolicy(session.provider);
    await inTransaction(this.dataSource, async (manager) => {
      for (const { block, write } of writes) {
        if (write.kind !== 'create' || block.externalCalendarEventId !== null) continue;
        const marker = policy.unconfirmedEventId(block.id, write.calendarId);
        await syncState.createIntended(manager, 'calendar', block.id, {
          externalId: marker,
          calendarId: write.calendarId,
          hash: eventHash(write.event),
        });
      }
    });
    const results = await session.apply(
      client,
      writes.map((w) => w.write),
    );
    const outcomes: BlockOutcome[] = writes.map((w, i) => ({ ...w, result: results[i] }));
    const orphans = await inTransaction(this.dataSource, (manager) =>
      recordOutcomes(manager, outcomes, policy, new Date()),
    );
    if (orphans.length > 0) await this.removeOrphans(session, client, orphans);

    const throttled = results
      .map((result) => (result.ok ? null : result.failure))
      .filter((failure) => failure?.kind === 'throttled');
    if (throttled.length > 0) {
      const retryAfter = Math.max(0, ...throttled.map((f) => f!.retryAfterSeconds ?? 0));
      return {
        done: settled.length + outcomes.length - throttled.length,
        pause: new IntegrationPause(
          `throttled by the provider: ${throttled[0]!.code}`,
          retryAfter > 0 ? retryAfter : null,
          true,
        ),
      };
    }
    return { done: settled.length + outcomes.length, pause: null };
  }

  /** Deletes events danwel created but could not record (see `recordOutcomes`). */
  private async removeOrphans(
    session: IntegrationSession,
    client: CalendarEventsClient,
    orphans: Array<{ calendarExternalId: string; eventId: string }>,
  ): Promise<void> {
    const integrationId = session.integrationId;
    const results = await session.apply(
      client,
      orphans.map((orphan) => ({ kind: 'delete' as const, ...orphan })),
    );
    results.forEach((result, i) => {
      if (!result.ok) {
        this.logger.warn({
          msg: 'an unrecorded event could not be removed',
          integrationId,
          eventId: orphans[i].eventId,
          err: result.failure.code,
        });
      }
    });
  }

  private pauseFor(error: unknown, integrationId: number): Ending {
    // needs_reconnect and its error are recorded already; nothing to retry until the user acts.
    if (error instanceof ReconnectRequiredError) return 'needs_reconnect';
    const message = error instanceof Error ? error.message : String(error);
    if (!(error instanceof TokenRefreshFailedError)) {
      this.logger.error({ msg: 'calendar sync failed', integrationId, err: error });
    }
    return new IntegrationPause(message, null, true);
  }

  private outcomePolicy(provider: CalendarProviderName): OutcomePolicy {
    return {
      backoff: this.backoff(),
      unconfirmedEventId: (blockId, calendarId) =>
        provider === 'google_calendar'
          ? googleEventId(blockId, calendarId)
          : `${UNCONFIRMED_PREFIX}${graphTransactionId(blockId, calendarId)}`,
    };
  }

  private backoff(): BackoffPolicy {
    return {
      baseSeconds: this.config.sync.backoffBaseSeconds,
      capSeconds: this.config.sync.backoffMaxSeconds,
    };
  }
}
