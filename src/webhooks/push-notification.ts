import { DomainError } from '../common/errors/domain.error';

/**
 * The two notification shapes, read leniently: providers add headers and fields over time, so
 * only what danwel acts on is checked and everything else is ignored.
 */

/** A Google Calendar push notification: everything is in the `X-Goog-*` headers. */
export interface GoogleNotification {
  channelId: string | null;
  /** The channel's token: the secret danwel chose when it opened the channel. */
  token: string | null;
  /** `sync` (the channel's first message), `exists`, `not_exists`. */
  resourceState: string | null;
  resourceId: string | null;
  messageNumber: string | null;
}

type Headers = Record<string, string | string[] | undefined>;

const header = (headers: Headers, name: string): string | null => {
  const value = headers[name];
  return typeof value === 'string' && value.length > 0 ? value : null;
};

/** Express lowercases header names. */
export function googleNotification(headers: Headers): GoogleNotification {
  return {
    channelId: header(headers, 'x-goog-channel-id'),
    token: header(headers, 'x-goog-channel-token'),
    resourceState: header(headers, 'x-goog-resource-state'),
    resourceId: header(headers, 'x-goog-resource-id'),
    messageNumber: header(headers, 'x-goog-message-number'),
  };
}

/** One change notification of a Microsoft Graph subscription (`value[i]` of the POSTed body). */
export interface GraphNotification {
  subscriptionId: string;
  /** The secret danwel gave the subscription; Graph leaves it out when there is none. */
  clientState: string | null;
  changeType: string | null;
}

/** 400: the body is not JSON, or not Graph's `{ value: [...] }`. */
export class MalformedNotificationError extends DomainError {
  constructor(detail: string) {
    super(400, 'malformed-notification', 'Bad Request', detail);
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * `{ value: [{ subscriptionId, clientState, changeType, resource, … }] }`. Unknown fields are
 * allowed (Graph adds some: `tenantId`, `resourceData`, `lifecycleEvent`…); a body that is not an
 * object with a `value` array of objects carrying a `subscriptionId` string is refused.
 */
export function graphNotifications(body: unknown): GraphNotification[] {
  if (!isObject(body) || !Array.isArray(body.value)) {
    throw new MalformedNotificationError(
      'The body must be a JSON object with a `value` array of notifications.',
    );
  }
  return body.value.map((item: unknown, index) => {
    if (!isObject(item) || typeof item.subscriptionId !== 'string') {
      throw new MalformedNotificationError(
        `value[${index}] must be a notification object with a subscriptionId.`,
      );
    }
    return {
      subscriptionId: item.subscriptionId,
      clientState: typeof item.clientState === 'string' ? item.clientState : null,
      changeType: typeof item.changeType === 'string' ? item.changeType : null,
    };
  });
}
