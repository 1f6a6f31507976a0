/**
 * One fault vocabulary for every provider emulator (calendars and invoicing alike).
 *
 * A test decides which requests go wrong and how: scheduled rules (the first matching rule with
 * hits left wins), per-key quotas (N requests per sliding window, then a fault), and a seeded
 * random mode with a probability per fault. The emulator asks `pick(facts)` once per request (and
 * once per sub-request of a batch) and hands the answer to `carryOutFault` with its own actions:
 * the error kinds become a `FaultAnswer` that the emulator renders in its provider's error shape,
 * the transport kinds are carried out on the socket. Every injected fault is counted by label.
 */

/** Seconds, or an HTTP date. */
export type RetryAfter = number | string;

/** The faults every emulator understands, in provider-neutral words. */
export type Fault =
  /**
   * Throttling: 429 by default. `status` and `code` say how the provider throttles when it is
   * not a plain 429 (Google's 403 `userRateLimitExceeded`); `retryAfter` becomes `Retry-After`.
   */
  | { kind: 'throttle'; retryAfter?: RetryAfter; status?: number; code?: string; message?: string }
  /** A failure on the provider's side: 500 by default, or 502 / 503 / 504 with `status`. */
  | {
      kind: 'serverError';
      status?: number;
      code?: string;
      message?: string;
      retryAfter?: RetryAfter;
    }
  /** Any other error answer (409, 412, 400 …); `code` is the provider's error code. */
  | {
      kind: 'status';
      status: number;
      code?: string;
      message?: string;
      retryAfter?: RetryAfter;
      headers?: Record<string, string>;
    }
  /** No answer: held until the client gives up (or the emulator stops); never processed. */
  | { kind: 'hang' }
  /** Slow: processed and answered normally after `ms`, even if the client gave up meanwhile. */
  | { kind: 'delay'; ms: number }
  /** The connection is reset before the request is processed: nothing happened. */
  | { kind: 'reset' }
  /** The request is processed (a write IS applied), then the connection is reset unanswered. */
  | { kind: 'lostResponse' }
  /** The presented access token expires now (server side); the call answers the provider's 401. */
  | { kind: 'tokenExpired' }
  /** Token endpoint: 400 invalid_grant. With `revoke`, the presented refresh token dies too. */
  | { kind: 'invalidGrant'; description?: string; revoke?: boolean };

export type FaultKind = Fault['kind'];

/** The error answer of a throttle / serverError / status fault, before the provider's shape. */
export interface FaultAnswer {
  kind: 'throttle' | 'serverError' | 'status';
  status: number;
  /** The provider's error code when the fault names one; the renderer picks its default. */
  code?: string;
  message?: string;
  retryAfter?: RetryAfter;
  headers?: Record<string, string>;
}

/** The error answer a fault asks for; undefined for the transport and token kinds. */
export function faultAnswer(fault: Fault): FaultAnswer | undefined {
  switch (fault.kind) {
    case 'throttle':
      return { ...fault, status: fault.status ?? 429 };
    case 'serverError':
      return { ...fault, status: fault.status ?? 500 };
    case 'status':
      return fault;
    default:
      return undefined;
  }
}

/** What a provider emulator does to carry out a fault; everything provider-specific is here. */
export interface FaultActions<R> {
  /** The request as if nothing went wrong. */
  process(): Promise<R>;
  /** The error answer in the provider's shape. */
  render(answer: FaultAnswer): R;
  /** Expires the presented access token and answers as the provider does for a dead token. */
  expireToken(): R | Promise<R>;
  /** Token endpoint: the provider's invalid_grant (revoking the refresh token when asked). */
  invalidGrant(fault: Extract<Fault, { kind: 'invalidGrant' }>): R | Promise<R>;
  /** Leaves the request unanswered until the client gives up or the emulator stops. */
  hold(): R;
  /** Resets the connection unanswered; `applied` when the request was processed first. */
  drop(applied: boolean): R;
  /** Resolves after `ms`, or with false when the emulator stopped meanwhile. */
  wait(ms: number): Promise<boolean>;
}

