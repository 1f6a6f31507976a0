import { EventWrite, WriteFailure, WriteFailureKind, WriteResult } from './calendar-events';
import { TRANSPORT_FAILURE_MESSAGES, TransportFailureCode } from './transport-failure';

/** An HTTP error answer of a provider, already read out of its SDK's error shape. */
export interface HttpFailure {
  status: number;
  /** The provider's reason: Google `errors[0].reason`, Graph `error.code`. */
  code?: string;
  message?: string;
  /** The raw `Retry-After` header, if any. */
  retryAfter?: string | null;
}

/** Google 403 reasons that mean "slow down", not "forbidden" (Google's usageLimits domain). */
const GOOGLE_RATE_LIMIT_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded']);

const MAX_MESSAGE_LENGTH = 200;

/**
 * Classifies an HTTP error answer to a write as documented on `WriteFailureKind`. `write` is the
 * kind of write it answered, or `request` for the envelope of a batch (where a 404 means a wrong
 * URL, never a deleted event).
 */
export function httpWriteFailure(
  provider: string,
  failure: HttpFailure,
  write: EventWrite['kind'] | 'request',
): WriteFailure {
  const code = failure.code || `http_${failure.status}`;
  const retryAfterSeconds = parseRetryAfter(failure.retryAfter);
  const detail = failure.message ? `: ${failure.message}` : '';
  return {
    kind: failureKind(failure.status, code, retryAfterSeconds !== undefined, write),
    status: failure.status,
    code,
    message: shorten(`${provider} ${failure.status} ${code}${detail}`),
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
  };
}

function failureKind(
  status: number,
  code: string,
  hasRetryAfter: boolean,
  write: EventWrite['kind'] | 'request',
): WriteFailureKind {
  if (status === 401) return 'unauthorized';
  if (status === 429) return 'throttled';
  if (status === 403 && GOOGLE_RATE_LIMIT_REASONS.has(code)) return 'throttled';
  // Graph says "come back later" with 503/504 + Retry-After; without it it is a plain outage.
  if ((status === 503 || status === 504) && hasRetryAfter) return 'throttled';
  // 408 Request Timeout is a timeout reported by the server: worth the same retry as ours.
  if (status >= 500 || status === 408) return 'retryable';
  if ((status === 404 || status === 410) && write === 'update') return 'gone';
  return 'permanent';
}

/** A request that got no answer: every write in it may or may not have been applied. */
export function transportWriteFailure(provider: string, code: TransportFailureCode): WriteFailure {
  return {
    kind: 'retryable',
    status: null,
    code,
    message: `${provider}: ${TRANSPORT_FAILURE_MESSAGES[code]}`,
  };
}

/** `Retry-After` as whole seconds from now: delta-seconds or an HTTP date (RFC 9110 10.2.3). */
export function parseRetryAfter(
  value: string | null | undefined,
  now = Date.now(),
): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.ceil(Number(text));
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

function shorten(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= MAX_MESSAGE_LENGTH
    ? oneLine
    : `${oneLine.slice(0, MAX_MESSAGE_LENGTH - 1)}…`;
}

/**
 * Provider messages are copied into failures shown to users: make sure none of them echoes the
 * access token the request was sent with.
 */
export function withoutToken(results: WriteResult[], accessToken: string): WriteResult[] {
  if (!accessToken) return results;
  return results.map((result) =>
    result.ok || !result.failure.message.includes(accessToken)
      ? result
      : {
          ok: false,
          failure: {
            ...result.failure,
            message: result.failure.message.split(accessToken).join('[token]'),
          },
        },
  );
}

/** `withoutToken` for one failure (pulls and push channels throw theirs). */
export function failureWithoutToken(failure: WriteFailure, accessToken: string): WriteFailure {
  if (!accessToken || !failure.message.includes(accessToken)) return failure;
  return { ...failure, message: failure.message.split(accessToken).join('[token]') };
}
