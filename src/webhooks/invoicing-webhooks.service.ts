import { Inject, Injectable, Logger } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import { DataSource, In } from 'typeorm';
import { DomainError } from '../common/errors/domain.error';
import { safeEqual } from '../common/crypto/tokens';
import { APP_CONFIG, AppConfig } from '../config';
import { inTransaction } from '../database/transaction';
import { Integration } from '../integrations/integration.entity';
import { enqueueImport } from '../integrations/invoicing-import-queue';
import { JobQueue } from '../jobs/job-queue.service';
import { enqueueLockCheck } from '../sync/invoicing-lock-queue';
import { xeroEvents } from './invoicing-notifications';
import { UnknownChannelError } from './push-notifications.service';

/** 401: the delivery is not signed with the webhook's key (Xero's intent-to-receive wants 401). */
export class BadSignatureError extends DomainError {
  constructor() {
    super(401, 'bad-signature', 'Unauthorized');
  }
}

/**
 * Webhook deliveries of the invoicing providers: a record changed in an account danwel books in.
 * Like the calendars' notifications, a delivery is trusted for its timing only: an authentic one
 * enqueues work — a check of the account's entries for locks and invoices, an import of contacts
 * and projects — which the worker does through the provider's API with the integration's token.
 * The request answers as soon as the jobs are committed. Secrets are never logged.
 */
@Injectable()
export class InvoicingWebhooksService {
  private readonly logger = new Logger('InvoicingWebhooks');

  constructor(
    private readonly dataSource: DataSource,
    private readonly queue: JobQueue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Xero signs the raw body: `x-xero-signature` = base64(HMAC-SHA256(body, webhook key)), compared
   * in constant time. INVOICE events check the tenant's entries (an invoice made from project time
   * turns its entries INVOICED), CONTACT events import; other categories and tenants that are not
   * an active integration are ignored. Without a configured key there is no webhook: 404.
   */
  async xero(rawBody: Buffer | undefined, signature: string | null, body: unknown): Promise<void> {
    const key = this.config.providers.xero.webhookKey;
    if (!key) throw new UnknownChannelError();
    const expected = rawBody && createHmac('sha256', key).update(rawBody).digest('base64');
    if (!expected || signature === null || !safeEqual(signature, expected)) {
      this.logger.debug({ msg: 'xero delivery refused', signed: signature !== null });
      throw new BadSignatureError();
    }
    const events = xeroEvents(body);
    const byCategory = (category: string) =>
      new Set(events.filter((e) => e.eventCategory === category).map((e) => e.tenantId));
    const invoices = byCategory('INVOICE');
    const contacts = byCategory('CONTACT');
    const tenants = [...new Set([...invoices, ...contacts])];
    if (tenants.length === 0) return;
    await inTransaction(this.dataSource, async (manager) => {
      const integrations = await manager.findBy(Integration, {
        provider: 'xero',
        providerType: 'invoicing',
        isActive: true,
        providerAccountId: In(tenants),
      });
      for (const integration of integrations) {
        if (integration.needsReconnect) continue;
        const tenant = integration.providerAccountId!;
        if (invoices.has(tenant)) await enqueueLockCheck(manager, this.queue, integration);
        if (contacts.has(tenant)) await enqueueImport(manager, this.queue, integration);
      }
      this.logger.debug({
        msg: 'xero delivery',
        events: events.length,
        integrations: integrations.map((integration) => integration.id),
      });
    });
  }
}
