/**
 * Faults injected by the Microsoft emulator, on a schedule the test sets: rules (first matching
 * rule with hits left wins) and an optional seeded-random mode. Every injected fault is counted by
 * kind and recorded.
 */

/** Seconds, or an HTTP date (Graph sends either). */
export type RetryAfter = number | string;

export type Fault =
  /** 429 ApplicationThrottled (Graph) / temporarily_unavailable (token endpoint). */
  | { kind: 'throttle'; retryAfter?: RetryAfter }
  /** 500 generalException. */
  | { kind: 'serverError' }
  /** 503 serviceNotAvailable. */
  | { kind: 'unavailable'; retryAfter?: RetryAfter }
  /** 504 UnknownError (gateway timeout). */
  | { kind: 'gatewayTimeout'; retryAfter?: RetryAfter }
  /** Any status with a Graph error body. */
  | { kind: 'status'; status: number; code?: string; message?: string; retryAfter?: RetryAfter }
  /** Never answers; the socket stays open until the client gives up or the emulator stops. */
  | { kind: 'hang' }
  /** Answers normally after `ms` (the request counts as in flight meanwhile). */
  | { kind: 'delay'; ms: number }
  /** Destroys the connection before the request is processed: nothing happened. */
  | { kind: 'reset' }
  /** Processes the request (the write IS applied), then destroys the connection unanswered. */
  | { kind: 'lostResponse' }
  /** Graph: the presented access token expires now; 401 InvalidAuthenticationToken. */
  | { kind: 'tokenExpired' }
  /** Token endpoint: 400 invalid_grant; the presented refresh token is revoked. */
  | { kind: 'invalidGrant' };

export type FaultKind = Fault['kind'];

export const FAULT_KINDS: FaultKind[] = [
  'throttle',
  'serverError',
  'unavailable',
  'gatewayTimeout',
  'status',
  'hang',
  'delay',
  'reset',
  'lostResponse',
  'tokenExpired',
  'invalidGrant',
];

export type Endpoint = 'graph' | 'token' | 'authorize' | 'other';

export interface FaultMatch {
  /** HTTP method (case-insensitive string or RegExp). */
  method?: string | RegExp;
  /** Pathname without query: a string must be equal, a RegExp must match (e.g. /events$/). */
  path?: string | RegExp;
  /** Mailbox (account e-mail, case-insensitive) the access token belongs to. */
  account?: string;
  endpoint?: Endpoint;
  /** true: only `$batch` sub-requests; false: only top-level requests; unset: both. */
  batch?: boolean;
  /** Token endpoint only: 'authorization_code' | 'refresh_token'. */
  grantType?: string;
}

export interface FaultRule {
  match?: FaultMatch;
  /** How many matching requests get the fault (default 1; Infinity for all). */
  times?: number;
  /** Let this many matching requests through first (default 0). */
  after?: number;
  fault: Fault;
}

/** What the emulator knows about a request when it asks for a fault. */
export interface RequestFacts {
  method: string;
  path: string;
  endpoint: Endpoint;
  account?: string;
  batch: boolean;
  grantType?: string;
}

export interface InjectedFault {
  kind: FaultKind;
  source: 'rule' | 'random';
  method: string;
  path: string;
  batch: boolean;
}

export interface FaultHandle {
  readonly hits: number;
  readonly remaining: number;
  remove(): void;
}

export interface RandomFaultOptions {
  seed: number;
  /** Probability (0..1) that a matching request gets a fault. */
  rate: number;
  /** Kinds to draw from, with optional weights. Default: the transient HTTP faults. */
  kinds?: FaultKind[] | Partial<Record<FaultKind, number>>;
  /** Default `{ endpoint: 'graph' }`. */
  match?: FaultMatch;
  retryAfter?: RetryAfter;
  delayMs?: number;
}

const DEFAULT_RANDOM_KINDS: FaultKind[] = [
  'throttle',
  'serverError',
  'unavailable',
  'gatewayTimeout',
  'reset',
  'lostResponse',
];

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

