/**
 * Google's faults in the shared vocabulary, with the answers Google gives: 429 rateLimitExceeded,
 * 403 rateLimitExceeded / userRateLimitExceeded (usageLimits), 500 backendError, 503, plus the
 * transport faults and the OAuth ones. The emulator renders them with `googleError`.
 */
import {
  Fault,
  FaultMatch,
  FaultSchedule,
  RetryAfter,
  TOKEN_REFRESH,
  faultAnswer,
} from '../common/faults';
import { defaultReason } from './errors';

export const googleFaults = {
  /** 429 rateLimitExceeded, with `Retry-After` when given (Google does not promise one). */
  tooManyRequests: (retryAfter?: RetryAfter): Fault => ({
    kind: 'throttle',
    code: 'rateLimitExceeded',
    retryAfter,
  }),
  /** 403 rateLimitExceeded (usageLimits): throttling, not a permission problem. */
  rateLimitExceeded: (): Fault => ({ kind: 'throttle', status: 403, code: 'rateLimitExceeded' }),
  /** 403 userRateLimitExceeded (usageLimits): the per-user quota. */
  userRateLimitExceeded: (): Fault => ({
    kind: 'throttle',
    status: 403,
    code: 'userRateLimitExceeded',
  }),
  /** 500 backendError. */
  backendError: (): Fault => ({ kind: 'serverError', code: 'backendError' }),
  /** 503 (reason backendError, as far as anyone has seen). */
  unavailable: (retryAfter?: RetryAfter): Fault => ({
    kind: 'serverError',
    status: 503,
    code: 'backendError',
    retryAfter,
  }),
  /** Held until the client gives up; with `delayMs`, answered (and applied) after the delay. */
  timeout: (delayMs?: number): Fault =>
    delayMs === undefined ? { kind: 'hang' } : { kind: 'delay', ms: delayMs },
  reset: (): Fault => ({ kind: 'reset' }),
  /** The write is applied, then the connection is reset. */
  lostResponse: (): Fault => ({ kind: 'lostResponse' }),
  /** The presented access token dies now: 401 authError although it looks fresh. */
  tokenExpired: (): Fault => ({ kind: 'tokenExpired' }),
  /** Token endpoint: 400 invalid_grant (with `revoke`, the refresh token stays dead). */
  invalidGrant: (revoke = false): Fault => ({ kind: 'invalidGrant', revoke }),
};

export type GoogleFaultName = keyof typeof googleFaults;

/** Calendar API calls (single and batch sub-requests) and the batch request itself. */
export const API_REQUESTS: FaultMatch = { path: /^\/(calendar\/v3|batch)(\/|$)/ };
/** Calendar API calls and batch sub-requests, not the batch envelope. */
export const API_CALLS: FaultMatch = { path: /^\/calendar\/v3\// };

export function createGoogleFaultSchedule(now: () => number): FaultSchedule {
  return new FaultSchedule({
    now,
    // Counted under the reason the client sees: `429 rateLimitExceeded`, `500 backendError`…
    labelOf: (fault) => {
      const answer = faultAnswer(fault);
      return answer
        ? `${answer.status} ${answer.code ?? defaultReason(answer.status)}`
        : fault.kind;
    },
    quotaFault: googleFaults.userRateLimitExceeded(),
    quotaMatch: API_CALLS,
    randomMatch: API_CALLS,
    defaultMatch: (fault) => {
      if (fault.kind === 'invalidGrant') return TOKEN_REFRESH;
      if (fault.kind === 'tokenExpired') return API_CALLS;
      return API_REQUESTS;
    },
  });
}
