/**
 * Graph change notifications for Outlook events:
 * `POST /subscriptions` validates the request, runs Graph's validation handshake against the
 * notification URL (and the lifecycle URL) before answering 201, `GET|PATCH|DELETE
 * /subscriptions/{id}` read, renew and remove. Every create/update/delete of an event in the
 * subscribed calendar (through the API or `state.userCreate/userEdit/userDelete`) POSTs a
 * `{ "value": [ … ] }` notification to the subscription's URL, asynchronously and in order per
 * subscription (shared `NotificationDispatcher`). Expired and deleted subscriptions deliver nothing.
 */
import { randomUUID } from 'node:crypto';
import { checkAddress, NotificationDispatcher, NotificationRecord } from '../common/notifications';
import type { GraphResult } from './graph';
import { Account, EventChange, GraphHttpError, MicrosoftState } from './state';
import { graphTimestamp, parseQueryInstant } from './time';

/** Maximum lifetime of a subscription on Outlook events, as Graph enforces it [D]. */
export const MAX_EVENT_SUBSCRIPTION_MINUTES = 4230;

const CHANGE_TYPES = ['created', 'updated', 'deleted'] as const;
type ChangeType = (typeof CHANGE_TYPES)[number];

export type LifecycleEvent = 'reauthorizationRequired' | 'subscriptionRemoved' | 'missed';

const CREATE_PROPERTIES = new Set([
  '@odata.type',
  'changeType',
  'notificationUrl',
  'resource',
  'expirationDateTime',
  'clientState',
  'lifecycleNotificationUrl',
  'latestSupportedTlsVersion',
  'includeResourceData',
  'encryptionCertificate',
  'encryptionCertificateId',
  'notificationQueryOptions',
  'notificationUrlAppId',
]);

const READ_SCOPES = [
  'calendars.read',
  'calendars.readwrite',
  'calendars.read.shared',
  'calendars.readwrite.shared',
];

export interface Subscription {
  id: string;
  /** As the client wrote it. */
  resource: string;
  accountId: string;
  calendarId: string;
  applicationId: string;
  /** As the client wrote it, e.g. `created,updated,deleted`. */
  changeType: string;
  changeTypes: ChangeType[];
  notificationUrl: string;
  lifecycleNotificationUrl?: string;
  clientState?: string;
  latestSupportedTlsVersion: string;
  expirationMs: number;
  createdMs: number;
  deleted: boolean;
}

/** One validation handshake (Graph POSTs `?validationToken=…` and waits for the echo). */
export interface ValidationRecord {
  at: number;
  /** The URL as registered. */
  address: string;
  /** Where the request went (after `notificationRewrite`), query included. */
  url: string;
  token: string;
  /** accepted | the reason of the refusal. */
  outcome: 'accepted' | 'timeout' | 'unreachable' | 'status' | 'contentType' | 'body';
  status?: number;
  contentType?: string;
  body?: string;
  error?: string;
}

export interface SubscriptionContext {
  account: Account;
  clientId: string;
  scopes: string[];
  /** e.g. https://127.0.0.1:PORT */
  baseUrl: string;
}

export interface SubscriptionCall {
  method: string;
  /** Below `/v1.0`, e.g. `/subscriptions/{id}`. */
  path: string;
  body: unknown;
}

function invalidRequest(message: string): GraphHttpError {
  return new GraphHttpError(400, 'InvalidRequest', message);
}

function notFound(): GraphHttpError {
  // As Graph answers an unknown subscription (observed).
  return new GraphHttpError(404, 'ResourceNotFound', 'The object was not found.');
}

function validationFailed(message: string): GraphHttpError {
  return new GraphHttpError(
    400,
    'ValidationError',
    `Subscription validation request failed. ${message}`,
  );
}

/**
 * .NET-style form encoding, as the validation tokens arrive on real endpoints [U: observed]:
 * spaces as `+`, lower-case escapes (`Validation%3a+Testing+client…`).
 */
function formEncode(value: string): string {
  return encodeURIComponent(value)
    .replace(/%20/g, '+')
    .replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase());
}

