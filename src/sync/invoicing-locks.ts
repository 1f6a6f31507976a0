import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { inTransaction } from '../database/transaction';
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
import { ApprovalsService } from '../time-blocks/approval/approvals.service';
import { TimeBlock } from '../time-blocks/time-block.entity';
import { UNCONFIRMED_PREFIX } from './event-plan';
import { MAX_BUDGET_WAIT_MS } from './integration-claims';

export const CHECK_INVOICING_LOCKS = 'invoicing.check_locks';
/** Every ten minutes: an invoice run in the provider shows on the blocks soon after. */
const CHECK_EVERY_SECONDS = 600;
/** Entries read per integration and run, so that one large account cannot hold the job. */
const MAX_READS_PER_RUN = 500;

/**
 * Finds the entries the provider locked or invoiced since they were pushed (a recurring job): each
 * such block becomes `sent_to_billing` with the invoice reference, and from then on its billing
 * fields answer 409. Reads only: it takes no sync lease, and the reconciler, which reads an entry
 * before it updates or deletes it, never writes to a locked one either.
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
      handle: async () => {
        const moved = await this.check();
        if (moved > 0) this.logger.log({ msg: 'blocks sent to billing', count: moved });
      },
    });
  }

  /** Checks every active invoicing account; answers how many blocks were sent to billing. */
  async check(): Promise<number> {
    const integrations = await workingInvoicingIntegrations(this.dataSource.manager);
    let moved = 0;
    for (const integration of integrations) {
      if (!isInvoicingProvider(integration.provider) || !this.invoicing.has(integration.provider)) {
        continue;
      }
      moved += await this.checkIntegration(integration).catch((error: unknown) => {
        this.logger.warn({
          msg: 'checking invoicing locks failed',
          integrationId: integration.id,
          err: error instanceof InvoicingError ? error.failure.code : error,
        });
        return 0;
      });
    }
    return moved;
  }

  private async checkIntegration(integration: Integration): Promise<number> {
    const provider = this.invoicing.get(integration.provider);
    const session = this.sessions.open(
      integration,
      integration.provider as InvoicingProviderName,
      'read',
    );
    const accountId = integration.providerAccountId!;
    const blocks = await this.dataSource.manager
      .getRepository(TimeBlock)
      .createQueryBuilder('block')
      .where('block.organizationId = :organizationId', {
        organizationId: integration.organizationId,
      })
      .andWhere('block.externalInvoicingEntryId IS NOT NULL')
      .andWhere('block.externalInvoicingEntryId NOT LIKE :unconfirmed', {
        unconfirmed: `${UNCONFIRMED_PREFIX}%`,
      })
      .andWhere('block.approvalStatus <> :billed', { billed: 'sent_to_billing' })
      .orderBy('block.id', 'ASC')
      .limit(MAX_READS_PER_RUN)
      .getMany();
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
      if (!entry || entry.billing === 'open') continue;
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
