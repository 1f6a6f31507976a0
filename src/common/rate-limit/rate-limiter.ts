import { DomainError } from '../errors/domain.error';

export class TooManyRequestsError extends DomainError {
  constructor(readonly retryAfterSeconds: number) {
    super(
      429,
      'too-many-requests',
      'Too Many Requests',
      `Too many attempts. Try again in ${retryAfterSeconds} seconds.`,
    );
  }

  override headers(): Record<string, string> {
    return { 'Retry-After': String(this.retryAfterSeconds) };
  }
}

/**
 * A sliding-window counter per key, in memory. Good enough for the login/register brakes of one
 * API process; several API processes each keep their own window (documented in the README).
 */
export class RateLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records an attempt for each key; throws 429 (with Retry-After) if any key is over its limit. */
  consume(...keys: string[]): void {
    const now = this.now();
    const windowStart = now - this.windowSeconds * 1000;
    let retryAfter = 0;
    for (const key of keys) {
      const recent = (this.hits.get(key) ?? []).filter((at) => at > windowStart);
      if (recent.length >= this.limit) {
        retryAfter = Math.max(retryAfter, Math.ceil((recent[0] - windowStart) / 1000));
      }
      this.hits.set(key, recent);
    }
    if (retryAfter > 0) throw new TooManyRequestsError(retryAfter);
    for (const key of keys) this.hits.get(key)!.push(now);
    if (this.hits.size > 10_000) this.forgetIdle(windowStart);
  }

  private forgetIdle(windowStart: number): void {
    for (const [key, times] of this.hits) {
      if (times.every((at) => at <= windowStart)) this.hits.delete(key);
    }
  }
}