/** `2019-08-02T07:58:15+00:00`, as in observed notifications [U]. */
function notificationTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

export class Subscriptions {
  readonly all = new Map<string, Subscription>();
  /** Every validation handshake, in order. */
  readonly validations: ValidationRecord[] = [];

  constructor(
    private readonly state: MicrosoftState,
    private readonly dispatcher: NotificationDispatcher,
    private readonly settings: { validationTimeoutMs: number },
  ) {
    state.onEventChange((change) => this.changed(change));
  }

  live(subscription: Subscription): boolean {
    return !subscription.deleted && subscription.expirationMs > this.state.now();
  }

  async handle(ctx: SubscriptionContext, call: SubscriptionCall): Promise<GraphResult> {
    const segments = call.path.split('/').filter(Boolean).map(decodeURIComponent);
    const method = call.method.toUpperCase();
    if (segments.length === 1) {
      if (method === 'POST') return this.create(ctx, call.body);
      if (method === 'GET') return this.list(ctx);
      throw new GraphHttpError(
        405,
        'BadRequest',
        'The HTTP method is not supported for this resource.',
      );
    }
    if (segments.length !== 2) {
      throw new GraphHttpError(
        400,
        'BadRequest',
        `Resource not found for the segment '${segments[2]}'.`,
      );
    }
    const subscription = this.all.get(segments[1]);
    // Graph removes expired subscriptions; another app's or user's are not visible [U].
    if (
      !subscription ||
      !this.live(subscription) ||
      subscription.applicationId !== ctx.clientId ||
      subscription.accountId !== ctx.account.id
    ) {
      throw notFound();
    }
    if (method === 'GET')
      return { status: 200, headers: {}, body: this.render(subscription, ctx.baseUrl) };
    if (method === 'DELETE') {
      subscription.deleted = true;
      return { status: 204, headers: {} };
    }
    if (method === 'PATCH') return this.renew(ctx, subscription, call.body);
    throw new GraphHttpError(
      405,
      'BadRequest',
      'The HTTP method is not supported for this resource.',
    );
  }

  // ---- create, renew, list -----------------------------------------------------------------

