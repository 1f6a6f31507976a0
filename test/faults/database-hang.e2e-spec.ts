import { createConnection } from 'mysql2/promise';
import { Factory } from '../factories';
import { makeTeam, Team } from '../support/actors';
import { bootApp } from '../support/app';
import { BuiltProcess, startBuiltApi } from '../support/built-processes';
import { createTestDatabase, TestDatabase } from '../support/database';
import { RunningMariaDb, startMariaDb } from '../support/mariadb-server';
import { expectServiceUnavailable, sleep, startLoad, tally } from './database-load';

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
    const { answers, readiness, created, stop } = startLoad({
      apiUrl: api.url,
      team,
      clients: CLIENTS,
      requestLimitMs: REQUEST_LIMIT_MS,
      title: 'Hang block',
    });

    await sleep(2_000);
    const frozen = Date.now();
    mariadb.freeze();
    await sleep(FROZEN_MS);
    mariadb.thaw();
    const thawed = Date.now();
    await sleep(RECOVERY_MS + 3_000);
    await stop();

    expect(tally(answers.filter((a) => a.at + a.ms < frozen))).toEqual({
      '200 application/json; charset=utf-8': expect.any(Number),
      '201 application/json; charset=utf-8': expect.any(Number),
    });
    const failures = answers.filter((a) => a.status >= 300 || a.status === 0);
    process.stdout.write(`${JSON.stringify(tally(failures))}\n`);
    // Requests caught by the freeze are answered 503, none hangs to the client's limit.
    expectServiceUnavailable(failures);
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
