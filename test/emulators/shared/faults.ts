/**
 * Fault scheduling for the provider emulators, independent of any provider.
 *
 * A test decides which requests go wrong and how: scheduled rules (the first matching rule with
 * hits left wins), per-key quotas (N requests per sliding window, then a fault), and a seeded
 * random mode with a probability per fault. The emulator asks `pick(facts)` once per request (and
 * once per sub-request of a batch) and carries the answer out in its own dialect: the status
 * kinds become the provider's error body, the transport kinds are carried out on the socket by
 * the helpers in `./http`. Every injected fault is counted by label and recorded.
 */

/** Seconds, or an HTTP date. */
export type RetryAfter = number | string;

/** The faults every emulator understands. A provider may define more (`FaultSchedule<F>`). */
export type Fault =
  /**
   * An error answer. `reason` is the provider's error code (Google: `rateLimitExceeded`,
   * `userRateLimitExceeded`, `backendError`…); the emulator renders the body.
   */
  | {
      kind: 'status';
      status: number;
      reason?: string;
      message?: string;
      retryAfter?: RetryAfter;
      headers?: Record<string, string>;
    }
  /**
   * No answer in time. Without `delayMs` the request is held until the client gives up (or the
   * emulator stops) and is never processed. With `delayMs` it is processed normally after the
   * delay — even if the client gave up meanwhile, like a real slow server.
   */
  | { kind: 'timeout'; delayMs?: number }
  /** The connection is reset before the request is processed: nothing happened. */
  | { kind: 'reset' }
  /** The request is processed (a write IS applied), then the connection is reset unanswered. */
  | { kind: 'lostResponse' }
  /** The presented access token expires now (server side); the call answers 401. */
  | { kind: 'tokenExpired' }
  /** Token endpoint: 400 invalid_grant. With `revoke`, the presented refresh token dies too. */
  | { kind: 'invalidGrant'; description?: string; revoke?: boolean };

export type FaultKind = Fault['kind'];

/** What the emulator knows about a request when it asks for a fault. */
export interface RequestFacts {
  method: string;
  /** Pathname without the query string. */
  path: string;
  /** The emulator's name for the operation, e.g. `events.insert`, `oauth.token`, `batch`. */
  operation?: string;
  /** The account the credentials belong to (lower-case e-mail), when known. */
  user?: string;
  /** true for a sub-request of a batch. */
  batch: boolean;
  /** Token endpoint: `authorization_code` | `refresh_token`. */
  grantType?: string;
}

export interface FaultMatch {
  /** One method or several (case-insensitive), or a RegExp. */
  method?: string | string[] | RegExp;
  /** A string must equal the pathname; a RegExp must match it (e.g. /events$/). */
  path?: string | RegExp;
  operation?: string | RegExp;
  /** Account e-mail (case-insensitive). */
  user?: string;
  /** true: only batch sub-requests; false: only top-level requests; unset: both. */
  batch?: boolean;
  grantType?: string;
  /** Anything else. */
  when?: (facts: RequestFacts) => boolean;
}

export interface FaultRule<F extends { kind: string } = Fault> {
  match?: FaultMatch;
  fault: F;
  /** How many matching requests get the fault (default 1; `Infinity` for all). */
  times?: number;
  /** Let this many matching requests through first (default 0). */
  after?: number;
  /** Name in the counters (default: derived from the fault). */
  label?: string;
}

export interface FaultHandle {
  /** Requests that got this rule's fault. */
  readonly hits: number;
  /** Faults still to inject (`Infinity` for an endless rule). */
  readonly remaining: number;
  remove(): void;
}

export interface QuotaRule<F extends { kind: string } = Fault> {
  /** Requests allowed per key within `windowMs` (sliding window). */
  limit: number;
  windowMs: number;
  match?: FaultMatch;
  /** What a request is counted against; default the account. Requests without a key pass. */
  key?: (facts: RequestFacts) => string | undefined;
  /** The answer once the quota is spent (default: the schedule's `quotaFault`). */
  fault?: F;
  label?: string;
}

export interface RandomFaults<F extends { kind: string } = Fault> {
  seed: number;
  /** Which requests may get a random fault (default: the schedule's `randomMatch`). */
  match?: FaultMatch;
  /**
   * Independent-looking chances per fault: one draw per request picks at most one fault, with
   * these probabilities (their sum must be ≤ 1).
   */
  faults: Array<{ probability: number; fault: F; label?: string }>;
}

