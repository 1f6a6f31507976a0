/**
 * Xero's faults in the shared vocabulary and how Xero renders them: 429 with `Retry-After` in
 * seconds (a fault's date is converted) and `X-Rate-Limit-Problem` (the fault's `code`, default
 * `minute`), 5xx and other statuses in the Projects or Accounting API's own error shape, and
 * OAuth's `{"error": …}` at the token endpoint.
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
import { ApiResponse, Dialect, json, problem } from './errors';

/** What `X-Rate-Limit-Problem` names. */
export type RateLimitProblem = 'minute' | 'day' | 'concurrent' | 'appminute';

export const xeroFaults = {
  /** 429, `Retry-After` = `retryAfter` seconds, `X-Rate-Limit-Problem` = `problem`. */
  throttle: (retryAfter: RetryAfter = 1, problem: RateLimitProblem = 'minute'): Fault => ({
    kind: 'throttle',
    retryAfter,
    code: problem,
  }),
  ...serverFaults,
};

/** Calls to the Accounting and Projects APIs and `/connections` (not the identity server). */
export const API_CALLS: FaultMatch = { path: /^\/(api\.xro|projects\.xro)\/2\.0\/|^\/connections/ };

export const RATE_LIMITS = {
  perMinute: 60,
  perDay: 5000,
  concurrent: 5,
  appPerMinute: 10_000,
};

/** A fault's error answer in the dialect of the endpoint it hit. */
export function renderXeroFault(
  answer: FaultAnswer,
  nowMs: number,
  dialect: Dialect | 'oauth',
): ApiResponse {
  const extra: Record<string, string> = {};
  if (answer.retryAfter !== undefined || answer.status === 429) {
    extra['Retry-After'] = String(retryAfterSeconds(answer.retryAfter ?? 1, nowMs));
  }
  if (answer.status === 429) extra['X-Rate-Limit-Problem'] = answer.code ?? 'minute';
  Object.assign(extra, answer.headers);
  if (dialect === 'oauth') {
    return oauthFault(answer, extra, { describe: false });
  }
  if (answer.status === 429) {
    return problem(429, 'Too Many Requests', answer.message ?? 'Rate limit exceeded', extra); // [U]
  }
  const message =
    answer.message ?? (answer.status >= 500 ? 'An error occurred' : `Error ${answer.status}`); // [U]
  if (dialect === 'projects') return json(answer.status, { message, modelState: {} }, extra);
  return json(
    answer.status,
    {
      ErrorNumber: answer.status >= 500 ? 17 : 10,
      Type: answer.code ?? 'Exception',
      Message: message,
    },
    extra,
  );
}

export function createXeroFaultSchedule(now: () => number): FaultSchedule {
  return apiFaultSchedule({ now, apiCalls: API_CALLS, quotaFault: xeroFaults.throttle() });
}
