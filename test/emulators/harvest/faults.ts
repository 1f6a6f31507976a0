/**
 * Harvest's faults in the shared vocabulary and how Harvest renders them: 429 with `Retry-After`
 * in seconds (a fault's `retryAfter` given as a date becomes seconds from now), 5xx as
 * `{"status": …, "error": …}`, other statuses as `{"message": …}`, and the OAuth shape at the
 * token endpoint.
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
import { statusText } from '../common/http';
import { oauthFault } from '../common/answers';
import { ApiResponse, json } from './errors';

export const harvestFaults = {
  /** 429, `Retry-After` = `retryAfter` seconds. */
  throttle: (retryAfter: RetryAfter = 15): Fault => ({ kind: 'throttle', retryAfter }),
  ...serverFaults,
};

/** API calls under /v2 (not the Harvest ID endpoints). */
export const API_CALLS: FaultMatch = { path: /^\/v2\// };

/** Harvest's general limit: 100 requests per 15 seconds. */
export const RATE_LIMIT = { limit: 100, windowMs: 15_000 };

/** A fault's error answer as the API (or, with `dialect: 'oauth'`, Harvest ID) gives it. */
export function renderHarvestFault(
  answer: FaultAnswer,
  nowMs: number,
  dialect: 'api' | 'oauth',
): ApiResponse {
  const extra: Record<string, string> = { ...answer.headers };
  const retryAfter = answer.retryAfter ?? (answer.status === 429 ? 15 : undefined);
  if (retryAfter !== undefined) extra['Retry-After'] = String(retryAfterSeconds(retryAfter, nowMs));
  if (dialect === 'oauth') {
    return oauthFault(answer, extra, { describe: true });
  }
  if (answer.status === 429 || answer.status >= 500) {
    // [U] the body of a 429 or 5xx is not documented; Harvest's 404 shape is used.
    return json(
      answer.status,
      { status: answer.status, error: answer.message ?? statusText(answer.status) },
      extra,
    );
  }
  return json(answer.status, { message: answer.message ?? statusText(answer.status) }, extra);
}

export function createHarvestFaultSchedule(now: () => number): FaultSchedule {
  return apiFaultSchedule({ now, apiCalls: API_CALLS, quotaFault: harvestFaults.throttle() });
}
