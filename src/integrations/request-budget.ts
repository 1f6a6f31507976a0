import { RateLimit } from '../config/app-config';

/**
 * A sliding-window request budget per integration: at most `maxRequests` in any `windowSeconds`,
 * counted before sending so the provider's own limit is not what stops us (docs/architecture.md,
 * "Request budget"). A batch of n calls costs n, as the providers count it.
 *
 * The window lives in the memory of the worker that holds the integration's sync lease — the one
 * worker sending for that account. A lease handed to another worker starts a fresh window there;
 * the provider's 429 (honoured with `Retry-After`) remains the backstop for that rare overlap.
 */
export class RequestBudget {
  private readonly sent = new Map<number, number[]>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Milliseconds to wait before `cost` more requests fit in the integration's window. */
  waitMs(integrationId: number, cost: number, limit: RateLimit): number {
    const windowMs = limit.windowSeconds * 1000;
    const log = this.prune(integrationId, windowMs);
    const allowed = Math.max(1, limit.maxRequests);
    const excess = log.length + Math.min(cost, allowed) - allowed;
    if (excess <= 0) return 0;
    // The window has room once the oldest `excess` entries have aged out.
    return Math.max(0, log[excess - 1] + windowMs - this.now());
  }

  /** Records `cost` requests sent now. */
  spend(integrationId: number, cost: number): void {
    const log = this.sent.get(integrationId) ?? [];
    const at = this.now();
    for (let i = 0; i < cost; i++) log.push(at);
    this.sent.set(integrationId, log);
  }

  private prune(integrationId: number, windowMs: number): number[] {
    const log = this.sent.get(integrationId) ?? [];
    const horizon = this.now() - windowMs;
    let drop = 0;
    while (drop < log.length && log[drop] <= horizon) drop++;
    const kept = drop > 0 ? log.slice(drop) : log;
    this.sent.set(integrationId, kept);
    return kept;
  }
}