export interface InjectedFault {
  label: string;
  kind: string;
  source: 'rule' | 'quota' | 'random';
  method: string;
  path: string;
  user?: string;
  batch: boolean;
  at: number;
}

export interface FaultScheduleOptions<F extends { kind: string }> {
  /** Label in the counters for a fault without an explicit one. */
  labelOf?: (fault: F) => string;
  /** Default answer of a quota rule without its own fault. */
  quotaFault?: F;
  /** Default match of a quota rule without its own. */
  quotaMatch?: FaultMatch;
  /** Match used by `add` when the rule has none, per fault (e.g. invalidGrant → token endpoint). */
  defaultMatch?: (fault: F) => FaultMatch | undefined;
  /** Default match of the random mode. */
  randomMatch?: FaultMatch;
  now?: () => number;
}

/** mulberry32: small, fast, deterministic. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `status:429 rateLimitExceeded`, `reset`, `timeout`… */
export function defaultFaultLabel(fault: { kind: string }): string {
  const f = fault as Partial<Extract<Fault, { kind: 'status' }>>;
  if (fault.kind === 'status') return `${f.status}${f.reason ? ` ${f.reason}` : ''}`;
  return fault.kind;
}

export function matchesFacts(match: FaultMatch | undefined, facts: RequestFacts): boolean {
  if (!match) return true;
  if (match.batch !== undefined && match.batch !== facts.batch) return false;
  if (match.method !== undefined) {
    const method = facts.method.toUpperCase();
    const ok =
      match.method instanceof RegExp
        ? match.method.test(method)
        : (Array.isArray(match.method) ? match.method : [match.method]).some(
            (m) => m.toUpperCase() === method,
          );
    if (!ok) return false;
  }
  if (match.path !== undefined && !test(match.path, facts.path)) return false;
  if (match.operation !== undefined && !test(match.operation, facts.operation ?? '')) return false;
  if (match.user !== undefined && match.user.toLowerCase() !== (facts.user ?? '').toLowerCase()) {
    return false;
  }
  if (match.grantType !== undefined && match.grantType !== facts.grantType) return false;
  if (match.when && !match.when(facts)) return false;
  return true;
}

function test(pattern: string | RegExp, value: string): boolean {
  return typeof pattern === 'string' ? pattern === value : pattern.test(value);
}

interface ActiveRule<F extends { kind: string }> {
  rule: FaultRule<F>;
  match?: FaultMatch;
  skip: number;
  left: number;
  hits: number;
}

interface ActiveQuota<F extends { kind: string }> {
  rule: QuotaRule<F>;
  seen: Map<string, number[]>;
}

/**
 * The schedule of one emulator. Rules are consulted first, then quotas, then the random mode.
 * A quota counts every matching request, including those that got a scheduled fault.
 */
export class FaultSchedule<F extends { kind: string } = Fault> {
  private rules: ActiveRule<F>[] = [];
  private quotas: ActiveQuota<F>[] = [];
  private randomMode?: { options: RandomFaults<F>; next: () => number };
  private readonly counters = new Map<string, number>();
  private readonly now: () => number;
  /** Every injected fault, in order. */
  readonly injected: InjectedFault[] = [];

  constructor(private readonly options: FaultScheduleOptions<F> = {}) {
    this.now = options.now ?? Date.now;
  }

  /** Schedules a fault; e.g. `add({ match: { method: 'POST', path: /events$/ }, times: 2, fault })`. */
  add(rule: FaultRule<F>): FaultHandle {
    const times = rule.times ?? 1;
    if (!(times >= 0)) throw new Error(`times must be ≥ 0, got ${times}`);
    const active: ActiveRule<F> = {
      rule,
      match: rule.match ?? this.options.defaultMatch?.(rule.fault),
      skip: rule.after ?? 0,
      left: times,
      hits: 0,
    };
    this.rules.push(active);
    return {
      get hits() {
        return active.hits;
      },
      get remaining() {
        return active.left;
      },
      remove: () => {
        this.rules = this.rules.filter((r) => r !== active);
      },
    };
  }

