import { RateLimit } from '../config/app-config';

/**
 * A sliding-window request budget per integration: at most `maxRequests` in any `windowSeconds`,
 * counted before sending so the provider's own limit is not what stops us (docs/architecture.md,
 * "Request budget"). A batch of n calls costs n, as the providers count it.
 *
 * A request counts from when it is sent until its answer arrives, and then from the answer's
 * time: the provider counted it somewhere in between (a batch part only when it got to it), so a
 * window that ages requests out from their sending time opens before the provider's does and the
 * first requests sent into it are refused.
 *
 * The window lives in the memory of the worker that holds the integration's sync lease — the one
 * worker sending for that account. A lease handed to another worker starts a fresh window there;
 * the provider's 429 (honoured with `Retry-After`) remains the backstop for that rare overlap.
 */
export class RequestBudget {
  /** Per integration, the times its requests count from, oldest first. */
  private readonly sent = new Map<number, Stamp[]>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Milliseconds to wait before `cost` more requests fit in the integration's window. */
  waitMs(integrationId: number, cost: number, limit: RateLimit): number {
    const windowMs = limit.windowSeconds * 1000;
    const log = this.prune(integrationId, windowMs);
    const allowed = Math.max(1, limit.maxRequests);
    const excess = log.length + Math.min(cost, allowed) - allowed;
    if (excess <= 0) return 0;
    // The window has room once the oldest `excess` entries have aged out.
    return Math.max(0, log[excess - 1].at + windowMs - this.now());
  }

  /**
   * Records `cost` requests sent now; call the answer's function when their answer (or failure)
   * arrives, so they count from then.
   */
  spend(integrationId: number, cost: number): () => void {
    const log = this.sent.get(integrationId) ?? [];
    const at = this.now();
    const stamps = Array.from({ length: cost }, () => ({ at }));
    log.push(...stamps);
    this.sent.set(integrationId, log);
    return () => this.answered(integrationId, new Set(stamps));
  }

  private answered(integrationId: number, stamps: Set<Stamp>): void {
    const at = this.now();
    // Every other stamp is at or before now, so moving these to the end keeps the order.
    const log = (this.sent.get(integrationId) ?? []).filter((stamp) => !stamps.has(stamp));
    for (const stamp of stamps) {
      stamp.at = at;
      log.push(stamp);
    }
    this.sent.set(integrationId, log);
  }

  private prune(integrationId: number, windowMs: number): Stamp[] {
    const log = this.sent.get(integrationId) ?? [];
    const horizon = this.now() - windowMs;
    let drop = 0;
    while (drop < log.length && log[drop].at <= horizon) drop++;
    const kept = drop > 0 ? log.slice(drop) : log;
    this.sent.set(integrationId, kept);
    return kept;
  }
}

interface Stamp {
  at: number;
}
