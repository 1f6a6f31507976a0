import { Inject, Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource, EntityManager, SelectQueryBuilder } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config';
import { inTransaction } from '../database/transaction';
import { Ending, IntegrationPause } from '../integrations/integration-pause';
import { IntegrationSession, IntegrationSessions } from '../integrations/integration-session';
import {
  EntryContent,
  InvoicingError,
  isInvoicingProvider,
  isTokenRefusal,
  ProviderEntry,
} from '../invoicing/invoicing-provider';
import { InvoicingProviders } from '../invoicing/invoicing-providers';
import { Integration } from '../integrations/integration.entity';
import { IntegrationProviderName } from '../integrations/integration-providers';
import { Organization } from '../organizations/organization.entity';
import { isReadyForBilling } from '../time-blocks/approval/approval-rules';
import { ApprovalsService } from '../time-blocks/approval/approvals.service';
import { TimeBlock } from '../time-blocks/time-block.entity';
import { blockBackedOff } from './block-outcomes';
import * as syncState from './block-sync-state';
import { UNCONFIRMED_PREFIX } from './event-plan';
import {
  claimDueIntegrations,
  ClaimProgress,
  IntegrationReconciler,
  MAX_BUDGET_WAIT_MS,
} from './integration-claims';
import {
  entryContent,
  entryHash,
  InvoicingBookingsCache,
  InvoicingCall,
} from './invoicing-bookings';

/** Blocks read per batch; the lease is renewed before each. */
const BATCH_SIZE = 25;
/** Batches per claim, so that one busy account does not keep a worker from the others. */
const MAX_BATCHES_PER_CLAIM = 20;
/** The most requests one block costs: a read before an update or delete, then the write. */
const MAX_REQUESTS_PER_BLOCK = 3;

/** What the write-ahead records before a create: the entry may exist, its id unknown yet. */
export const unconfirmedEntryId = (blockId: number) => `${UNCONFIRMED_PREFIX}${blockId}`;
const isUnconfirmed = (externalId: string) => externalId.startsWith(UNCONFIRMED_PREFIX);

/**
 * The invoicing reconciler (docs/architecture.md, "Invoicing"): keeps one time entry per block
 * that is ready for billing in the organization's invoicing account, and none for the others.
 * Work is claimed per integration under its sync lease like the calendar push; each block is
 * handled on its own, with the write-back version-conditional, so an edit made meanwhile keeps
 * the block pending. Entries the provider locked or invoiced are never written again: the block
 * becomes `sent_to_billing` instead.
 */
@Injectable()
export class InvoicingReconciler extends IntegrationReconciler {
  protected readonly logger = new Logger(InvoicingReconciler.name);
  constructor(
    dataSource: DataSource,
    private readonly invoicing: InvoicingProviders,
    sessions: IntegrationSessions,
    private readonly approvals: ApprovalsService,
    private readonly bookingsCache: InvoicingBookingsCache,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    super(dataSource, sessions, config);
  }

  protected claim(limit: number): Promise<number[]> {
    return claimDueIntegrations(this.dataSource, this.sessions, {
      providerType: 'invoicing',
      limit,
      withWork: (due, manager, now) => {
        const work = dueBlocks(manager, now)
          .select('1')
          .andWhere('block.organizationId = integration.organizationId');
        return due
          .andWhere('integration.providerAccountId IS NOT NULL')
          .andWhere(`EXISTS (${work.getQuery()})`)
          .setParameters(work.getParameters());
      },
    });
  }

  protected accepts(integration: Integration): boolean {
    return (
      isInvoicingProvider(integration.provider) &&
      this.invoicing.has(integration.provider) &&
      integration.providerAccountId !== null
    );
  }

  /** Syncs one claimed integration's due blocks, one at a time within the request budget. */
  protected async syncClaimed(
    integration: Integration,
    session: IntegrationSession<IntegrationProviderName>,
    progress: ClaimProgress,
  ): Promise<Ending> {
    const pass = this.pass(integration, session);
    const organization = await this.dataSource.manager.findOneByOrFail(Organization, {
      id: integration.organizationId,
    });
    const requireApproval = organization.settings?.require_approval === true;
    const started = Date.now();
    for (let batch = 0; batch < MAX_BATCHES_PER_CLAIM; batch++) {
      if (!(await this.mayContinue(session, started))) break;
      const blocks = await dueBlocks(this.dataSource.manager, new Date())
        .andWhere('block.organizationId = :organizationId', {
          organizationId: integration.organizationId,
        })
        .orderBy('block.id', 'ASC')
        .limit(BATCH_SIZE)
        .getMany();
      if (blocks.length === 0) break;
      for (const block of blocks) {
        const wait = session.budgetWaitMs(MAX_REQUESTS_PER_BLOCK);
        if (wait > MAX_BUDGET_WAIT_MS) {
          return new IntegrationPause('request budget used up', Math.ceil(wait / 1000), false);
        }
        if (wait > 0) await sleep(wait);
        const pause = await this.syncBlock(pass, block, requireApproval);
        if (pause) return pause;
        progress.done++;
      }
    }
    return null;
  }

