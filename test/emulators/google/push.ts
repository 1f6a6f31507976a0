/**
 * Push notifications of Calendar API v3: `events.watch` opens a channel on
 * a calendar's events, `channels.stop` closes it. Right after creation the channel gets a `sync`
 * message, then an `exists` message for every change of an event in the calendar (made through
 * the API or by the user; a deletion is a change too). Messages are body-less POSTs with the
 * `X-Goog-*` headers, delivered asynchronously and in order per channel by the shared
 * `NotificationDispatcher`. Expired and stopped channels deliver nothing.
 */
import { createHash, randomInt } from 'node:crypto';
import { checkAddress, NotificationDispatcher } from '../common/notifications';
import { ApiResponse, googleError, json } from './errors';
import { AccessToken, Calendar, Store } from './state';

/** Google's default and (for the emulator) maximum channel lifetime [U: 7 days, as observed]. */
export const MAX_CHANNEL_TTL_MS = 7 * 24 * 3600 * 1000;

/** What Google documents for a channel id: at most 64 characters of this alphabet [D]. */
const CHANNEL_ID = /^[A-Za-z0-9\-_+/=]{1,64}$/;

/** Google's crawler-style user agent on push messages [U: as observed on real deliveries]. */
const USER_AGENT = 'APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)';

/** The project number in messages (the emulator is one project). */
const PROJECT = '1234567890';

export interface PushChannel {
  id: string;
  /** Opaque id of the watched resource, stable across channels on the same calendar. */
  resourceId: string;
  resourceUri: string;
  /** Owner e-mail and calendar id of the watched calendar. */
  owner: string;
  calendarId: string;
  address: string;
  token?: string;
  params?: Record<string, string>;
  /** Epoch ms. */
  expiration: number;
  createdAt: number;
  stopped: boolean;
  /** Last `X-Goog-Message-Number` used. */
  messageNumber: number;
}

export class PushChannels {
  readonly channels = new Map<string, PushChannel>();

  constructor(
    private readonly store: Store,
    private readonly dispatcher: NotificationDispatcher,
    private readonly apiUrl: () => string,
  ) {
    store.onChange((calendar) => this.changed(calendar));
  }

  /** `calendar.events.watch`: the body was validated against the `Channel` schema already. */
  watch(calendar: Calendar, requestedId: string, body: Record<string, unknown>): ApiResponse {
    const { id, type, address, token, expiration, params } = body;
    if (typeof id !== 'string' || id === '') {
      return googleError(400, 'required', 'Required parameter: id'); // [U]
    }
    if (!CHANNEL_ID.test(id)) {
      return googleError(400, 'channelIdInvalid', 'Channel id must match [A-Za-z0-9\\-_\\+/=]+'); // [U]
    }
    if (typeof type !== 'string' || type === '') {
      return googleError(400, 'required', 'Required parameter: type'); // [U]
    }
    if (!['web_hook', 'webhook'].includes(type.toLowerCase())) {
      return googleError(400, 'invalid', `Invalid channel type: ${type}`); // [U]
    }
    if (address === undefined || address === null || address === '') {
      return googleError(400, 'required', 'Required parameter: address'); // [U]
    }
    const addressProblem = checkAddress(address, this.dispatcher.allowHttp);
    if (addressProblem === 'notHttps') {
      // Reason and message as Google answers them (observed).
      return googleError(
        400,
        'push.webhookUrlNotHttps',
        `WebHook callback must be HTTPS: ${String(address)}`,
      );
    }
    if (addressProblem === 'invalid') {
      return googleError(
        400,
        'push.webhookUrlNoHostOrAddress',
        `WebHook callback must have a host or address: ${String(address)}`,
      ); // [U] message
    }
    if (this.channels.has(id)) {
      // A channel id is unique within the project, stopped channels included [U].
      return googleError(400, 'channelIdNotUnique', `Channel id ${id} not unique`); // [U]
    }
    const now = this.store.now();
    let expires = now + MAX_CHANNEL_TTL_MS;
    const ttl = (params as Record<string, string> | undefined)?.ttl;
    if (expiration !== undefined && expiration !== null) {
      const requested = Number(expiration);
      if (!Number.isSafeInteger(requested)) {
        return googleError(400, 'invalid', `Invalid value for expiration: ${String(expiration)}`); // [U]
      }
      if (requested <= now) {
        return googleError(400, 'invalid', 'Channel expiration must be in the future.'); // [U]
      }
      expires = Math.min(requested, expires);
    } else if (ttl !== undefined) {
      // The Calendar API's legacy `params.ttl` (seconds) [D].
      if (!/^\d+$/.test(ttl) || Number(ttl) === 0) {
        return googleError(400, 'invalid', `Invalid value for params.ttl: ${ttl}`); // [U]
      }
      expires = Math.min(now + Number(ttl) * 1000, expires);
    }
    const channel: PushChannel = {
      id,
      resourceId: this.resourceIdOf(calendar),
      // The watched collection as the client named it [U: Google echoes the calendar id of the path].
      resourceUri: `${this.apiUrl()}/calendar/v3/calendars/${encodeURIComponent(requestedId)}/events?alt=json`,
      owner: calendar.owner,
      calendarId: calendar.id,
      address: address as string,
      token: typeof token === 'string' ? token : undefined,
      params: params as Record<string, string> | undefined,
      expiration: expires,
      createdAt: now,
      stopped: false,
      messageNumber: 0,
    };
    this.channels.set(id, channel);
    this.notify(channel, 'sync');
    const resource: Record<string, unknown> = {
      kind: 'api#channel',
      id: channel.id,
      resourceId: channel.resourceId,
      resourceUri: channel.resourceUri,
    };
    if (channel.token !== undefined) resource.token = channel.token;
    resource.expiration = String(channel.expiration); // int64: a string in JSON
    return json(200, resource);
  }