  private async create(ctx: SubscriptionContext, raw: unknown): Promise<GraphResult> {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      throw new GraphHttpError(400, 'BadRequest', 'Empty Payload. JSON content expected.'); // [U]
    }
    const body = raw as Record<string, unknown>;
    for (const key of Object.keys(body)) {
      if (!CREATE_PROPERTIES.has(key)) {
        throw new GraphHttpError(
          400,
          'RequestBodyRead',
          `The property '${key}' does not exist on type 'microsoft.graph.subscription'. Make sure ` +
            'to only use property names that are defined by the type or mark the type as open type.',
        );
      }
    }
    for (const key of ['changeType', 'notificationUrl', 'resource', 'expirationDateTime']) {
      if (body[key] === undefined || body[key] === null || body[key] === '') {
        // Message as observed for expirationDateTime; code [U].
        throw invalidRequest(`${key} is a required property for subscription creation.`);
      }
    }
    const changeType = String(body.changeType);
    const changeTypes = changeType.split(',').map((t) => t.trim());
    if (changeTypes.some((t) => !(CHANGE_TYPES as readonly string[]).includes(t))) {
      throw invalidRequest(`Invalid changeType '${changeType}'.`); // [U]
    }
    const notificationUrl = this.checkUrl(body.notificationUrl, 'NotificationUrl');
    const lifecycleNotificationUrl =
      body.lifecycleNotificationUrl === undefined || body.lifecycleNotificationUrl === null
        ? undefined
        : this.checkUrl(body.lifecycleNotificationUrl, 'LifecycleNotificationUrl');
    if (typeof body.resource !== 'string') throw invalidRequest('Invalid resource.'); // [U]
    const calendarId = this.resolveResource(ctx, body.resource);
    if (!ctx.scopes.some((s) => READ_SCOPES.includes(shortScope(s)))) {
      throw new GraphHttpError(
        403,
        'ExtensionError',
        'Operation: Create; Exception: [Status Code: Forbidden; Reason: Access is denied. Check credentials and try again.]',
      ); // [U]
    }
    if (body.includeResourceData === true) {
      throw invalidRequest(
        'The Microsoft emulator does not implement notifications with resource data (includeResourceData).',
      );
    }
    const clientState = body.clientState;
    if (clientState !== undefined && clientState !== null) {
      if (typeof clientState !== 'string' || clientState.length > 128) {
        throw invalidRequest('clientState must be a string of at most 128 characters.'); // [U]
      }
    }
    const expirationMs = this.checkExpiration(body.expirationDateTime);
    await this.handshake(notificationUrl);
    if (lifecycleNotificationUrl && lifecycleNotificationUrl !== notificationUrl) {
      await this.handshake(lifecycleNotificationUrl);
    }
    const subscription: Subscription = {
      id: randomUUID(),
      resource: body.resource,
      accountId: ctx.account.id,
      calendarId,
      applicationId: ctx.clientId,
      changeType,
      changeTypes: changeTypes as ChangeType[],
      notificationUrl,
      lifecycleNotificationUrl,
      clientState: typeof clientState === 'string' ? clientState : undefined,
      latestSupportedTlsVersion:
        typeof body.latestSupportedTlsVersion === 'string'
          ? body.latestSupportedTlsVersion
          : 'v1_2',
      expirationMs,
      createdMs: this.state.now(),
      deleted: false,
    };
    this.all.set(subscription.id, subscription);
    return { status: 201, headers: {}, body: this.render(subscription, ctx.baseUrl) };
  }

  private async renew(
    ctx: SubscriptionContext,
    subscription: Subscription,
    raw: unknown,
  ): Promise<GraphResult> {
    const body = (raw ?? {}) as Record<string, unknown>;
    for (const key of Object.keys(body)) {
      if (!['@odata.type', 'expirationDateTime', 'notificationUrl'].includes(key)) {
        throw invalidRequest(`The property '${key}' cannot be updated.`); // [U]
      }
    }
    if (body.expirationDateTime === undefined && body.notificationUrl === undefined) {
      // Message as observed; code [U].
      throw invalidRequest(
        "Subscription must contain either the 'expirationDateTime' or 'notificationUrl' property and its value.",
      );
    }
    const expirationMs =
      body.expirationDateTime === undefined
        ? subscription.expirationMs
        : this.checkExpiration(body.expirationDateTime);
    let notificationUrl = subscription.notificationUrl;
    if (body.notificationUrl !== undefined && body.notificationUrl !== notificationUrl) {
      notificationUrl = this.checkUrl(body.notificationUrl, 'NotificationUrl');
      await this.handshake(notificationUrl);
    }
    Object.assign(subscription, { expirationMs, notificationUrl });
    return { status: 200, headers: {}, body: this.render(subscription, ctx.baseUrl) };
  }

  private list(ctx: SubscriptionContext): GraphResult {
    const value = [...this.all.values()]
      .filter(
        (s) => this.live(s) && s.applicationId === ctx.clientId && s.accountId === ctx.account.id,
      )
      .map((s) => this.render(s, ctx.baseUrl, false));
    return {
      status: 200,
      headers: {},
      body: { '@odata.context': `${ctx.baseUrl}/v1.0/$metadata#subscriptions`, value },
    };
  }

  render(subscription: Subscription, baseUrl: string, entity = true): Record<string, unknown> {
    return {
      ...(entity ? { '@odata.context': `${baseUrl}/v1.0/$metadata#subscriptions/$entity` } : {}),
      id: subscription.id,
      resource: subscription.resource,
      applicationId: subscription.applicationId,
      changeType: subscription.changeType,
      clientState: subscription.clientState ?? null,
      notificationUrl: subscription.notificationUrl,
      notificationQueryOptions: null,
      lifecycleNotificationUrl: subscription.lifecycleNotificationUrl ?? null,
      expirationDateTime: graphTimestamp(subscription.expirationMs),
      creatorId: subscription.accountId,
      includeResourceData: null,
      latestSupportedTlsVersion: subscription.latestSupportedTlsVersion,
      encryptionCertificate: null,
      encryptionCertificateId: null,
      notificationUrlAppId: null,
    };
  }

  // ---- checks --------------------------------------------------------------------------------

  private checkUrl(value: unknown, name: 'NotificationUrl' | 'LifecycleNotificationUrl'): string {
    const problem = checkAddress(value, this.dispatcher.allowHttp);
    if (problem === 'notHttps') {
      // As Graph answers it (observed).
      throw invalidRequest(
        `${name} scheme='${new URL(value as string).protocol.slice(0, -1)}' is not supported.`,
      );
    }
    if (problem === 'invalid') throw invalidRequest(`Invalid ${name}='${String(value)}'.`); // [U]
    return value as string;
  }

  private checkExpiration(value: unknown): number {
    const ms = typeof value === 'string' ? parseQueryInstant(value) : undefined;
    if (ms === undefined) throw invalidRequest(`Invalid expirationDateTime '${String(value)}'.`); // [U]
    const now = this.state.now();
    if (ms <= now) throw invalidRequest('Subscription expiration must be in the future.'); // [U]
    if (ms > now + MAX_EVENT_SUBSCRIPTION_MINUTES * 60_000) {
      // Code and message as Graph answers them (observed).
      throw new GraphHttpError(
        400,
        'ExtensionError',
        `Subscription expiration can only be ${MAX_EVENT_SUBSCRIPTION_MINUTES} minutes in the future.`,
      );
    }
    return ms;
  }

  /** `me/events`, `me/calendar/events`, `me/calendars/{id}/events` (also `users/{id or upn}/…`). */
  private resolveResource(ctx: SubscriptionContext, resource: string): string {
    const segments = resource.replace(/^\/+/, '').split('/').filter(Boolean);
    const unsupported = () =>
      invalidRequest(`The resource '${resource}' is not supported by the Microsoft emulator.`);
    let rest: string[];
    if (segments[0]?.toLowerCase() === 'me') rest = segments.slice(1);
    else if (segments[0]?.toLowerCase() === 'users' && segments[1]) {
      const target = this.state.findAccount(segments[1]);
      if (!target) {
        throw new GraphHttpError(
          404,
          'ErrorInvalidUser',
          `The requested user '${segments[1]}' is invalid.`,
        );
      }
      if (target !== ctx.account) {
        throw new GraphHttpError(
          403,
          'ErrorAccessDenied',
          'Access is denied. Check credentials and try again.',
        );
      }
      rest = segments.slice(2);
    } else throw unsupported();
    const last = rest[rest.length - 1]?.toLowerCase();
    if (last !== 'events') throw unsupported();
    // `me/events` watches the default calendar, as `GET /me/events` lists it [U].
    if (rest.length === 1) return ctx.account.defaultCalendarId;
    if (rest.length === 2 && rest[0].toLowerCase() === 'calendar')
      return ctx.account.defaultCalendarId;
    const quoted = /^calendars\('([^']+)'\)$/i.exec(rest[0]);
    const calendarId =
      rest.length === 2 && quoted
        ? quoted[1]
        : rest.length === 3 && rest[0].toLowerCase() === 'calendars'
          ? rest[1]
          : undefined;
    if (calendarId === undefined) throw unsupported();
    return this.state.calendar(ctx.account, calendarId).id; // unknown: 404 ErrorItemNotFound
  }

  /**
   * Graph's handshake: POST `{url}?validationToken=…` (`text/plain`, no body); the endpoint must
   * answer 200 with the decoded token as `text/plain` within 10 s.
   */
  private async handshake(address: string): Promise<void> {
    const token = `Validation: Testing client application reachability for subscription Request-Id: ${randomUUID()}`;
    const target = this.dispatcher.target(address);
    const url = `${target}${target.includes('?') ? '&' : '?'}validationToken=${formEncode(token)}`;
    const record: ValidationRecord = {
      at: Date.now(),
      address,
      url,
      token,
      outcome: 'accepted',
    };
    this.validations.push(record);
    let answer;
    try {
      answer = await this.dispatcher.post(url, {
        headers: { 'Content-Type': 'text/plain; charset=utf-8' },
        timeoutMs: this.settings.validationTimeoutMs,
      });
    } catch (error) {
      record.error = (error as Error).message;
      if (/^no answer within/.test(record.error)) {
        record.outcome = 'timeout';
        // As observed on Graph (code InvalidRequest, not ValidationError).
        throw invalidRequest('Subscription validation request timed out.');
      }
      record.outcome = 'unreachable';
      throw validationFailed(
        'Notification endpoint must respond with 200 OK to validation request.',
      ); // [U] for a refused connection
    }
    record.status = answer.status;
    record.contentType = String(answer.headers['content-type'] ?? '');
    record.body = answer.body;
    if (answer.status !== 200) {
      record.outcome = 'status';
      throw validationFailed(
        'Notification endpoint must respond with 200 OK to validation request.',
      );
    }
    if (!/^text\/plain\b/i.test(record.contentType)) {
      record.outcome = 'contentType';
      throw validationFailed('Response must be text/plain.'); // [U] (documented requirement)
    }
    if (answer.body !== token) {
      record.outcome = 'body';
      throw validationFailed('Response must exactly match validationToken query parameter.');
    }
  }

  // ---- notifications ---------------------------------------------------------------------------

  private changed(change: EventChange): void {
    for (const subscription of this.all.values()) {
      if (!this.live(subscription)) continue;
      if (subscription.accountId !== change.account.id) continue;
      if (subscription.calendarId !== change.calendarId) continue;
      if (!subscription.changeTypes.includes(change.changeType)) continue;
      const resource = `Users/${change.account.id}/Events/${change.eventId}`;
      const resourceData: Record<string, unknown> = {
        '@odata.type': '#Microsoft.Graph.Event',
        '@odata.id': resource,
      };
      // [U] a deleted event's notification carries no etag.
      if (change.changeKey) resourceData['@odata.etag'] = `W/"${change.changeKey}"`;
      resourceData.id = change.eventId;
      this.send(subscription, subscription.notificationUrl, change.changeType, {
        subscriptionId: subscription.id,
        subscriptionExpirationDateTime: notificationTimestamp(subscription.expirationMs),
        changeType: change.changeType,
        resource,
        resourceData,
        ...(subscription.clientState !== undefined
          ? { clientState: subscription.clientState }
          : {}),
        tenantId: change.account.tenantId,
      });
    }
  }

  /**
   * A lifecycle notification to the subscription's `lifecycleNotificationUrl` (none without one).
   * `subscriptionRemoved` also removes the subscription.
   */
  lifecycle(id: string, event: LifecycleEvent): NotificationRecord | undefined {
    const subscription = this.all.get(id);
    if (!subscription) throw new Error(`no subscription ${id}`);
    const account = this.state.account(subscription.accountId);
    if (event === 'subscriptionRemoved') subscription.deleted = true;
    if (!subscription.lifecycleNotificationUrl) return undefined;
    return this.send(subscription, subscription.lifecycleNotificationUrl, event, {
      subscriptionId: subscription.id,
      subscriptionExpirationDateTime: notificationTimestamp(subscription.expirationMs),
      tenantId: account.tenantId,
      ...(subscription.clientState !== undefined ? { clientState: subscription.clientState } : {}),
      lifecycleEvent: event,
    });
  }

  private send(
    subscription: Subscription,
    address: string,
    kind: string,
    item: Record<string, unknown>,
  ): NotificationRecord {
    return this.dispatcher.enqueue({
      channel: subscription.id,
      kind,
      address,
      headers: { 'Content-Type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ value: [item] }),
    });
  }
}

function shortScope(scope: string): string {
  return scope.replace(/^https:\/\/graph\.microsoft\.com\//i, '').toLowerCase();
}
