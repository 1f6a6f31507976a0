/**
 * Request times per key (a grant, a token, a tenant) over a sliding window, for the emulators'
 * own rate limits. `recent` answers the live list; a caller pushes `now` onto it only when it
 * lets the request through, so refused requests are not counted.
 */
export class SlidingWindows {
  private readonly times = new Map<string, number[]>();

  constructor(private readonly windowMs: number) {}

  /** The key's request times within the window that ends at `now`, oldest first. */
  recent(key: string, now: number): number[] {
    const seen = (this.times.get(key) ?? []).filter((t) => t > now - this.windowMs);
    this.times.set(key, seen);
    return seen;
  }

  /** Requests counted for the key as last pruned. */
  size(key: string): number {
    return this.times.get(key)?.length ?? 0;
  }
}