function matches(match: FaultMatch | undefined, facts: RequestFacts): boolean {
  if (!match) return true;
  if (match.endpoint !== undefined && match.endpoint !== facts.endpoint) return false;
  if (match.batch !== undefined && match.batch !== facts.batch) return false;
  if (match.method !== undefined) {
    const ok =
      typeof match.method === 'string'
        ? match.method.toUpperCase() === facts.method.toUpperCase()
        : match.method.test(facts.method);
    if (!ok) return false;
  }
  if (match.path !== undefined) {
    const ok =
      typeof match.path === 'string' ? match.path === facts.path : match.path.test(facts.path);
    if (!ok) return false;
  }
  if (
    match.account !== undefined &&
    match.account.toLowerCase() !== (facts.account ?? '').toLowerCase()
  ) {
    return false;
  }
  if (match.grantType !== undefined && match.grantType !== facts.grantType) return false;
  return true;
}

interface ActiveRule {
  rule: FaultRule;
  skip: number;
  left: number;
  hits: number;
}

export class FaultPlan {
  private rules: ActiveRule[] = [];
  private randomMode?: {
    options: RandomFaultOptions;
    next: () => number;
    table: [FaultKind, number][];
  };
  private readonly counters = new Map<FaultKind, number>();
  /** Every injected fault, in order. */
  readonly injected: InjectedFault[] = [];

  add(rule: FaultRule): FaultHandle {
    const active: ActiveRule = {
      rule,
      skip: rule.after ?? 0,
      left: rule.times ?? 1,
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

  /** Seeded random faults on top of the rules (rules are consulted first). */
  random(options: RandomFaultOptions): void {
    const kinds = options.kinds ?? DEFAULT_RANDOM_KINDS;
    const table: [FaultKind, number][] = Array.isArray(kinds)
      ? kinds.map((k) => [k, 1])
      : (Object.entries(kinds) as [FaultKind, number][]).filter(([, w]) => w > 0);
    if (table.length === 0) throw new Error('random faults need at least one kind');
    this.randomMode = { options, next: seededRandom(options.seed), table };
  }

  stopRandom(): void {
    this.randomMode = undefined;
  }

  /** Removes every rule and the random mode; counters stay (see resetCounts). */
  clear(): void {
    this.rules = [];
    this.randomMode = undefined;
  }

  resetCounts(): void {
    this.counters.clear();
    this.injected.length = 0;
  }

  /** Injected faults by kind (kinds never injected are 0). */
  get counts(): Record<FaultKind, number> {
    return Object.fromEntries(FAULT_KINDS.map((k) => [k, this.counters.get(k) ?? 0])) as Record<
      FaultKind,
      number
    >;
  }

  get total(): number {
    return this.injected.length;
  }

  /** Called by the emulator once per request (and per `$batch` sub-request). */
  pick(facts: RequestFacts): Fault | undefined {
    for (const active of this.rules) {
      if (active.left <= 0 || !matches(active.rule.match, facts)) continue;
      if (active.skip > 0) {
        active.skip--;
        continue;
      }
      active.left--;
      active.hits++;
      return this.record(active.rule.fault, 'rule', facts);
    }
    const mode = this.randomMode;
    if (mode && matches(mode.options.match ?? { endpoint: 'graph' }, facts)) {
      if (mode.next() < mode.options.rate) {
        const total = mode.table.reduce((sum, [, w]) => sum + w, 0);
        let roll = mode.next() * total;
        let kind = mode.table[mode.table.length - 1][0];
        for (const [k, w] of mode.table) {
          if (roll < w) {
            kind = k;
            break;
          }
          roll -= w;
        }
        return this.record(this.randomFault(kind, mode.options), 'random', facts);
      }
    }
    return undefined;
  }

  private randomFault(kind: FaultKind, options: RandomFaultOptions): Fault {
    const retryAfter = options.retryAfter ?? 1;
    switch (kind) {
      case 'throttle':
      case 'unavailable':
      case 'gatewayTimeout':
        return { kind, retryAfter };
      case 'status':
        return { kind, status: 500 };
      case 'delay':
        return { kind, ms: options.delayMs ?? 100 };
      default:
        return { kind } as Fault;
    }
  }

  private record(fault: Fault, source: 'rule' | 'random', facts: RequestFacts): Fault {
    this.counters.set(fault.kind, (this.counters.get(fault.kind) ?? 0) + 1);
    this.injected.push({
      kind: fault.kind,
      source,
      method: facts.method,
      path: facts.path,
      batch: facts.batch,
    });
    return fault;
  }
}
