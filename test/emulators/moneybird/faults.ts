/**
 * Moneybird's faults in the shared vocabulary and how Moneybird renders them: 429 with the body
 * `"Retry later"`, `Retry-After` and `RateLimit-Reset` as UTC epoch seconds (a fault's
 * `retryAfter` in seconds or as a date becomes that instant), 5xx and other statuses as
 * `{"error": "…", "symbolic": …}`, and Doorkeeper's OAuth shape at the token endpoint.
 */
import {
  Fault,
  FaultAnswer,
  FaultMatch,
  FaultSchedule,
  RetryAfter,
  apiFaultSchedule,
  retryAfterSeconds,
  serverFaults,
} from '../common/faults';
import { oauthFault } from '../common/answers';
import { ApiResponse, json } from './errors';

export const moneybirdFaults = {
  /** 429 "Retry later", Retry-After = now + `retryAfter` seconds, as an epoch timestamp. */
  throttle: (retryAfter: RetryAfter = 1): Fault => ({ kind: 'throttle', retryAfter }),
  ...serverFaults,
  /** 402: the administration's plan does not allow more time entries. */
  limitReached: (): Fault => ({
    kind: 'status',
    status: 402,
    code: 'limit_reached',
    message: 'creating time entries is limited',
  }),
};

/** Calls under /api/v2 (not OAuth). */
export const API_CALLS: FaultMatch = { path: /^\/api\/v2\// };

export const RATE_LIMIT = 150;

/** Headers of a throttled answer, Moneybird style (epoch seconds). */
export function rateLimitHeaders(resetEpochSeconds: number, remaining: number) {
  return {
    'RateLimit-Limit': String(RATE_LIMIT),
    'RateLimit-Remaining': String(remaining),
    'RateLimit-Reset': String(resetEpochSeconds),
    'Retry-After': String(resetEpochSeconds),
  };
}

/** A fault's error answer as the API (or, with `dialect: 'oauth'`, the token endpoint) gives it. */
export function renderMoneybirdFault(
  answer: FaultAnswer,
  nowMs: number,
  dialect: 'api' | 'oauth',
): ApiResponse {
  const extra: Record<string, string> = { ...answer.headers };
  if (answer.status === 429) {
    const at = Math.floor(nowMs / 1000) + retryAfterSeconds(answer.retryAfter ?? 1, nowMs);
    Object.assign(extra, rateLimitHeaders(at, 0), answer.headers);
  } else if (answer.retryAfter !== undefined) {
    extra['Retry-After'] = String(
      Math.floor(nowMs / 1000) + retryAfterSeconds(answer.retryAfter, nowMs),
    );
  }
  if (dialect === 'oauth') {
    return oauthFault(answer, extra, { describe: true });
  }
  if (answer.status === 429) return json(429, answer.message ?? 'Retry later', extra);
  const message =
    answer.message ?? (answer.status >= 500 ? 'Internal server error' : `Error ${answer.status}`);
  return json(
    answer.status,
    answer.code ? { error: message, symbolic: { base: answer.code } } : { error: message },
    extra,
  );
}

export function createMoneybirdFaultSchedule(now: () => number): FaultSchedule {
  return apiFaultSchedule({ now, apiCalls: API_CALLS, quotaFault: moneybirdFaults.throttle() });
}