  /** What one claim shares: the provider, its calls through the session, the bookings read. */
  private pass(integration: Integration, session: IntegrationSession<IntegrationProviderName>) {
    const provider = this.invoicing.get(integration.provider);
    const accountId = integration.providerAccountId!;
    const call: InvoicingCall = (request) =>
      session.call((accessToken) => request({ accessToken, accountId }), isTokenRefusal);
    const bookings = this.bookingsCache.of(integration, provider);
    // Tasks or users read before this claim are read again once when a mapping is missing.
    const started = Date.now();
    return {
      provider,
      call,
      book: (block: TimeBlock) => bookings.of(block, call, started),
      actor: `sync:${provider.name}`,
    };
  }

  /**
   * Brings one block's entry in line; answers a pause when the provider throttled the account.
   * Failures of one block are recorded on it (backoff, or `error` with the provider's reason).
   */
  private async syncBlock(
    pass: ReturnType<InvoicingReconciler['pass']>,
    block: TimeBlock,
    requireApproval: boolean,
  ): Promise<IntegrationPause | null> {
    const { provider, call } = pass;
    const now = new Date();
    try {
      if (block.approvalStatus === 'sent_to_billing') {
        // The provider's now: danwel writes nothing more to a locked or invoiced entry.
        await this.settle(block, 'synced');
        return null;
      }
      const booking = isReadyForBilling(block, requireApproval, now)
        ? await pass.book(block)
        : null;
      if (booking?.kind === 'unbookable') {
        await inTransaction(this.dataSource, (manager) =>
          syncState.failed(manager, 'invoicing', block, booking.reason),
        );
        return null;
      }
      if (!booking || booking.kind !== 'entry') {
        await this.remove(pass, block);
        return null;
      }
      const { content } = booking;
      const hash = entryHash(content);
      const externalId = block.externalInvoicingEntryId;
      if (externalId === null || isUnconfirmed(externalId)) {
        await this.create(pass, block, content, hash, externalId !== null);
        return null;
      }
      if (block.invoicingSyncedHash === hash) {
        await this.settle(block, 'synced');
        return null;
      }
      const current = await call((access) => provider.readEntry(access, externalId));
      if (current === null) {
        // Deleted in the provider: forget it, and the next round books the block again.
        await this.forget(block, externalId);
        return null;
      }
      if (await this.lockedUp(pass, block, current)) return null;
      const updated = await call((access) => provider.updateEntry(access, externalId, content));
      await inTransaction(this.dataSource, async (manager) => {
        if (updated.externalId !== externalId) {
          await syncState.eventForgotten(manager, 'invoicing', { blockId: block.id, externalId });
        }
        await syncState.eventRecorded(manager, 'invoicing', block.id, {
          externalId: updated.externalId,
          hash,
        });
        await syncState.settled(manager, 'invoicing', block, 'synced', now);
      });
      return null;
    } catch (error) {
      if (!(error instanceof InvoicingError)) throw error;
      return this.failed(block, error);
    }
  }

  /**
   * Creates the entry, written ahead: the block first records that its entry may exist, so a
   * worker killed mid-request or a lost answer leaves a trace; the provider's create is
   * idempotent (it looks up the entry a previous attempt made). An entry found that way was
   * written from older content: its digest is unknown, and an update follows.
   */
  private async create(
    pass: ReturnType<InvoicingReconciler['pass']>,
    block: TimeBlock,
    content: EntryContent,
    hash: string,
    resolving: boolean,
  ): Promise<void> {
    if (!resolving) {
      await inTransaction(this.dataSource, (manager) =>
        syncState.createIntended(manager, 'invoicing', block.id, {
          externalId: unconfirmedEntryId(block.id),
          hash: null,
        }),
      );
    }
    const entry = await pass.call((access) => pass.provider.createEntry(access, content));
    const recorded = await inTransaction(this.dataSource, async (manager) => {
      const ok = await syncState.eventRecorded(manager, 'invoicing', block.id, {
        externalId: entry.externalId,
        hash: resolving ? null : hash,
      });
      if (ok && !resolving)
        await syncState.settled(manager, 'invoicing', block, 'synced', new Date());
      return ok;
    });
    if (!recorded) {
      // The block meanwhile holds another entry: this one would be a duplicate.
      await pass.call((access) => pass.provider.deleteEntry(access, entry.externalId));
      return;
    }
    if (entry.billing !== 'open') await this.lockedUp(pass, block, entry);
  }

