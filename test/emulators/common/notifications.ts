/**
 * Outgoing webhooks of the emulators (Google push channels, Graph change notifications), provider
 * neutral: each notification is queued when the change happens and POSTed asynchronously (the API
 * answer never waits for it), in order per channel, with a deadline per delivery. Every one is
 * recorded with what the receiver answered. A test can drop notifications (the "lost
 * notification" chaos fault) and await the queue with `settled()`.
 *
 * Addresses: the providers only deliver to `https://` URLs. `allowHttpAddresses` and
 * `notificationRewrite` are test conveniences (the receiver in a test is plain http on loopback);
 * both default to the providers' strictness.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { seededRandom } from './faults';

export interface WebhookOptions {
  /**
   * Test convenience: accept `http://` addresses where the provider demands `https://`.
   * Default false (strict, as the provider).
   */
  allowHttpAddresses?: boolean;
  /**
   * Test convenience: where a registered address is really POSTed, e.g.
   * `https://danwel.test/webhooks/google` → `http://127.0.0.1:PORT/webhooks/google`. The
   * registered address must still be valid (https unless `allowHttpAddresses`); the record keeps
   * both (`address`, `url`).
   */
  notificationRewrite?: (address: string) => string;
  /** How long a receiver may take to answer one delivery (default 10 s [U]). */
  notificationTimeoutMs?: number;
  /** Extra delay before each delivery starts (default 0: the next turn of the event loop). */
  notificationDelayMs?: number;
}

export type NotificationOutcome = 'pending' | 'answered' | 'failed' | 'dropped';

/** One outgoing notification, as recorded by the emulator. */
export interface NotificationRecord {
  /** Emulator-wide creation order. */
  seq: number;
  /** Google: the channel id; Graph: the subscription id. */
  channel: string;
  /** Google: `X-Goog-Resource-State` (`sync`, `exists`); Graph: the changeType or lifecycle event. */
  kind: string;
  /** The address as registered. */
  address: string;
  /** Where it was (or would have been) POSTed, after `notificationRewrite`. */
  url: string;
  /** Request headers as sent. */
  headers: Record<string, string>;
  /** Request body as sent (Google push: none). */
  body?: string;
  queuedAt: number;
  /** pending (queued or in flight) | answered (any HTTP status) | failed (no answer) | dropped. */
  outcome: NotificationOutcome;
  /** HTTP status the receiver answered. */
  status?: number;
  /** The body the receiver answered (some providers want it empty). */
  responseBody?: string;
  /** Transport failure or deadline, when the receiver did not answer. */
  error?: string;
  durationMs?: number;
}

export interface NotificationMatch {
  channel?: string;
  kind?: string | RegExp;
  address?: string | RegExp;
  when?: (notification: NotificationRecord) => boolean;
}

/** Which notifications get lost. */
export interface NotificationDropRule {
  /** How many matching notifications to drop (default `'all'`). */
  times?: number | 'all';
  /** Let this many matching notifications through first (default 0). */
  after?: number;
  match?: NotificationMatch;
  /** Chaos: drop each matching notification with this probability (seeded; default 1). */
  probability?: number;
  seed?: number;
}

export interface NotificationDropHandle {
  /** Notifications this rule dropped so far. */
  readonly dropped: number;
  /** Drops still to come (`Infinity` for `'all'`). */
  readonly remaining: number;
  remove(): void;
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** `ok`, or why the provider would refuse this address. */
export function checkAddress(address: unknown, allowHttp: boolean): 'ok' | 'invalid' | 'notHttps' {
  if (typeof address !== 'string' || address === '') return 'invalid';
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    return 'invalid';
  }
  if (!url.hostname) return 'invalid';
  if (url.protocol === 'https:') return 'ok';
  if (url.protocol === 'http:') return allowHttp ? 'ok' : 'notHttps';
  return 'invalid';
}

interface ActiveDrop {
  rule: NotificationDropRule;
  skip: number;
  left: number;
  dropped: number;
  random?: () => number;
}

function test(pattern: string | RegExp, value: string): boolean {
  return typeof pattern === 'string' ? pattern === value : pattern.test(value);
}

function matches(match: NotificationMatch | undefined, record: NotificationRecord): boolean {
  if (!match) return true;
  if (match.channel !== undefined && match.channel !== record.channel) return false;
  if (match.kind !== undefined && !test(match.kind, record.kind)) return false;
  if (match.address !== undefined && !test(match.address, record.address)) return false;
  if (match.when && !match.when(record)) return false;
  return true;
}

export class NotificationDispatcher {
  /** Every notification, in the order the changes happened (dropped ones included). */
  readonly log: NotificationRecord[] = [];
  private drops: ActiveDrop[] = [];
  private readonly tails = new Map<string, Promise<void>>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly requests = new Set<http.ClientRequest>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private seq = 0;
  private closed = false;

  constructor(
    readonly options: WebhookOptions = {},
    private readonly now: () => number = Date.now,
  ) {}

  get allowHttp(): boolean {
    return this.options.allowHttpAddresses ?? false;
  }

  /** The URL a registered address is really POSTed to. */
  target(address: string): string {
    return this.options.notificationRewrite?.(address) ?? address;
  }

