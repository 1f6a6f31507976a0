import { DomainError } from '../common/errors/domain.error';

/**
 * Driver errors that mean the database cannot be reached right now — refused, reset, timed out,
 * shutting down, out of connections — rather than that a statement was wrong. mysql2 also marks
 * every error that broke its connection `fatal`.
 */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_CONNECTION_KILLED',
]);

interface DriverError {
  code?: unknown;
  fatal?: unknown;
  driverError?: unknown;
  cause?: unknown;
  errors?: unknown;
}

/** Whether `error` (a TypeORM error wrapping the driver's, or the driver's own) is an outage. */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 4) return false;
  const e = error as DriverError;
  if (typeof e.code === 'string' && UNREACHABLE_CODES.has(e.code)) return true;
  if (e.fatal === true && typeof e.code === 'string') return true;
  // Node's AggregateError of a failed connect (IPv4 and IPv6 tried) carries the codes inside.
  const inner = [e.driverError, e.cause, ...(Array.isArray(e.errors) ? e.errors : [])];
  return inner.some((next) => isDatabaseUnavailable(next, depth + 1));
}

/** 503 with Retry-After: the database is unreachable, and nothing of the request was done. */
export class DatabaseUnavailableError extends DomainError {
  constructor(readonly retryAfterSeconds = 5) {
    super(
      503,
      'database-unavailable',
      'Service Unavailable',
      'The service cannot reach its database. Try again shortly.',
    );
  }

  override headers(): Record<string, string> {
    return { 'Retry-After': String(this.retryAfterSeconds) };
  }
}
