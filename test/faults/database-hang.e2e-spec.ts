import { createConnection } from 'mysql2/promise';
import { Factory } from '../factories';
import { makeTeam, Team } from '../support/actors';
import { bootApp } from '../support/app';
import { BuiltProcess, startBuiltApi } from '../support/built-processes';
import { createTestDatabase, TestDatabase } from '../support/database';
import { RunningMariaDb, startMariaDb } from '../support/mariadb-server';

/*
 * MariaDB hangs rather than stops: its process is frozen (SIGSTOP) for twelve seconds under
 * steady load, so open connections stay open and new ones are accepted but nothing is ever
 * answered. The built API's query timeout (DB_QUERY_TIMEOUT_MS, 5 s by default) and connect
 * timeout turn that into 503 problem+json with Retry-After within seconds, readiness goes red,
 * and once the server runs on (SIGCONT) the API answers again and every acknowledged create is
 * there. The database-outage spec covers a stopped server.
 */

const FROZEN_MS = 12_000;
const RECOVERY_MS = 5_000;
/** No request may take longer than this, however long the database hangs. */
/** Worst case: waiting for a pooled connection, its query's timeout, then a new connection's. */
const REQUEST_LIMIT_MS = 9_000;
const CLIENTS = 4;

interface Answer {
  at: number;
  ms: number;
  status: number;
  contentType: string;
  retryAfter: string | null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a hung database under load (mysql, built API)', () => {
  let mariadb: RunningMariaDb;
  let database: TestDatabase;
  let team: Team;
  let api: BuiltProcess & { url: string };

  beforeAll(async () => {
    mariadb = await startMariaDb();
    database = await createTestDatabase('mysql', mariadb.url);
    const t = await bootApp({ database });
    team = await makeTeam(t, new Factory(t.dataSource));
    await t.close({ keepDatabase: true });
    api = await startBuiltApi(database.config);
  }, 60_000);

  afterAll(async () => {
    mariadb?.thaw();
    await api?.stop();
    await mariadb?.stop();
  });

  it('answers 503 within seconds while MariaDB hangs, and recovers once it runs on', async () => {
    const answers: Answer[] = [];
    const readiness: { at: number; ms: number; status: number }[] = [];
    const created = new Set<number>();
    let slot = 0;
    let running = true;

    const send = async (method: string, path: string, body?: object): Promise<void> => {
      const started = Date.now();
      const response = await fetch(`${api.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${team.member.token}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(REQUEST_LIMIT_MS),
      }).catch((error: Error) => {
        // A reset or a request past the limit: recorded as no answer at all.
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
          title: `Hang block ${slot}`,
          start_time: new Date(start).toISOString(),
          end_time: new Date(start + 30 * 60_000).toISOString(),
          timezone: 'UTC',
        });
        await send(
          'GET',
          team.url('/time-blocks?from=2030-01-01T00:00:00Z&to=2030-01-08T00:00:00Z'),
        );
        await sleep(20);
      }
    };
    const probe = async () => {
      while (running) {
        const at = Date.now();
        const response = await fetch(`${api.url}/health/ready`, {
          signal: AbortSignal.timeout(REQUEST_LIMIT_MS),
        }).catch(() => null);
        readiness.push({ at, ms: Date.now() - at, status: response?.status ?? 0 });
        await sleep(200);
      }
    };
    const load = Promise.all([...Array.from({ length: CLIENTS }, client), probe()]);

    await sleep(2_000);
    const frozen = Date.now();
    mariadb.freeze();
    await sleep(FROZEN_MS);
    mariadb.thaw();
    const thawed = Date.now();
    await sleep(RECOVERY_MS + 3_000);
    running = false;
    await load;

    const tally = (list: Answer[]) =>
      list.reduce<Record<string, number>>((counts, a) => {
        const key = `${a.status} ${a.contentType}`;
        return { ...counts, [key]: (counts[key] ?? 0) + 1 };
      }, {});
    expect(tally(answers.filter((a) => a.at + a.ms < frozen))).toEqual({
      '200 application/json; charset=utf-8': expect.any(Number),
      '201 application/json; charset=utf-8': expect.any(Number),
    });
    const failures = answers.filter((a) => a.status >= 300 || a.status === 0);
    process.stdout.write(`${JSON.stringify(tally(failures))}\n`);
    // Requests caught by the freeze are answered 503, none hangs to the client's limit.
    expect(failures.length).toBeGreaterThan(0);
    for (const failure of failures) {
      expect(failure).toMatchObject({
        status: 503,
        contentType: expect.stringMatching(/^application\/problem\+json/),
      });
      expect(Number(failure.retryAfter)).toBeGreaterThan(0);
    }
    const slowest = Math.max(...failures.map((a) => a.ms));
    expect(slowest).toBeLessThan(REQUEST_LIMIT_MS);
    // While frozen, requests keep being answered: nothing waits for the database's return.
    const answeredWhileFrozen = failures.filter((a) => a.at + a.ms < thawed);
    expect(answeredWhileFrozen.length).toBeGreaterThan(0);

    const lastFailure = Math.max(...failures.map((a) => a.at + a.ms));
    expect(lastFailure - thawed).toBeLessThan(RECOVERY_MS);
    const afterRecovery = answers.filter((a) => a.at > thawed + RECOVERY_MS);
    expect(afterRecovery.length).toBeGreaterThan(0);
    expect(afterRecovery.every((a) => a.status === 200 || a.status === 201)).toBe(true);

    expect(readiness.some((r) => r.at > frozen && r.at < thawed && r.status === 503)).toBe(true);
    expect(
      readiness.filter((r) => r.at > thawed + RECOVERY_MS).every((r) => r.status === 200),
    ).toBe(true);
    process.stdout.write(
      `hang: ${answers.length} requests, ${failures.length} answered 503 (slowest ${slowest} ms, ` +
        `${answeredWhileFrozen.length} while frozen), last failure ${lastFailure - thawed} ms after ` +
        `MariaDB ran on, ${created.size} blocks created\n`,
    );

    // Every acknowledged create is there.
    const connection = await createConnection({ uri: `${mariadb.url}${database.config.database}` });
    try {
      const [rows] = (await connection.query(
        'SELECT id FROM time_blocks WHERE deleted_at IS NULL',
      )) as unknown as [{ id: number | string }[]];
      const stored = new Set(rows.map((row) => Number(row.id)));
      expect([...created].filter((id) => !stored.has(id))).toEqual([]);
    } finally {
      await connection.end();
    }
    expect(api.child.exitCode).toBeNull();
  }, 120_000);
});
