import { PullFailedError } from './calendar-changes';
import { WriteFailure } from './calendar-events';
import { failureWithoutToken } from './write-failure';

/**
 * Small readers shared by the providers' pull clients: what they turn provider JSON into for an
 * `ExternalEvent`.
 */

/** danwel's block id from an extended property: a number when it is all digits, else null. */
export function parseBlockId(value: unknown): number | null {
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value)) return null;
  const id = Number(value);
  return Number.isSafeInteger(id) && id > 0 ? id : null;
}

/** `2025-03-10` (or the date part of a date-time) as midnight UTC of that day; null if invalid. */
export function utcMidnight(value: unknown): Date | null {
  if (typeof value !== 'string') return null;
  const date = /^(\d{4}-\d{2}-\d{2})/.exec(value)?.[1];
  if (!date) return null;
  const parsed = new Date(`${date}T00:00:00.000Z`);
  return Number.isNaN(parsed.getTime()) ? null : parsed;
}

/** An RFC 3339 / ISO 8601 instant (with offset or `Z`); null if absent or invalid. */
export function parseInstant(value: unknown): Date | null {
  if (typeof value !== 'string' || value === '') return null;
  const parsed = new Date(value);
  return Number.isNaN(parsed.getTime()) ? null : parsed;
}

/** Throws the failure as a `PullFailedError`, without the access token in its message. */
export function pullFailed(failure: WriteFailure, accessToken: string): PullFailedError {
  return new PullFailedError(failureWithoutToken(failure, accessToken));
}

/** A 2xx answer we cannot use (no cursor, no id): trying again later is all we can do. */
export function malformedAnswer(provider: string, what: string): WriteFailure {
  return {
    kind: 'retryable',
    status: null,
    code: 'malformed_answer',
    message: `${provider}: the answer carried no ${what}`,
  };
}
