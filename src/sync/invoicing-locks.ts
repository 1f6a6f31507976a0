import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource, In } from 'typeorm';
import { inTransaction } from '../database/transaction';
import { ReconnectRequiredError, TokenRefreshFailedError } from '../integrations/access-tokens';
import { IntegrationSessions } from '../integrations/integration-session';
import { Integration } from '../integrations/integration.entity';
import { workingInvoicingIntegrations } from '../integrations/invoicing-integrations';
import {
  InvoicingError,
  InvoicingProviderName,
  isInvoicingProvider,
  isTokenRefusal,
} from '../invoicing/invoicing-provider';
import { InvoicingProviders } from '../invoicing/invoicing-providers';
import { JobHandlerRegistry } from '../jobs/job-handler';
import { metrics } from '../metrics/metrics';
import { ApprovalsService } from '../time-blocks/approval/approvals.service';
import { TimeBlock } from '../time-blocks/time-block.entity';
import * as syncState from './block-sync-state';
import { UNCONFIRMED_PREFIX } from './event-plan';
import { MAX_BUDGET_WAIT_MS } from './integration-claims';
import { CHECK_INTEGRATION_LOCKS, LockCheckPayload } from './invoicing-lock-queue';

export const CHECK_INVOICING_LOCKS = 'invoicing.check_locks';
/** Every ten minutes: an invoice run in the provider shows on the blocks soon after. */
const CHECK_EVERY_SECONDS = 600;
/** Entries read per integration and run, so that one large account cannot hold the job. */
const MAX_READS_PER_RUN = 500;
/**
 * What a failed check writes into the integration's `last_error`; a later clean check clears only
 * an error that starts so, never one the push wrote.
 */
export const LOCK_CHECK_ERROR_PREFIX = 'Checking for locked and invoiced entries failed: ';

/** An integration whose check failed, and why (an `InvoicingError` code, or one of danwel's). */
export interface LockCheckFailure {
  integrationId: number;
  code: string;
}

export interface LockCheckResult {
  /** Blocks sent to billing. */
  moved: number;
  failed: LockCheckFailure[];
}

/**
 * Finds the entries the provider locked or invoiced since they were pushed: each such block becomes
 * `sent_to_billing` with the invoice reference, and from then on its billing fields answer 409.
 * Runs as a recurring job over every account, and per account (or per entry) when a provider's
 * webhook says something changed. An entry a person deleted in the provider puts its block back
 * to `pending`, to be booked again. It writes nothing to the provider and takes no sync lease; the
 * reconciler, which reads an entry before it updates or deletes it, never writes to a locked one.
 */
@Injectable()
export class InvoicingLocks implements OnModuleInit {
  private readonly logger = new Logger(InvoicingLocks.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly registry: JobHandlerRegistry,
    private readonly invoicing: InvoicingProviders,
    private readonly sessions: IntegrationSessions,
    private readonly approvals: ApprovalsService,
  ) {}

  onModuleInit(): void {
    this.registry.registerRecurring(CHECK_INVOICING_LOCKS, CHECK_EVERY_SECONDS, {
      handle: async () => this.report(await this.check()),
    });
    this.registry.register<LockCheckPayload>(CHECK_INTEGRATION_LOCKS, {
      handle: async (payload) =>
        this.report(
          await this.check({ integrationId: payload.integration_id, entryIds: payload.entry_ids }),
        ),
    });
  }

  /**
   * Checks every working invoicing account, or only `integrationId` (and there only the blocks
   * booked as `entryIds`). A failed account does not stop the others: the result names it, and
   * its `last_error` says why until a check succeeds.
   */
  async check(
    only: { integrationId?: number; entryIds?: string[] } = {},
  ): Promise<LockCheckResult> {
    const integrations = (await workingInvoicingIntegrations(this.dataSource.manager)).filter(
      (integration) => only.integrationId === undefined || integration.id === only.integrationId,
    );
    const result: LockCheckResult = { moved: 0, failed: [] };
    for (const integration of integrations) {
      if (!isInvoicingProvider(integration.provider) || !this.invoicing.has(integration.provider)) {
        continue;
      }
      try {
        result.moved += await this.checkIntegration(integration, only.entryIds);
        await this.recordOutcome(integration, null);
      } catch (error) {
        const failure = { integrationId: integration.id, ...describe(error) };
        if (failure.code === 'internal') {
          this.logger.error({ msg: 'checking invoicing locks failed', ...failure, err: error });
        } else {
          this.logger.warn({ msg: 'checking invoicing locks failed', ...failure });
        }
        result.failed.push({ integrationId: failure.integrationId, code: failure.code });
        await this.recordOutcome(integration, failure.message).catch((recordError: unknown) =>
          this.logger.error({ msg: 'recording a failed lock check failed', err: recordError }),
        );
      }
    }
    return result;
  }

