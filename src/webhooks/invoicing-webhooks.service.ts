import { Inject, Injectable, Logger } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import { DataSource, In, Not } from 'typeorm';
import { DomainError } from '../common/errors/domain.error';
import { DecryptionError, Encrypter } from '../common/crypto/encrypter';
import { safeEqual } from '../common/crypto/tokens';
import { APP_CONFIG, AppConfig } from '../config';
import { inTransaction } from '../database/transaction';
import { Integration } from '../integrations/integration.entity';
import { enqueueImport } from '../integrations/invoicing-import-queue';
import { JobQueue } from '../jobs/job-queue.service';
import { TimeBlock } from '../time-blocks/time-block.entity';
import { enqueueLockCheck } from '../sync/invoicing-lock-queue';
import { moneybirdDelivery, xeroEvents } from './invoicing-notifications';
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
    private readonly encrypter: Encrypter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * A delivery of the webhook danwel registered for integration `integrationId` (the id is in
   * the address it registered). Authentic: `webhook_id` is the integration's webhook and
   * `webhook_token` its token (constant-time; the token is stored encrypted). Another webhook
   * (or none registered) answers 404, a wrong token 401, and nothing is done. A request naming no
   * webhook at all is answered 200 with nothing done: Moneybird checks that the address answers
   * 200 when the webhook is registered, before it has told anyone the token. An entry event for
   * an entry danwel booked enqueues a lock check of that entry; a contact or project event an
   * import.
   */
  async moneybird(
    integrationId: number,
    body: unknown,
    rawBody: Buffer | undefined,
  ): Promise<void> {
    const delivery = moneybirdDelivery(body, rawBody);
    if (delivery.webhookId === null && delivery.webhookToken === null) return;
    const integration = Number.isSafeInteger(integrationId)
      ? await this.dataSource.manager.findOneBy(Integration, {
          id: integrationId,
          provider: 'moneybird',
          providerType: 'invoicing',
        })
      : null;
    const registered = integration?.webhookId?.split('/')[1];
    if (
      !integration ||
      !registered ||
      !integration.webhookToken ||
      delivery.webhookId !== registered
    ) {
      this.logger.debug({ msg: 'moneybird delivery for an unknown webhook', integrationId });
      throw new UnknownChannelError();
    }
    let token: string;
    try {
      token = this.encrypter.decrypt(integration.webhookToken, {
        column: 'integrations.webhook_token',
        id: integration.id,
      });
    } catch (error) {
      if (error instanceof DecryptionError) throw new UnknownChannelError();
      throw error;
    }
    if (delivery.webhookToken === null || !safeEqual(delivery.webhookToken, token)) {
      this.logger.debug({ msg: 'moneybird delivery refused', integrationId });
      throw new BadSignatureError();
    }
    const action = delivery.action ?? '';
    await inTransaction(this.dataSource, async (manager) => {
      if (action.startsWith('time_entry_') && delivery.entityId !== null) {
        const booked = await manager.existsBy(TimeBlock, {
          organizationId: integration.organizationId,
          externalInvoicingEntryId: delivery.entityId,
          approvalStatus: Not('sent_to_billing'),
        });
        if (booked) {
          await enqueueLockCheck(manager, this.queue, integration, [delivery.entityId]);
        }
      } else if (action.startsWith('contact_') || action.startsWith('project_')) {
        await enqueueImport(manager, this.queue, integration);
      }
    });
    this.logger.debug({ msg: 'moneybird delivery', integrationId, action });
  }

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
