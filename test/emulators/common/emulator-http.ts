/**
 * The request loop the invoicing emulators share: read the body, log the request, let the
 * emulator route it, then answer, reset or hold the connection as the outcome says. It also owns
 * the listener and the emulator's clock; each emulator keeps only its routes and error shapes.
 * How a scheduled fault is carried out (`withScheduledFault`) serves the calendar emulators too.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { carryOutFault, FaultActions, FaultSchedule, RequestFacts } from './faults';
import { Holds, listen, readBody, resetConnection, RunningServer } from './http';

/** An answer before it is written: JSON-encoded unless a string with an HTML content type. */
export interface EmulatorResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** What became of a request: answered, dropped (after the write when `applied`), or held. */
export type Outcome<R extends EmulatorResponse = EmulatorResponse> =
  { type: 'respond'; response: R } | { type: 'reset'; applied: boolean } | { type: 'hold' };

export const respond = <R extends EmulatorResponse>(response: R): Outcome<R> => ({
  type: 'respond',
  response,
});

/** The provider's half of carrying out a fault: its answers (the transport half is shared). */
export type ProviderFaultActions<R extends EmulatorResponse> = Omit<
  FaultActions<Outcome<R>>,
  'hold' | 'drop' | 'wait'
>;

/**
 * Asks the schedule for a fault, logs its label on `entry` and carries it out: the emulator gives
 * the provider's answers, the transport half (hold, drop, wait) is the same everywhere.
 */
export function withScheduledFault<R extends EmulatorResponse>(
  faults: FaultSchedule,
  facts: RequestFacts,
  entry: { fault?: string },
  holds: Holds,
  actions: ProviderFaultActions<R>,
): Promise<Outcome<R>> {
  const fault = faults.pick(facts);
  if (fault) entry.fault = faults.injected.at(-1)?.label;
  return carryOutFault<Outcome<R>>(fault, {
    ...actions,
    hold: () => ({ type: 'hold' }),
    drop: (applied) => ({ type: 'reset', applied }),
    wait: (ms) => holds.delay(ms),
  });
}

/** One line of an emulator's request log; emulators add their own fields. */
export interface LoggedRequestBase {
  seq: number;
  at: number;
  method: string;
  path: string;
  query: string;
  operation?: string;
  user?: string;
  status?: number;
  outcome: 'answered' | 'reset' | 'lostResponse' | 'held';
  fault?: string;
  /** Request body as sent (JSON text or form). */
  body: string;
}

export interface EmulatorHttpOptions {
  host?: string;
  port?: number;
  now?: () => number;
}

export abstract class EmulatorHttp<
  Entry extends LoggedRequestBase,
  R extends EmulatorResponse = EmulatorResponse,
> {
  readonly requests: Entry[] = [];
  abstract readonly faults: FaultSchedule;
  /** The emulator's time: the given clock (or the real one) moved by `advanceTime`. */
  protected readonly clock: () => number;
  protected server?: RunningServer;
  private seq = 0;
  private offsetMs = 0;

  constructor(private readonly listenOptions: EmulatorHttpOptions) {
    const base = listenOptions.now ?? Date.now;
    this.clock = () => base() + this.offsetMs;
  }

  /** Routes one request, filling in the log entry (operation, user, fault) on the way. */
  protected abstract route(
    method: string,
    url: URL,
    req: IncomingMessage,
    body: string,
    entry: Entry,
  ): Promise<Outcome<R>>;

  /** The answer to a request whose handler threw, in the provider's error shape. */
  protected abstract failure(message: string): R;

  /** The log entry of a request; emulators that log more override it. */
  protected logEntry(base: LoggedRequestBase, _req: IncomingMessage): Entry {
    return base as Entry;
  }

  async start(): Promise<this> {
    this.server = await listen((req, res) => void this.onRequest(req, res), {
      host: this.listenOptions.host,
      port: this.listenOptions.port,
    });
    return this;
  }

  async stop(): Promise<void> {
    await this.server?.stop();
  }

  get url(): string {
    if (!this.server) throw new Error('emulator not started');
    return this.server.url;
  }

  now(): number {
    return this.clock();
  }

  /** Moves the emulator's clock (token expiry, rate-limit windows, change times). */
  advanceTime(ms: number): void {
    this.offsetMs += ms;
  }

  clearRequests(): void {
    this.requests.length = 0;
  }

  /**
   * Asks the schedule for a fault, logs its label and carries it out: the emulator gives the
   * provider's answers, the transport half (hold, drop, wait) is the same everywhere.
   */
  protected withFault(
    facts: RequestFacts,
    entry: Entry,
    actions: ProviderFaultActions<R>,
  ): Promise<Outcome<R>> {
    return withScheduledFault(this.faults, facts, entry, this.server!.holds, actions);
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    const method = (req.method ?? 'GET').toUpperCase();
    let body: string;
    try {
      body = (await readBody(req)).toString('utf8');
    } catch {
      resetConnection(req.socket);
      return;
    }
    const entry = this.logEntry(
      {
        seq: ++this.seq,
        at: this.now(),
        method,
        path: url.pathname,
        query: url.search,
        outcome: 'answered',
        body,
      },
      req,
    );
    this.requests.push(entry);
    let outcome: Outcome<R>;
    try {
      outcome = await this.route(method, url, req, body, entry);
    } catch (error) {
      outcome = respond(this.failure(`Emulator failure: ${(error as Error).message}`));
    }
    if (outcome.type === 'respond') {
      entry.status = outcome.response.status;
      write(res, outcome.response);
    } else if (outcome.type === 'reset') {
      entry.outcome = outcome.applied ? 'lostResponse' : 'reset';
      resetConnection(req.socket);
    } else {
      entry.outcome = 'held';
      await this.server?.holds.untilClosed(req.socket);
      resetConnection(req.socket);
    }
  }
}

/** Writes an answer unless the client is gone; a 204 goes out without body or length. */
function write(res: ServerResponse, response: EmulatorResponse): void {
  if (res.destroyed || res.writableEnded) return;
  const noBody = response.status === 204 || response.body === undefined;
  const payload = noBody
    ? ''
    : typeof response.body === 'string' && response.headers?.['Content-Type']?.includes('html')
      ? response.body
      : JSON.stringify(response.body);
  res.writeHead(response.status, {
    ...response.headers,
    ...(response.status === 204 ? {} : { 'Content-Length': String(Buffer.byteLength(payload)) }),
  });
  res.end(response.status === 204 ? undefined : payload);
}
