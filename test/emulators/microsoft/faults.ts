/**
 * Microsoft's faults in the shared vocabulary, and how Graph and the identity platform render
 * them: Graph's `{"error":{"code","message","innerError"}}` bodies (429 TooManyRequests, 500
 * generalException, 503 serviceNotAvailable, 504 UnknownError, always with `Retry-After` on
 * 429/503/504) and the token endpoint's `{"error","error_description","error_codes"}`.
 */
import {
  Fault,
  FaultAnswer,
  FaultMatch,
  FaultSchedule,
  RetryAfter,
  TOKEN_REFRESH,
  faultAnswer,
} from '../common/faults';
import { IdentityResult, oauthError } from './identity';
import { GraphHttpError } from './state';

export const microsoftFaults = {
  /** 429 TooManyRequests. */
  throttle: (retryAfter?: RetryAfter): Fault => ({ kind: 'throttle', retryAfter }),
  /** 500 generalException. */
  serverError: (): Fault => ({ kind: 'serverError' }),
  /** 503 serviceNotAvailable. */
  unavailable: (retryAfter?: RetryAfter): Fault => ({
    kind: 'serverError',
    status: 503,
    retryAfter,
  }),
  /** 504 UnknownError (gateway timeout). */
  gatewayTimeout: (retryAfter?: RetryAfter): Fault => ({
    kind: 'serverError',
    status: 504,
    retryAfter,
  }),
};

/** Graph calls and `$batch` sub-requests. */
export const GRAPH_CALLS: FaultMatch = { operation: 'graph' };

const GRAPH_DEFAULTS: Record<number, { code: string; message: string }> = {
  401: {
    code: 'InvalidAuthenticationToken',
    message: 'Access token has expired or is not yet valid.',
  },
  429: { code: 'TooManyRequests', message: 'Too many requests.' },
  500: { code: 'generalException', message: 'General exception while processing.' },
  503: { code: 'serviceNotAvailable', message: 'Service Unavailable.' },
  504: { code: 'UnknownError', message: 'Gateway Timeout.' },
};

/** Graph says when to come back on these (an explicit `status` fault sends only what it says). */
const RETRY_AFTER_STATUSES = new Set([429, 503, 504]);

function retryAfterHeader(answer: FaultAnswer): Record<string, string> {
  const usual = answer.kind !== 'status' && RETRY_AFTER_STATUSES.has(answer.status);
  const retryAfter = answer.retryAfter ?? (usual ? 1 : undefined);
  return retryAfter === undefined ? {} : { 'Retry-After': String(retryAfter) };
}

/** A fault's error answer as Graph gives it. */
export function graphFaultError(answer: FaultAnswer): GraphHttpError {
  // A bare `status` fault names its code itself; the status's usual code only for the kinds.
  const defaults = answer.kind === 'status' ? undefined : GRAPH_DEFAULTS[answer.status];
  return new GraphHttpError(
    answer.status,
    answer.code ?? defaults?.code ?? (answer.status === 429 ? 'TooManyRequests' : 'UnknownError'),
    answer.message ?? defaults?.message ?? `Injected ${answer.status}.`,
    { ...retryAfterHeader(answer), ...answer.headers },
  );
}

/** A fault's error answer as the token endpoint gives it. */
export function identityFaultError(answer: FaultAnswer): IdentityResult {
  const transient = answer.status === 429 || answer.status === 503 || answer.status === 504;
  const code = answer.code ?? (transient ? 'temporarily_unavailable' : 'server_error');
  const message =
    answer.message ??
    (answer.status === 429 ? 'Too many requests.' : 'A transient error has occurred.');
  return oauthError(answer.status, code, answer.status === 429 ? 50196 : 90033, message, {
    ...retryAfterHeader(answer),
    ...answer.headers,
  });
}

/** `429 TooManyRequests`, `503 serviceNotAvailable`, `reset` … */
function microsoftLabel(fault: Fault): string {
  const answer = faultAnswer(fault);
  if (!answer) return fault.kind;
  return `${answer.status} ${answer.code ?? GRAPH_DEFAULTS[answer.status]?.code ?? 'UnknownError'}`;
}

export function createMicrosoftFaultSchedule(now: () => number): FaultSchedule {
  return new FaultSchedule({
    now,
    labelOf: microsoftLabel,
    randomMatch: GRAPH_CALLS,
    quotaMatch: GRAPH_CALLS,
    quotaFault: { kind: 'throttle', code: 'ApplicationThrottled' },
    defaultMatch: (fault) => (fault.kind === 'invalidGrant' ? TOKEN_REFRESH : undefined),
  });
}
