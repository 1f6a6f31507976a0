/**
 * Graph's per-mailbox limits: requests per app and mailbox in a fixed window, and concurrent
 * requests per mailbox. The settings are live: a test changes their fields at any time.
 */
import type { Holds } from '../common/http';
import { AccessTokenGrant, GraphHttpError } from './state';

export interface ThrottleSettings {
  /** Concurrent Graph requests per mailbox (Graph: 4); the next one gets 429. */
  maxConcurrentPerMailbox: number;
  /** Requests per app per mailbox per window (Graph: 10,000 per 10 minutes). */
  maxRequestsPerWindow: number;
  windowMs: number;
  /** Retry-After (seconds) on a concurrency 429. */
  concurrencyRetryAfterSeconds: number;
  /** Every Graph request stays in flight this long (makes concurrency observable). */
  latencyMs: number;
}

export class MailboxThrottle {
  readonly settings: ThrottleSettings;
  private readonly inFlight = new Map<string, number>();
  private readonly windows = new Map<string, { startedMs: number; count: number }>();

  constructor(
    private readonly now: () => number,
    settings: Partial<ThrottleSettings> = {},
  ) {
    this.settings = {
      maxConcurrentPerMailbox: 4,
      maxRequestsPerWindow: 10_000,
      windowMs: 10 * 60_000,
      concurrencyRetryAfterSeconds: 1,
      latencyMs: 0,
      ...settings,
    };
  }

  /** Counts a request against the app+mailbox window; the 429 when it is over the limit. */
  count(grant: AccessTokenGrant): GraphHttpError | undefined {
    const key = `${grant.clientId}|${grant.accountId}`;
    const now = this.now();
    let current = this.windows.get(key);
    if (!current || now - current.startedMs >= this.settings.windowMs) {
      current = { startedMs: now, count: 0 };
      this.windows.set(key, current);
    }
    current.count++;
    if (current.count <= this.settings.maxRequestsPerWindow) return undefined;
    const seconds = Math.max(
      1,
      Math.ceil((current.startedMs + this.settings.windowMs - now) / 1000),
    );
    return new GraphHttpError(
      429,
      'ApplicationThrottled',
      'Application is over its resource limit.',
      {
        'Retry-After': String(seconds),
      },
    );
  }

  /**
   * Runs `work` as one of the mailbox's concurrent requests, after the configured latency; the
   * 429 instead when the mailbox already has its maximum in flight.
   */
  async inMailbox<R>(
    accountId: string,
    holds: Holds,
    work: () => R | Promise<R>,
  ): Promise<R | GraphHttpError> {
    const running = this.inFlight.get(accountId) ?? 0;
    if (running >= this.settings.maxConcurrentPerMailbox) {
      return new GraphHttpError(
        429,
        'ApplicationThrottled',
        'Application is over its MailboxConcurrency limit.',
        { 'Retry-After': String(this.settings.concurrencyRetryAfterSeconds) },
      );
    }
    this.inFlight.set(accountId, running + 1);
    try {
      if (this.settings.latencyMs > 0) await holds.delay(this.settings.latencyMs);
      return await work();
    } finally {
      this.inFlight.set(accountId, (this.inFlight.get(accountId) ?? 1) - 1);
    }
  }
}
