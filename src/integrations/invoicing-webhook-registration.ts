import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Encrypter } from '../common/crypto/encrypter';
import { APP_CONFIG, AppConfig } from '../config';
import { inTransaction } from '../database/transaction';
import { InvoicingProviders } from '../invoicing/invoicing-providers';
import { isInvoicingProvider, isTokenRefusal } from '../invoicing/invoicing-provider';
import { JobHandlerRegistry } from '../jobs/job-handler';
import { JobQueue } from '../jobs/job-queue.service';
import { webhookAddress } from '../webhooks/webhook-address';
import { IntegrationSessions } from './integration-session';
import { Integration } from './integration.entity';
import { workingInvoicingIntegrations } from './invoicing-integrations';
import { invoicingJobError } from './invoicing-job-errors';

/** Registers (or moves) the webhook of one invoicing integration (payload `integration_id`). */
export const REGISTER_INVOICING_WEBHOOK = 'invoicing.register_webhook';

/** Enqueues a registration for every integration whose webhook is missing (hourly). */
export const REGISTER_MISSING_WEBHOOKS = 'invoicing.register_missing_webhooks';
const REGISTER_MISSING_EVERY_SECONDS = 3600;

/** Where an invoicing provider delivers for one integration (the id names whose webhook it is). */
export const invoicingWebhookPath = (provider: string, integrationId: number) =>
  `/api/v1/webhooks/${provider}/${integrationId}`;

/** Enqueues a registration in the caller's transaction, unless one is waiting to start. */
export async function enqueueWebhookRegistration(
  manager: EntityManager,
  queue: JobQueue,
  integration: Pick<Integration, 'id' | 'organizationId'>,
): Promise<void> {
  await queue.enqueueUnlessWaiting(
    manager,
    REGISTER_INVOICING_WEBHOOK,
    { integration_id: integration.id },
    { organizationId: integration.organizationId },
  );
}

/**
 * The webhook an invoicing integration keeps in the provider's account where the provider has a
 * registration API (Moneybird), so that invoices and edits there are seen at once rather than at
 * the next scheduled lock check. Registered when the account is chosen (a job, after the choice
 * commits), moved when another account is chosen, removed on disconnect, and registered again
 * hourly where it went missing. Without a public https `APP_URL` nothing is registered; the log
 * says so and the schedule covers it.
 */
@Injectable()
export class InvoicingWebhookRegistration implements OnModuleInit {
  private readonly logger = new Logger(InvoicingWebhookRegistration.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly registry: JobHandlerRegistry,
    private readonly invoicing: InvoicingProviders,
    private readonly sessions: IntegrationSessions,
    private readonly encrypter: Encrypter,
    private readonly queue: JobQueue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.registry.register<{ integration_id: number }>(REGISTER_INVOICING_WEBHOOK, {
      handle: (payload) =>
        this.register(payload.integration_id).catch((error: unknown) => {
          throw invoicingJobError(error, payload.integration_id);
        }),
    });
    this.registry.registerRecurring(REGISTER_MISSING_WEBHOOKS, REGISTER_MISSING_EVERY_SECONDS, {
      handle: async () => {
        await this.enqueueMissing();
      },
    });
  }

  /**
   * A registration job for each working integration whose provider registers webhooks but whose
   * webhook is missing or in another account: one whose registration failed for good, or one
   * chosen before `APP_URL` was public https. Nothing without a public https `APP_URL`.
   */
  async enqueueMissing(): Promise<number> {
    if (webhookAddress(this.config.appUrl, '') === null) return 0;
    const missing = (await workingInvoicingIntegrations(this.dataSource.manager)).filter(
      (integration) =>
        this.registers(integration) &&
        !integration.webhookId?.startsWith(`${integration.providerAccountId}/`),
    );
    for (const integration of missing) {
      await inTransaction(this.dataSource, (manager) =>
        enqueueWebhookRegistration(manager, this.queue, integration),
      );
    }
    return missing.length;
  }

  /** Whether the integration's provider registers webhooks through its API. */
  registers(integration: Pick<Integration, 'provider'>): boolean {
    return (
      isInvoicingProvider(integration.provider) &&
      this.invoicing.has(integration.provider) &&
      this.invoicing.get(integration.provider).webhooks !== undefined
    );
  }

  /**
   * Makes the provider's webhook match the chosen account: nothing to do when it is registered
   * there already; else the old one (another account's) is removed and a new one registered, its
   * id and token stored — unless the account changed meanwhile, when the new one is removed again
   * (the job the change enqueued registers the right one).
   */
  async register(integrationId: number): Promise<void> {
    const integration = await this.dataSource.manager.findOneBy(Integration, { id: integrationId });
    if (!integration || integration.isActive === false || !integration.providerAccountId) return;
    if (!this.registers(integration)) return;
    const provider = this.invoicing.get(integration.provider);
    const webhooks = provider.webhooks!;
    const accountId = integration.providerAccountId;
    const address = webhookAddress(
      this.config.appUrl,
      invoicingWebhookPath(provider.name, integration.id),
    );
    if (address === null) {
      this.logger.warn({
        msg: 'APP_URL is not public https: no webhook registered; invoices are found on the schedule',
        integrationId,
        provider: provider.name,
      });
      return;
    }
    if (integration.webhookId?.startsWith(`${accountId}/`)) return;
    const session = this.sessions.open(integration, provider.name, 'refresh');
    if (integration.webhookId) {
      const previous = integration.webhookId;
      await session.call(
        (accessToken) => webhooks.remove({ accessToken }, previous),
        isTokenRefusal,
      );
    }
    const registered = await session.call(
      (accessToken) => webhooks.register({ accessToken, accountId }, address),
      isTokenRefusal,
    );
    const stored = await inTransaction(this.dataSource, async (manager) => {
      const result = await manager
        .createQueryBuilder()
        .update(Integration)
        .set({
          webhookId: registered.externalId,
          webhookToken: this.encrypter.encrypt(registered.token, {
            column: 'integrations.webhook_token',
            id: integration.id,
          }),
        })
        .where('id = :id AND provider_account_id = :accountId', { id: integration.id, accountId })
        .updateEntity(false)
        .execute();
      return (result.affected ?? 0) > 0;
    });
    if (!stored) {
      await session.call(
        (accessToken) => webhooks.remove({ accessToken }, registered.externalId),
        isTokenRefusal,
      );
      return;
    }
    this.logger.log({ msg: 'webhook registered', integrationId, provider: provider.name });
  }

  /** Removes the integration's webhook (disconnect), best effort: a failure is logged. */
  async remove(integration: Integration): Promise<void> {
    if (!integration.webhookId || !this.registers(integration)) return;
    const provider = this.invoicing.get(integration.provider);
    const externalId = integration.webhookId;
    try {
      await this.sessions
        .open(integration, provider.name, 'disconnect')
        .call(
          (accessToken) => provider.webhooks!.remove({ accessToken }, externalId),
          isTokenRefusal,
        );
    } catch (error) {
      this.logger.warn({
        msg: 'removing the webhook failed',
        integrationId: integration.id,
        err: error,
      });
    }
  }
}
