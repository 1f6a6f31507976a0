/**
 * Xero's webhooks: configured per app in the developer portal (there is no API for it), with one
 * delivery URL and a signing key. Every delivery is a POST of
 * `{events, firstEventSequence, lastEventSequence, entropy}` whose raw body is signed in
 * `x-xero-signature` = base64(HMAC-SHA256(body, key)). Before Xero turns a webhook on it checks
 * "intent to receive": it sends deliveries with no events, some correctly signed and some not, and
 * expects 200 with an empty body to the first and 401 to the others, each within 5 seconds.
 * Deliveries go through the shared `NotificationDispatcher` (asynchronous, recorded, droppable).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { NotificationDispatcher, NotificationRecord } from '../common/notifications';

export type XeroEventCategory = 'INVOICE' | 'CONTACT';

/** One event of a delivery, as Xero sends it. */
export interface XeroWebhookEvent {
  resourceUrl: string;
  resourceId: string;
  eventDateUtc: string;
  eventType: 'CREATE' | 'UPDATE';
  eventCategory: XeroEventCategory;
  tenantId: string;
  tenantType: 'ORGANISATION' | 'PRACTICE';
}

/** How long Xero waits for an answer to a delivery. */
export const XERO_WEBHOOK_TIMEOUT_MS = 5_000;

export function xeroSignature(body: string, key: string): string {
  return createHmac('sha256', key).update(body, 'utf8').digest('base64');
}

export class XeroWebhooks {
  /** The delivery URL and signing key of the app's webhook (null: none configured). */
  private config: { url: string; key: string } | null = null;
  private sequence = 0;

  constructor(
    private readonly dispatcher: NotificationDispatcher,
    private readonly now: () => number,
  ) {}

  /** What the developer portal does: sets the delivery URL and answers the new signing key. */
  configure(url: string, key = randomBytes(48).toString('base64')): string {
    this.config = { url, key };
    return key;
  }

  get configured(): boolean {
    return this.config !== null;
  }

  /** Every delivery so far (intent-to-receive checks included). */
  get log(): NotificationRecord[] {
    return this.dispatcher.log;
  }

  /** An event about a resource of the tenant, when a webhook is configured (else nothing). */
  event(
    tenant: { tenantId: string; tenantType: XeroWebhookEvent['tenantType'] },
    category: XeroEventCategory,
    eventType: XeroWebhookEvent['eventType'],
    resource: { id: string; url: string },
  ): NotificationRecord | null {
    if (!this.config) return null;
    return this.deliver([
      {
        resourceUrl: resource.url,
        resourceId: resource.id,
        eventDateUtc: new Date(this.now()).toISOString().replace(/Z$/, ''),
        eventType,
        eventCategory: category,
        tenantId: tenant.tenantId,
        tenantType: tenant.tenantType,
      },
    ]);
  }

  /** Queues one delivery of `events`, signed with the key (or, `badSignature`, with another). */
  deliver(
    events: XeroWebhookEvent[],
    options: { badSignature?: boolean } = {},
  ): NotificationRecord {
    if (!this.config) throw new Error('no Xero webhook configured');
    const first = this.sequence + 1;
    this.sequence += Math.max(1, events.length);
    const body = JSON.stringify({
      events,
      firstEventSequence: first,
      lastEventSequence: this.sequence,
      entropy: randomBytes(10).toString('hex').toUpperCase(),
    });
    const key = options.badSignature ? randomBytes(48).toString('base64') : this.config.key;
    return this.dispatcher.enqueue({
      channel: 'xero-webhook',
      kind: events.length === 0 ? 'intent-to-receive' : events[0].eventCategory,
      address: this.config.url,
      headers: {
        'Content-Type': 'application/json; charset=utf-8',
        'x-xero-signature': xeroSignature(body, key),
      },
      body,
    });
  }

  /**
   * The portal's "Send intent to receive": one correctly and one badly signed delivery without
   * events; `passed` when the first was answered 200 with an empty body and the second 401, both
   * in time.
   */
  async intentToReceive(): Promise<{
    passed: boolean;
    valid: NotificationRecord;
    invalid: NotificationRecord;
  }> {
    const valid = this.deliver([]);
    const invalid = this.deliver([], { badSignature: true });
    await this.dispatcher.settled();
    const inTime = (record: NotificationRecord) =>
      record.outcome === 'answered' && (record.durationMs ?? Infinity) < XERO_WEBHOOK_TIMEOUT_MS;
    return {
      passed:
        inTime(valid) &&
        valid.status === 200 &&
        valid.responseBody === '' &&
        inTime(invalid) &&
        invalid.status === 401,
      valid,
      invalid,
    };
  }

  settled(): Promise<void> {
    return this.dispatcher.settled();
  }
}
