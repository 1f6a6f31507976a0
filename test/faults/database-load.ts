import type { Team } from '../support/actors';

/**
 * The steady load the database fault specs run against the built API: clients that each
 * alternate a create with a list of the week, and a readiness probe, every answer recorded with
 * when it was sent and how long it took. A reset, or a request past `requestLimitMs`, is
 * recorded as status 0 (no answer at all).
 */

export interface Answer {
  at: number;
  ms: number;
  status: number;
  contentType: string;
  retryAfter: string | null;
}

export interface ReadinessAnswer {
  at: number;
  ms: number;
  status: number;
}

export interface LoadOptions {
  apiUrl: string;
  team: Team;
  clients: number;
  requestLimitMs: number;
  /** Each create's title starts with this. */
  title: string;
  /** Added to each create's body (for example the calendar to push to). */
  blockFields?: Record<string, unknown>;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts the load; `stop()` ends it once every client's request in flight has been answered. */
export function startLoad(options: LoadOptions) {
  const { apiUrl, team, requestLimitMs } = options;
  const answers: Answer[] = [];
  const readiness: ReadinessAnswer[] = [];
  const created = new Set<number>();
  let slot = 0;
  let running = true;

  const send = async (method: string, path: string, body?: object): Promise<void> => {
    const started = Date.now();
    const response = await fetch(`${apiUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${team.member.token}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(requestLimitMs),
    }).catch((error: Error) => {
      answers.push({
        at: started,
        ms: Date.now() - started,
        status: 0,
        contentType: error.name,
        retryAfter: null,
      });
      return null;
    });
    if (!response) return;
    const text = await response.text();
    if (method === 'POST' && response.status === 201)
      created.add((JSON.parse(text) as { id: number }).id);
    answers.push({
      at: started,
      ms: Date.now() - started,
      status: response.status,
      contentType: response.headers.get('content-type') ?? '',
      retryAfter: response.headers.get('retry-after'),
    });
  };

  const client = async () => {
    while (running) {
      const start = Date.UTC(2030, 0, 1) + slot++ * 3_600_000;
      await send('POST', team.url('/time-blocks'), {
        title: `${options.title} ${slot}`,
        start_time: new Date(start).toISOString(),
        end_time: new Date(start + 30 * 60_000).toISOString(),
        timezone: 'UTC',
        ...options.blockFields,
      });
      await send('GET', team.url('/time-blocks?from=2030-01-01T00:00:00Z&to=2030-01-08T00:00:00Z'));
      await sleep(20);
    }
  };
  const probe = async () => {
    while (running) {
      const at = Date.now();
      const response = await fetch(`${apiUrl}/health/ready`, {
        signal: AbortSignal.timeout(requestLimitMs),
      }).catch(() => null);
      readiness.push({ at, ms: Date.now() - at, status: response?.status ?? 0 });
      await sleep(200);
    }
  };
  const load = Promise.all([...Array.from({ length: options.clients }, client), probe()]);

  return {
    answers,
    readiness,
    created,
    stop: async () => {
      running = false;
      await load;
    },
  };
}

/** Answers counted by status and content type, e.g. `{ "503 application/problem+json": 12 }`. */
export const tally = (list: Answer[]) =>
  list.reduce<Record<string, number>>((counts, a) => {
    const key = `${a.status} ${a.contentType}`;
    return { ...counts, [key]: (counts[key] ?? 0) + 1 };
  }, {});

/** What every failure of a database fault must be: a 503 problem with a Retry-After. */
export function expectServiceUnavailable(failures: Answer[]): void {
  expect(failures.length).toBeGreaterThan(0);
  for (const failure of failures) {
    expect(failure).toMatchObject({
      status: 503,
      contentType: expect.stringMatching(/^application\/problem\+json/),
    });
    expect(Number(failure.retryAfter)).toBeGreaterThan(0);
  }
}
