import { Injectable } from '@nestjs/common';
import { DataSource, Not, IsNull } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { Membership } from '../auth/authenticated-user';
import { ConflictError, NotFoundError, ValidationFailedError } from '../common/errors/domain.error';
import { inTransaction } from '../database/transaction';
import { InvoicingAccount, isTokenRefusal } from '../invoicing/invoicing-provider';
import { InvoicingProviders } from '../invoicing/invoicing-providers';
import { JobQueue } from '../jobs/job-queue.service';
import { TimeBlock } from '../time-blocks/time-block.entity';
import { IntegrationSessions } from './integration-session';
import { Integration } from './integration.entity';
import { providerProblem } from './integration.errors';
import { enqueueImport } from './invoicing-import-queue';
import {
  enqueueWebhookRegistration,
  InvoicingWebhookRegistration,
} from './invoicing-webhook-registration';

/**
 * The account an invoicing integration books in (`provider_account_id`): listed from the
 * provider with the integration's token, and chosen among them.
 */
@Injectable()
export class InvoicingAccounts {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly invoicing: InvoicingProviders,
    private readonly sessions: IntegrationSessions,
    private readonly queue: JobQueue,
    private readonly webhooks: InvoicingWebhookRegistration,
  ) {}

  async list(membership: Membership, integrationId: number): Promise<InvoicingAccount[]> {
    return this.reachable(await this.integration(membership, integrationId));
  }

  /**
   * Chooses the account; 422 for one the token does not reach. Once time was booked in one
   * account, switching to another would strand those entries: 409 until it is disconnected.
   * The choice enqueues an import of the account's contacts and projects.
   */
  async choose(
    membership: Membership,
    integrationId: number,
    accountId: string,
  ): Promise<Integration> {
    const integration = await this.integration(membership, integrationId);
    const chosen = (await this.reachable(integration)).find((a) => a.externalId === accountId);
    if (!chosen) {
      throw ValidationFailedError.field(
        'provider_account_id',
        'provider_account_id is not an account this integration can reach',
      );
    }
    return inTransaction(this.dataSource, async (manager) => {
      const current = await manager.findOneByOrFail(Integration, { id: integration.id });
      if (current.providerAccountId !== null && current.providerAccountId !== accountId) {
        const booked = await manager.existsBy(TimeBlock, {
          organizationId: membership.organizationId,
          externalInvoicingEntryId: Not(IsNull()),
        });
        if (booked) {
          throw new ConflictError(
            'Time is already booked in the chosen account; disconnect the integration to book ' +
              'in another one.',
          );
        }
      }
      await manager.update(
        Integration,
        { id: integration.id, organizationId: membership.organizationId },
        {
          providerAccountId: accountId,
          name: chosen.name,
          // Another account's import time says nothing about this one: list it whole.
          ...(current.providerAccountId !== accountId ? { lastImportStartedAt: null } : {}),
        },
      );
      await this.audit.record(manager, {
        action: 'integration.account_chosen',
        organizationId: membership.organizationId,
        userId: membership.userId,
        auditable: { type: 'integration', id: integration.id },
        oldValues: { provider_account_id: current.providerAccountId },
        newValues: { provider_account_id: accountId, name: chosen.name },
      });
      await enqueueImport(manager, this.queue, current);
      if (this.webhooks.registers(current)) {
        await enqueueWebhookRegistration(manager, this.queue, current);
      }
      return manager.findOneByOrFail(Integration, { id: integration.id });
    });
  }

  /** The organization's integration with this id (else 404); 409 unless it is an invoicing one. */
  async integration(membership: Membership, integrationId: number): Promise<Integration> {
    const integration = await membership.scope
      .query(this.dataSource.manager, Integration, 'integration')
      .andWhere('integration.id = :integrationId', { integrationId })
      .getOne();
    if (!integration) throw new NotFoundError('Integration');
    if (integration.providerType !== 'invoicing' || !this.invoicing.has(integration.provider)) {
      throw new ConflictError('Only invoicing integrations have accounts to choose from.');
    }
    return integration;
  }

  /** The provider's list, with one retry on a fresh token if the first answer was a refusal. */
  private async reachable(integration: Integration): Promise<InvoicingAccount[]> {
    const provider = this.invoicing.get(integration.provider);
    try {
      return await this.sessions
        .open(integration, provider.name, 'refresh')
        .call((token) => provider.listAccounts(token), isTokenRefusal);
    } catch (error) {
      throw providerProblem(integration.id, error);
    }
  }
}