  /** Queues a notification behind the others of its channel; answers its record at once. */
  enqueue(input: {
    channel: string;
    kind: string;
    address: string;
    headers: Record<string, string>;
    body?: string;
  }): NotificationRecord {
    const record: NotificationRecord = {
      seq: ++this.seq,
      channel: input.channel,
      kind: input.kind,
      address: input.address,
      url: this.target(input.address),
      headers: { ...input.headers },
      body: input.body,
      queuedAt: this.now(),
      outcome: 'pending',
    };
    this.log.push(record);
    if (this.closed || this.shouldDrop(record)) {
      record.outcome = 'dropped';
      return record;
    }
    const previous = this.tails.get(record.channel) ?? Promise.resolve();
    const run = previous.then(() => this.deliver(record));
    this.tails.set(record.channel, run);
    this.inFlight.add(run);
    void run.then(() => {
      this.inFlight.delete(run);
      if (this.tails.get(record.channel) === run) this.tails.delete(record.channel);
    });
    return record;
  }

  /**
   * Loses notifications: `drop(3)` the next three, `drop('all')` every one until removed,
   * `drop({ match: { kind: 'exists' }, after: 1, times: 2 })`, or chaos with
   * `drop({ probability: 0.1, seed: 7 })`. Rules are consulted in order; the first that takes a
   * notification drops it.
   */
  drop(rule: number | 'all' | NotificationDropRule = 'all'): NotificationDropHandle {
    const spec: NotificationDropRule = typeof rule === 'object' ? rule : { times: rule };
    const times = spec.times === undefined || spec.times === 'all' ? Infinity : spec.times;
    if (!(times >= 0)) throw new Error(`times must be ≥ 0, got ${String(spec.times)}`);
    const probability = spec.probability ?? 1;
    if (!(probability >= 0 && probability <= 1)) {
      throw new Error(`probability must be within [0, 1], got ${probability}`);
    }
    const active: ActiveDrop = {
      rule: spec,
      skip: spec.after ?? 0,
      left: times,
      dropped: 0,
      random: probability < 1 ? seededRandom(spec.seed ?? 1) : undefined,
    };
    this.drops.push(active);
    return {
      get dropped() {
        return active.dropped;
      },
      get remaining() {
        return active.left;
      },
      remove: () => {
        this.drops = this.drops.filter((d) => d !== active);
      },
    };
  }

  /** Removes every drop rule. */
  clearDrops(): void {
    this.drops = [];
  }

  private shouldDrop(record: NotificationRecord): boolean {
    for (const active of this.drops) {
      if (active.left <= 0 || !matches(active.rule.match, record)) continue;
      if (active.skip > 0) {
        active.skip--;
        continue;
      }
      if (active.random && active.random() >= (active.rule.probability ?? 1)) continue;
      active.left--;
      active.dropped++;
      return true;
    }
    return false;
  }

  /** Resolves once every queued notification was answered, failed or timed out. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Aborts deliveries in flight; nothing is sent afterwards. */
  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const request of this.requests) request.destroy(new Error('emulator stopped'));
  }

  private async deliver(record: NotificationRecord): Promise<void> {
    await this.pause(this.options.notificationDelayMs ?? 0);
    if (this.closed) {
      record.outcome = 'failed';
      record.error = 'emulator stopped';
      return;
    }
    const started = Date.now();
    try {
      const answer = await this.post(record.url, {
        headers: record.headers,
        body: record.body,
        timeoutMs: this.options.notificationTimeoutMs ?? 10_000,
      });
      record.outcome = 'answered';
      record.status = answer.status;
      record.responseBody = answer.body;
    } catch (error) {
      record.outcome = 'failed';
      record.error = (error as Error).message;
    }
    record.durationMs = Date.now() - started;
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (ms <= 0) return setImmediate(resolve);
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }

  /**
   * One POST, answered or failed within `timeoutMs` (a fresh connection each time). Used for the
   * deliveries and for handshakes such as Graph's validation request.
   */
  post(
    url: string,
    options: { headers: Record<string, string>; body?: string; timeoutMs: number },
  ): Promise<HttpAnswer> {
    if (this.closed) return Promise.reject(new Error('emulator stopped'));
    return new Promise<HttpAnswer>((resolve, reject) => {
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        return reject(new Error(`invalid URL ${url}`));
      }
      const transport = target.protocol === 'https:' ? https : http;
      const payload = options.body ?? '';
      const request = transport.request(target, {
        method: 'POST',
        agent: false,
        headers: { ...options.headers, 'Content-Length': String(Buffer.byteLength(payload)) },
      });
      this.requests.add(request);
      const timer = setTimeout(
        () => request.destroy(new Error(`no answer within ${options.timeoutMs} ms`)),
        options.timeoutMs,
      );
      const finish = () => {
        clearTimeout(timer);
        this.requests.delete(request);
      };
      request.on('error', (error) => {
        finish();
        reject(error);
      });
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (error) => {
          finish();
          reject(error);
        });
        response.on('end', () => {
          finish();
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          });
        });
      });
      request.end(payload);
    });
  }
}