  private report(result: LockCheckResult): void {
    if (result.moved > 0) this.logger.log({ msg: 'blocks sent to billing', count: result.moved });
  }

  /**
   * A failure is the integration's `last_error`, shown by the API and `sync:status`; a clean check
   * clears only an error a check wrote. `error_count` is the push's backoff and stays. Health
   * bookkeeping, like the sync worker's: `updated_at` stays.
   */
  private async recordOutcome(integration: Integration, message: string | null): Promise<void> {
    metrics.invoicingLockChecks.inc({
      provider: integration.provider,
      outcome: message === null ? 'ok' : 'failed',
    });
    const update = this.dataSource.manager
      .createQueryBuilder()
      .update(Integration)
      .where('id = :id', { id: integration.id })
      .updateEntity(false);
    if (message === null) {
      await update
        .set({ lastError: null })
        .andWhere('last_error LIKE :ours', { ours: `${LOCK_CHECK_ERROR_PREFIX}%` })
        .execute();
    } else {
      await update
        .set({ lastError: `${LOCK_CHECK_ERROR_PREFIX}${message}`.slice(0, 1000) })
        .execute();
    }
  }

  private async checkIntegration(integration: Integration, entryIds?: string[]): Promise<number> {
    const provider = this.invoicing.get(integration.provider);
    const session = this.sessions.open(
      integration,
      integration.provider as InvoicingProviderName,
      'read',
    );
    const accountId = integration.providerAccountId!;
    const query = this.dataSource.manager
      .getRepository(TimeBlock)
      .createQueryBuilder('block')
      .where('block.organizationId = :organizationId', {
        organizationId: integration.organizationId,
      })
      .andWhere('block.externalInvoicingEntryId IS NOT NULL')
      .andWhere('block.externalInvoicingEntryId NOT LIKE :unconfirmed', {
        unconfirmed: `${UNCONFIRMED_PREFIX}%`,
      })
      .andWhere('block.approvalStatus <> :billed', { billed: 'sent_to_billing' });
    if (entryIds !== undefined) {
      if (entryIds.length === 0) return 0;
      query.andWhere({ externalInvoicingEntryId: In(entryIds) });
    }
    const blocks = await query.orderBy('block.id', 'ASC').limit(MAX_READS_PER_RUN).getMany();
    let moved = 0;
    for (const block of blocks) {
      const wait = session.budgetWaitMs(1);
      if (wait > MAX_BUDGET_WAIT_MS) break; // the rest waits for the next run
      if (wait > 0) await sleep(wait);
      const entry = await session.call(
        (accessToken) =>
          provider.readEntry({ accessToken, accountId }, block.externalInvoicingEntryId!),
        isTokenRefusal,
      );
      if (!entry) {
        // Deleted in the provider by a person: the block is still billable, so it is booked again.
        await inTransaction(this.dataSource, (manager) =>
          syncState.eventForgotten(
            manager,
            'invoicing',
            { blockId: block.id, externalId: block.externalInvoicingEntryId! },
            { startOver: 'pending' },
          ),
        );
        continue;
      }
      if (entry.billing === 'open') continue;
      await inTransaction(this.dataSource, (manager) =>
        this.approvals.markSentToBilling(
          manager,
          block,
          entry.invoiceReference,
          `sync:${provider.name}`,
        ),
      );
      moved++;
    }
    return moved;
  }
}

/** A failure's code (safe to return) and message (safe to show an operator: no secrets). */
function describe(error: unknown): { code: string; message: string } {
  if (error instanceof InvoicingError) {
    return { code: error.failure.code, message: `${error.failure.code}: ${error.message}` };
  }
  if (error instanceof ReconnectRequiredError) {
    return { code: 'needs_reconnect', message: 'the account needs to be connected again' };
  }
  if (error instanceof TokenRefreshFailedError) {
    return { code: 'token_refresh_failed', message: error.message };
  }
  return { code: 'internal', message: 'an internal error (see the worker log)' };
}