/** Carries out `fault` (or just processes the request) with the emulator's own actions. */
export async function carryOutFault<R>(
  fault: Fault | undefined,
  actions: FaultActions<R>,
): Promise<R> {
  if (!fault) return actions.process();
  switch (fault.kind) {
    case 'throttle':
    case 'serverError':
    case 'status':
      return actions.render(faultAnswer(fault)!);
    case 'hang':
      return actions.hold();
    case 'delay':
      return (await actions.wait(fault.ms)) ? actions.process() : actions.hold();
    case 'reset':
      return actions.drop(false);
    case 'lostResponse':
      await actions.process();
      return actions.drop(true);
    case 'tokenExpired':
      return actions.expireToken();
    case 'invalidGrant':
      return actions.invalidGrant(fault);
  }
}

/** What the emulator knows about a request when it asks for a fault. */
export interface RequestFacts {
  method: string;
  /** Pathname without the query string. */
  path: string;
  /**
   * The emulator's name for the operation, e.g. `events.insert`, `batch`, `graph`; every
   * emulator calls its token endpoint `oauth.token` and its consent page `oauth.authorize`.
   */
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

export interface FaultRule {
  match?: FaultMatch;
  fault: Fault;
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

export interface QuotaRule {
  /** Requests allowed per key within `windowMs` (sliding window). */
  limit: number;
  windowMs: number;
  match?: FaultMatch;
  /** What a request is counted against; default the account. Requests without a key pass. */
  key?: (facts: RequestFacts) => string | undefined;
  /** The answer once the quota is spent (default: the schedule's `quotaFault`). */
  fault?: Fault;
  label?: string;
}

export interface RandomFaults {
  seed: number;
  /** Which requests may get a random fault (default: the schedule's `randomMatch`). */
  match?: FaultMatch;
  /**
   * Independent-looking chances per fault: one draw per request picks at most one fault, with
   * these probabilities (their sum must be ≤ 1).
   */
  faults: Array<{ probability: number; fault: Fault; label?: string }>;
}

export interface InjectedFault {
  label: string;
  kind: FaultKind;
  source: 'rule' | 'quota' | 'random';
  method: string;
  path: string;
  user?: string;
  batch: boolean;
  at: number;
}

export interface FaultScheduleOptions {
  /** Label in the counters for a fault without an explicit one. */
  labelOf?: (fault: Fault) => string;
  /** Default answer of a quota rule without its own fault. */
  quotaFault?: Fault;
  /** Default match of a quota rule without its own. */
  quotaMatch?: FaultMatch;
  /** Match used by `add` when the rule has none, per fault (e.g. invalidGrant → token endpoint). */
  defaultMatch?: (fault: Fault) => FaultMatch | undefined;
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

/**
 * A random mode in which `rate` of the matching requests get a fault, drawn by weight:
 * `weightedFaults({ seed, rate: 0.3, faults: [{ weight: 3, fault: { kind: 'reset' } }, …] })`.
 */
export function weightedFaults(options: {
  seed: number;
  rate: number;
  faults: Array<{ weight: number; fault: Fault; label?: string }>;
  match?: FaultMatch;
}): RandomFaults {
  const total = options.faults.reduce((sum, f) => sum + f.weight, 0);
  if (!(total > 0)) throw new Error('weighted faults need a positive total weight');
  return {
    seed: options.seed,
    match: options.match,
    faults: options.faults.map(({ weight, fault, label }) => ({
      probability: (options.rate * weight) / total,
      fault,
      label,
    })),
  };
}

/** `429`, `503 backendError`, `reset`, `hang` … (an emulator may name its codes). */
export function defaultFaultLabel(fault: Fault): string {
  const answer = faultAnswer(fault);
  if (!answer) return fault.kind;
  return `${answer.status}${answer.code ? ` ${answer.code}` : ''}`;
}

/** Refreshes at the token endpoint, in every emulator. */
export const TOKEN_REFRESH: FaultMatch = { operation: 'oauth.token', grantType: 'refresh_token' };

/** Provider failures that every emulator's fault helpers offer under these names. */
export const serverFaults = {
  serverError: (): Fault => ({ kind: 'serverError' }),
  unavailable: (): Fault => ({ kind: 'serverError', status: 503 }),
};

/**
 * The schedule of an emulator whose quotas, random faults and unmatched rules hit its API calls,
 * and whose unmatched `invalidGrant` hits the token refresh.
 */
export function apiFaultSchedule(options: {
  now: () => number;
  apiCalls: FaultMatch;
  quotaFault: Fault;
}): FaultSchedule {
  return new FaultSchedule({
    now: options.now,
    labelOf: defaultFaultLabel,
    quotaMatch: options.apiCalls,
    randomMatch: options.apiCalls,
    quotaFault: options.quotaFault,
    defaultMatch: (fault) => (fault.kind === 'invalidGrant' ? TOKEN_REFRESH : options.apiCalls),
  });
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

interface ActiveRule {
  rule: FaultRule;
  match?: FaultMatch;
  skip: number;
  left: number;
  hits: number;
}

interface ActiveQuota {
  rule: QuotaRule;
  seen: Map<string, number[]>;
}

/**
 * The schedule of one emulator. Rules are consulted first, then quotas, then the random mode.
 * A quota counts every matching request, including those that got a scheduled fault.
 */
export class FaultSchedule {
  private rules: ActiveRule[] = [];
  private quotas: ActiveQuota[] = [];
  private randomMode?: { options: RandomFaults; next: () => number };
  private readonly counters = new Map<string, number>();
  private readonly now: () => number;
  /** Every injected fault, in order. */
  readonly injected: InjectedFault[] = [];

  constructor(private readonly options: FaultScheduleOptions = {}) {
    this.now = options.now ?? Date.now;
  }

  /** Schedules a fault; e.g. `add({ match: { method: 'POST', path: /events$/ }, times: 2, fault })`. */
  add(rule: FaultRule): FaultHandle {
    const times = rule.times ?? 1;
    if (!(times >= 0)) throw new Error(`times must be ≥ 0, got ${times}`);
    const active: ActiveRule = {
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
  queue(faults: Fault[], match?: FaultMatch): FaultHandle[] {
    // Rules are consulted in order and the first with hits left wins: no `after` needed.
    return faults.map((fault) => this.add({ match, fault }));
  }

  /** N requests per window per key (default per account), then the quota fault. */
  quota(rule: QuotaRule): { remove(): void } {
    if (!rule.fault && !this.options.quotaFault) throw new Error('quota rule needs a fault');
    const active: ActiveQuota = { rule, seen: new Map() };
    this.quotas.push(active);
    return {
      remove: () => {
        this.quotas = this.quotas.filter((q) => q !== active);
      },
    };
  }

  /** Seeded random faults on top of the rules and quotas. */
  random(options: RandomFaults): void {
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
  pick(facts: RequestFacts): Fault | undefined {
    let quotaFault: { fault: Fault; label?: string } | undefined;
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
          fault: quota.rule.fault ?? this.options.quotaFault!,
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

  private labelOf(fault: Fault): string {
    return (this.options.labelOf ?? defaultFaultLabel)(fault);
  }

  private record(
    fault: Fault,
    label: string | undefined,
    source: InjectedFault['source'],
    facts: RequestFacts,
  ): Fault {
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

/**
 * A fault's `retryAfter` as whole seconds from `nowMs` (an HTTP date is converted; never below
 * 0), for renderers whose provider sends another format: Moneybird an epoch timestamp, Xero
 * seconds even when the test wrote a date.
 */
export function retryAfterSeconds(retryAfter: RetryAfter, nowMs: number): number {
  if (typeof retryAfter === 'number') return Math.max(0, Math.ceil(retryAfter));
  const at = Date.parse(retryAfter);
  if (Number.isNaN(at))
    throw new Error(`retryAfter must be seconds or an HTTP date: ${retryAfter}`);
  return Math.max(0, Math.ceil((at - nowMs) / 1000));
}
