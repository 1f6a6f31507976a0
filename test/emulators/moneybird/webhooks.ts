/**
 * Moneybird's webhooks: registered per administration through the API
 * (`POST /{administration}/webhooks.json {url, enabled_events}` answers the webhook with its
 * `token`; `GET` lists them, `DELETE /{administration}/webhooks/{id}.json` removes one). Each event
 * of a subscribed kind is POSTed to the webhook's URL as
 * `{administration_id, webhook_id, webhook_token, entity_type, entity_id, state, action, entity}`
 * with a unique `Idempotency-Key` header, asynchronously through the shared dispatcher. An empty
 * `enabled_events` subscribes to everything [U]. Not emulated: the reachability check on
 * registration and the retries of failed deliveries.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { NotificationDispatcher, NotificationRecord } from '../common/notifications';
import { ApiResponse, json, notFound, validationError } from './errors';
import type { Administration, MoneybirdStore } from './state';

export interface MoneybirdWebhook {
  id: string;
  administrationId: string;
  url: string;
  enabledEvents: string[];
  token: string;
}

/** The entity an event is about, as the API renders it (`id` and, where it has one, `state`). */
export type WebhookEntity = { id: string; state?: string | null } & Record<string, unknown>;

export class MoneybirdWebhooks {
  readonly byId = new Map<string, MoneybirdWebhook>();

  constructor(
    private readonly store: MoneybirdStore,
    private readonly dispatcher: NotificationDispatcher,
  ) {}

  /** Every delivery so far, with what the receiver answered. */
  get log(): NotificationRecord[] {
    return this.dispatcher.log;
  }

  of(administrationId: string): MoneybirdWebhook[] {
    return [...this.byId.values()].filter((w) => w.administrationId === administrationId);
  }

  /** `webhooks` routes of the API: list, create, delete. */
  handle(
    administration: Administration,
    method: string,
    id: string | undefined,
    body: unknown,
  ): ApiResponse {
    if (!id && method === 'GET') {
      return json(
        200,
        this.of(administration.id).map((w) => this.render(w)),
      );
    }
    if (!id && method === 'POST') {
      const input = (typeof body === 'object' && body !== null ? body : {}) as {
        url?: unknown;
        enabled_events?: unknown;
        events?: unknown;
      };
      const events = input.enabled_events ?? input.events ?? [];
      if (typeof input.url !== 'string' || input.url.trim() === '') {
        throw validationError({ url: ["can't be blank", 'blank'] });
      }
      if (!Array.isArray(events) || events.some((e) => typeof e !== 'string')) {
        throw validationError({ enabled_events: ['is invalid', 'invalid'] }); // [U]
      }
      const webhook: MoneybirdWebhook = {
        id: this.store.id(),
        administrationId: administration.id,
        url: input.url,
        enabledEvents: events as string[],
        token: randomBytes(18).toString('base64url').slice(0, 24),
      };
      this.byId.set(webhook.id, webhook);
      return json(201, this.render(webhook));
    }
    if (id && method === 'DELETE') {
      const webhook = this.byId.get(id);
      if (!webhook || webhook.administrationId !== administration.id) throw notFound();
      this.byId.delete(id);
      return { status: 204 };
    }
    throw notFound();
  }

  /** An event happened in the administration: each subscribed webhook gets a delivery. */
  emit(
    administration: Administration,
    action: string,
    entityType: string,
    entity: WebhookEntity,
  ): NotificationRecord[] {
    return this.of(administration.id)
      .filter((w) => w.enabledEvents.length === 0 || w.enabledEvents.includes(action))
      .map((webhook) =>
        this.send(webhook, {
          administration_id: administration.id,
          webhook_id: webhook.id,
          webhook_token: webhook.token,
          entity_type: entityType,
          entity_id: entity.id,
          state: entity.state ?? null,
          action,
          entity,
        }),
      );
  }

  /** Any body to a webhook's URL (a forged delivery, say), as Moneybird would send it. */
  send(webhook: Pick<MoneybirdWebhook, 'id' | 'url'>, body: unknown): NotificationRecord {
    const action = (body as { action?: unknown }).action;
    return this.dispatcher.enqueue({
      channel: webhook.id,
      kind: typeof action === 'string' ? action : 'delivery',
      address: webhook.url,
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': randomUUID() },
      body: JSON.stringify(body),
    });
  }

  settled(): Promise<void> {
    return this.dispatcher.settled();
  }

  private render(webhook: MoneybirdWebhook) {
    const last = [...this.dispatcher.log].reverse().find((r) => r.channel === webhook.id);
    return {
      id: webhook.id,
      administration_id: webhook.administrationId,
      url: webhook.url,
      enabled_events: webhook.enabledEvents,
      last_http_status: last?.status ?? null,
      last_http_body: last?.responseBody ?? null,
      token: webhook.token,
    };
  }
}