  /** `calendar.channels.stop`: only the user who opened the channel can stop it [U]. */
  stop(body: Record<string, unknown>, token: AccessToken): ApiResponse {
    const { id, resourceId } = body;
    if (typeof id !== 'string' || id === '') {
      return googleError(400, 'required', 'Required parameter: id'); // [U]
    }
    if (typeof resourceId !== 'string' || resourceId === '') {
      return googleError(400, 'required', 'Required parameter: resourceId'); // [U]
    }
    const channel = this.channels.get(id);
    if (
      !channel ||
      channel.stopped ||
      channel.resourceId !== resourceId ||
      channel.owner !== token.email ||
      channel.expiration <= this.store.now()
    ) {
      return googleError(404, 'notFound', `Channel '${id}' not found for project '${PROJECT}'`); // [U]
    }
    channel.stopped = true;
    return { status: 204, headers: {} };
  }

  live(channel: PushChannel): boolean {
    return !channel.stopped && channel.expiration > this.store.now();
  }

  private changed(calendar: Calendar): void {
    for (const channel of this.channels.values()) {
      if (channel.owner !== calendar.owner || channel.calendarId !== calendar.id) continue;
      if (this.live(channel)) this.notify(channel, 'exists');
    }
  }

  private notify(channel: PushChannel, state: 'sync' | 'exists'): void {
    // "Value is always 1 for sync messages. Message numbers increase for each subsequent message
    // on the channel, but they are not sequential." [D] — so the emulator skips numbers too.
    channel.messageNumber = state === 'sync' ? 1 : channel.messageNumber + randomInt(1, 1000);
    const headers: Record<string, string> = {
      'X-Goog-Channel-ID': channel.id,
      'X-Goog-Channel-Expiration': new Date(channel.expiration).toUTCString(),
      'X-Goog-Resource-ID': channel.resourceId,
      'X-Goog-Resource-URI': channel.resourceUri,
      'X-Goog-Resource-State': state,
      'X-Goog-Message-Number': String(channel.messageNumber),
      'User-Agent': USER_AGENT,
    };
    if (channel.token !== undefined) headers['X-Goog-Channel-Token'] = channel.token;
    this.dispatcher.enqueue({
      channel: channel.id,
      kind: state,
      address: channel.address,
      headers,
    });
  }

  private resourceIdOf(calendar: Calendar): string {
    return createHash('sha256')
      .update(`${calendar.owner}/${calendar.id}/events`)
      .digest('base64url')
      .slice(0, 27);
  }
}
