import { Inject, Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { Calendar } from '../calendars/calendar.entity';
import { APP_CONFIG, AppConfig } from '../config';
import { inTransaction } from '../database/transaction';
import { Ending, IntegrationPause } from '../integrations/integration-pause';
import { IntegrationSession, IntegrationSessions } from '../integrations/integration-session';
import {
  CalendarProviderName,
  IntegrationProviderName,
  IntegrationProviders,
  isCalendarProvider,
} from '../integrations/integration-providers';
import { Integration } from '../integrations/integration.entity';
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
import {
  claimDueIntegrations,
  ClaimProgress,
  IntegrationReconciler,
  MAX_BUDGET_WAIT_MS,
} from './integration-claims';

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
export class CalendarReconciler extends IntegrationReconciler {
  protected readonly logger = new Logger(CalendarReconciler.name);

  constructor(
    dataSource: DataSource,
    private readonly providers: IntegrationProviders,
    sessions: IntegrationSessions,
    private readonly puller: CalendarPuller,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    super(dataSource, sessions, config);
  }

  protected claim(limit: number): Promise<number[]> {
    return claimDueIntegrations(this.dataSource, this.sessions, {
      providerType: 'calendar',
      limit,
      withWork: (due, manager, now) => {
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
        return due
          .andWhere(`(EXISTS (${work.getQuery()}) OR EXISTS (${pulls.getQuery()}))`)
          .setParameters({ ...work.getParameters(), ...pulls.getParameters() });
      },
    });
  }

  protected accepts(integration: Integration): boolean {
    return isCalendarProvider(integration.provider);
  }

  /** Syncs one claimed integration: its due pulls, then its pending blocks batch by batch. */
  protected async syncClaimed(
    integration: Integration,
    claimedSession: IntegrationSession<IntegrationProviderName>,
    progress: ClaimProgress,
  ): Promise<Ending> {
    const integrationId = integration.id;
    const provider = integration.provider as CalendarProviderName;
    const session = claimedSession as IntegrationSession<CalendarProviderName>;
    let pause: Ending = null;
    const client = this.providers.get(provider).events();
    const calendars = new Map(
      (await this.dataSource.manager.findBy(Calendar, { integrationId })).map((c) => [c.id, c]),
    );
    // Pull first: an edit made in the provider must be seen before a push could overwrite it.
    const pulledNow = new Set<number>();
    const pulled = await this.puller.pullDue(integration, session, calendars, pulledNow);
    progress.done += pulled.done;
    pause = pulled.pause;
    const started = Date.now();
    for (let batch = 0; !pause && batch < MAX_BATCHES_PER_CLAIM; batch++) {
      if (!(await this.mayContinue(session, started))) break;
      // A batch never costs more than the whole request budget allows.
      const batchSize = Math.min(
        client.maxBatchSize,
        this.config.sync.rateLimits[provider].maxRequests,
      );
      const blocks = await nextBlocksOf(
        this.dataSource.manager,
        integrationId,
        [...calendars.keys()],
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
        const read = await this.puller.pullDue(integration, session, calendars, pulledNow, unread);
        progress.done += read.done;
        pause = read.pause;
        for (const id of unread) pulledNow.add(id); // failed reads are not retried in this claim
        continue; // the pull may have changed these blocks: read them again
      }
      const result = await this.syncBatch(session, client, calendars, blocks);
      progress.done += result.done;
      if (result.pause) {
        pause = result.pause;
        break;
      }
    }
    return pause;
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