  /** The block is not (or no longer) to be billed: its entry goes, unless it is locked. */
  private async remove(
    pass: ReturnType<InvoicingReconciler['pass']>,
    block: TimeBlock,
  ): Promise<void> {
    const externalId = block.externalInvoicingEntryId;
    if (externalId !== null) {
      const entry = isUnconfirmed(externalId)
        ? await this.unconfirmedEntry(pass, block)
        : await pass.call((access) => pass.provider.readEntry(access, externalId));
      if (entry && (await this.lockedUp(pass, block, entry))) return;
      if (entry) await pass.call((access) => pass.provider.deleteEntry(access, entry.externalId));
      await this.forget(block, externalId);
    }
    await this.settle(block, block.deletedAt !== null ? 'synced' : 'disabled');
  }

  /** The entry a create that got no answer may have made, looked up by the block's content. */
  private async unconfirmedEntry(
    pass: ReturnType<InvoicingReconciler['pass']>,
    block: TimeBlock,
  ): Promise<ProviderEntry | null> {
    const booking = block.projectId === null ? null : await pass.book(block);
    const content =
      booking?.kind === 'entry'
        ? booking.content
        : entryContent(block, {
            projectExternalId: '',
            taskExternalId: null,
            userExternalId: null,
            contactExternalId: null,
          });
    return pass.call((access) => pass.provider.findEntry(access, content));
  }

  /** A locked or invoiced entry: the block is sent to billing and in line with it. */
  private async lockedUp(
    pass: ReturnType<InvoicingReconciler['pass']>,
    block: TimeBlock,
    entry: ProviderEntry,
  ): Promise<boolean> {
    if (entry.billing === 'open') return false;
    await inTransaction(this.dataSource, async (manager) => {
      await this.approvals.markSentToBilling(manager, block, entry.invoiceReference, pass.actor);
      await syncState.settled(manager, 'invoicing', block, 'synced', new Date());
    });
    return true;
  }

  private async forget(block: TimeBlock, externalId: string): Promise<void> {
    await inTransaction(this.dataSource, (manager) =>
      syncState.eventForgotten(manager, 'invoicing', { blockId: block.id, externalId }),
    );
    block.externalInvoicingEntryId = null;
  }

  private settle(block: TimeBlock, status: 'synced' | 'disabled'): Promise<boolean> {
    return inTransaction(this.dataSource, (manager) =>
      syncState.settled(manager, 'invoicing', block, status, new Date()),
    );
  }

  /** One block's failure, classified once by the provider (see `InvoicingError`). */
  private async failed(block: TimeBlock, error: InvoicingError): Promise<IntegrationPause | null> {
    const { failure } = error;
    const message = `${failure.code}: ${failure.message}`.slice(0, 1000);
    switch (failure.kind) {
      case 'throttled':
        // The whole account waits; the block keeps its place.
        return new IntegrationPause(
          `throttled by the provider: ${failure.code}`,
          failure.retryAfterSeconds ?? null,
          true,
        );
      case 'permanent':
        await inTransaction(this.dataSource, (manager) =>
          syncState.failed(manager, 'invoicing', block, message),
        );
        return null;
      case 'gone':
        if (block.externalInvoicingEntryId !== null) {
          await this.forget(block, block.externalInvoicingEntryId);
        }
        return null;
      default:
        await inTransaction(this.dataSource, (manager) =>
          blockBackedOff(
            manager,
            'invoicing',
            block,
            failure,
            {
              baseSeconds: this.config.sync.backoffBaseSeconds,
              capSeconds: this.config.sync.backoffMaxSeconds,
            },
            new Date(),
          ),
        );
        return null;
    }
  }
}

/** Blocks whose invoicing side is pending and due (soft-deleted ones too: their entry must go). */
function dueBlocks(manager: EntityManager, now: Date): SelectQueryBuilder<TimeBlock> {
  return manager
    .getRepository(TimeBlock)
    .createQueryBuilder('block')
    .withDeleted()
    .where('block.invoicingSyncStatus = :pending', { pending: 'pending' })
    .andWhere('(block.invoicingSyncRetryAt IS NULL OR block.invoicingSyncRetryAt <= :now)', {
      now,
    });
}