  /** Shorthand: the next `faults.length` matching requests get these faults, in order. */
  queue(faults: F[], match?: FaultMatch): FaultHandle[] {
    // Rules are consulted in order and the first with hits left wins: no `after` needed.
    return faults.map((fault) => this.add({ match, fault }));
  }

  /** N requests per window per key (default per account), then the quota fault. */
  quota(rule: QuotaRule<F>): { remove(): void } {
    if (!rule.fault && !this.options.quotaFault) throw new Error('quota rule needs a fault');
    const active: ActiveQuota<F> = { rule, seen: new Map() };
    this.quotas.push(active);
    return {
      remove: () => {
        this.quotas = this.quotas.filter((q) => q !== active);
      },
    };
  }

  /** Seeded random faults on top of the rules and quotas. */
  random(options: RandomFaults<F>): void {
    const sum = options.faults.reduce((total, f) => total + f.probability, 0);
    if (options.faults.some((f) => f.probability < 0) || sum > 1 + 1e-9) {
      throw new Error(`fault probabilities must be ≥ 0 and sum to ≤ 1 (got ${sum})`);
    }
    this.randomMode = { options, next: seededRandom(options.seed) };
  }

  stopRandom(): void {
    this.randomMode = undefined;
  }

  /** Removes every rule, quota and the random mode; counters stay (see `resetCounts`). */
  clear(): void {
    this.rules = [];
    this.quotas = [];
    this.randomMode = undefined;
  }

  resetCounts(): void {
    this.counters.clear();
    this.injected.length = 0;
  }

  /** Scheduled faults not injected yet (endless rules count as `Infinity`). */
  get pending(): number {
    return this.rules.reduce((total, r) => total + r.left, 0);
  }

  /** Injected faults by label, e.g. `{ '429 rateLimitExceeded': 3, reset: 1 }`. */
  get counts(): Record<string, number> {
    return Object.fromEntries([...this.counters.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  get total(): number {
    return this.injected.length;
  }

  /** Called by the emulator once per request and once per batch sub-request. */
  pick(facts: RequestFacts): F | undefined {
    let quotaFault: { fault: F; label?: string } | undefined;
    for (const quota of this.quotas) {
      if (!matchesFacts(quota.rule.match ?? this.options.quotaMatch, facts)) continue;
      const key = (quota.rule.key ?? ((f: RequestFacts) => f.user))(facts);
      if (key === undefined) continue;
      const now = this.now();
      const seen = (quota.seen.get(key) ?? []).filter((t) => t > now - quota.rule.windowMs);
      seen.push(now);
      quota.seen.set(key, seen);
      if (seen.length > quota.rule.limit && !quotaFault) {
        quotaFault = {
          fault: (quota.rule.fault ?? this.options.quotaFault) as F,
          label: quota.rule.label,
        };
      }
    }
    for (const active of this.rules) {
      if (active.left <= 0 || !matchesFacts(active.match, facts)) continue;
      if (active.skip > 0) {
        active.skip--;
        continue;
      }
      active.left--;
      active.hits++;
      return this.record(active.rule.fault, active.rule.label, 'rule', facts);
    }
    if (quotaFault) {
      const label = quotaFault.label ?? `quota ${this.labelOf(quotaFault.fault)}`;
      return this.record(quotaFault.fault, label, 'quota', facts);
    }
    const mode = this.randomMode;
    if (mode && matchesFacts(mode.options.match ?? this.options.randomMatch, facts)) {
      let roll = mode.next();
      for (const candidate of mode.options.faults) {
        if (roll < candidate.probability) {
          return this.record(candidate.fault, candidate.label, 'random', facts);
        }
        roll -= candidate.probability;
      }
    }
    return undefined;
  }

  private labelOf(fault: F): string {
    return (this.options.labelOf ?? defaultFaultLabel)(fault);
  }

  private record(
    fault: F,
    label: string | undefined,
    source: InjectedFault['source'],
    facts: RequestFacts,
  ): F {
    const name = label ?? this.labelOf(fault);
    this.counters.set(name, (this.counters.get(name) ?? 0) + 1);
    this.injected.push({
      label: name,
      kind: fault.kind,
      source,
      method: facts.method,
      path: facts.path,
      user: facts.user,
      batch: facts.batch,
      at: this.now(),
    });
    return fault;
  }
}
