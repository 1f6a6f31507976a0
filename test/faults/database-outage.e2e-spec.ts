import { createConnection } from 'mysql2/promise';
import { Factory } from '../factories';
import { makeTeam, Team } from '../support/actors';
import { bootApp } from '../support/app';
import { BuiltProcess, builtEnv, startBuilt, startBuiltApi } from '../support/built-processes';
import { CalendarEmulators, ConnectedAccount } from '../support/calendar-accounts';
import { createTestDatabase, TestDatabase } from '../support/database';
import { RunningMariaDb, startMariaDb } from '../support/mariadb-server';
import { expectServiceUnavailable, sleep, startLoad, tally } from './database-load';

/*
 * MariaDB goes away for ten seconds under steady load (issue: "a database outage test"). The
 * built API and a built worker run on a MariaDB server this spec owns, so it can stop it. While
 * the database is gone every request answers 503 problem+json with Retry-After at once, rather
 * than hanging or failing with a 500, and readiness is red. Within five seconds of its return the
 * API answers again; every block whose create was acknowledged is there, and the worker pushes
 * all of them to the calendar.
 */

const OUTAGE_MS = 10_000;
const RECOVERY_MS = 5_000;
/** No request may take longer than this, outage or not: nothing hangs on a dead database. */
const REQUEST_LIMIT_MS = 3_000;
const CLIENTS = 6;

describe('a database outage under load (mysql, built processes)', () => {
  let mariadb: RunningMariaDb;
  let database: TestDatabase;
  let emulators: CalendarEmulators;
  let team: Team;
  let account: ConnectedAccount;
  let api: BuiltProcess & { url: string };
  let worker: BuiltProcess;

  beforeAll(async () => {
    mariadb = await startMariaDb();
    database = await createTestDatabase('mysql', mariadb.url);
    emulators = await CalendarEmulators.start();
    // An in-process app for the setup only: a team, and a Google account connected through the
    // real OAuth flow.
    const t = await bootApp({ database, env: emulators.env() });
    team = await makeTeam(t, new Factory(t.dataSource));
    account = await emulators.connect(t, team.member, team.url, 'google_calendar', 0);
    await t.close({ keepDatabase: true });

    api = await startBuiltApi(database.config, emulators.env());
    worker = startBuilt(
      'worker.js',
      builtEnv(database.config, {
        ...emulators.env(),
        WORKER_POLL_INTERVAL_MS: '100',
        SYNC_BACKOFF_BASE_SECONDS: '1',
        SYNC_BACKOFF_MAX_SECONDS: '2',
        // A lease the worker held when the database went away cannot be released; it runs out
        // and is taken again. Short leases keep that within the wait below.
        SYNC_LEASE_SECONDS: '6',
        SYNC_REQUEST_TIMEOUT_MS: '1000',
        WORKER_LEASE_SECONDS: '5',
        // The load creates more blocks on a fast machine than Google's default request budget
        // pushes in a minute; the quota has its own specs, this one is about the outage.
        GOOGLE_CALENDAR_MAX_REQUESTS: '100000',
      }),
    );
  }, 60_000);

  afterAll(async () => {
    await api?.stop();
    await worker?.stop();
    await emulators?.stop();
    await mariadb?.stop();
  });

  it('answers 503 while MariaDB is down, recovers, loses no acknowledged write', async () => {
    // Each client alternates a create on the connected calendar with a list of the week.
    const { answers, readiness, created, stop } = startLoad({
      apiUrl: api.url,
      team,
      clients: CLIENTS,
      requestLimitMs: REQUEST_LIMIT_MS,
      title: 'Outage block',
      blockFields: { calendar_id: account.calendars[0].id },
    });

    await sleep(3_000);
    const down = Date.now();
    await mariadb.halt();
    await sleep(OUTAGE_MS);
    await mariadb.resume();
    const back = Date.now();
    await sleep(RECOVERY_MS + 3_000);
    await stop();

    // Before the outage and after recovery everything succeeds; in between, only 503s.
    const failures = answers.filter((a) => a.status >= 300);
    expect(tally(answers.filter((a) => a.at + a.ms < down))).toEqual({
      '200 application/json; charset=utf-8': expect.any(Number),
      '201 application/json; charset=utf-8': expect.any(Number),
    });
    process.stdout.write(`${JSON.stringify(tally(failures))}\n`);
    expectServiceUnavailable(failures);
    // Quickly: a refused connection is an answer at once, not a wait for a timeout.
    const slowest = Math.max(...failures.map((a) => a.ms));
    expect(slowest).toBeLessThan(1_500);
    const lastFailure = Math.max(...failures.map((a) => a.at + a.ms));
    expect(lastFailure - back).toBeLessThan(RECOVERY_MS);
    expect(answers.filter((a) => a.at > back + RECOVERY_MS).length).toBeGreaterThan(0);

    // Readiness always answers, red or green; it never hangs or resets.
    expect(readiness.filter((r) => r.status === 0)).toEqual([]);
    expect(readiness.some((r) => r.at > down && r.at < back && r.status === 503)).toBe(true);
    expect(readiness.filter((r) => r.at > back + RECOVERY_MS).every((r) => r.status === 200)).toBe(
      true,
    );
    process.stdout.write(
      `outage: ${answers.length} requests, ${failures.length} answered 503 (slowest ${slowest} ms), ` +
        `last failure ${lastFailure - back} ms after MariaDB returned, ${created.size} blocks created\n`,
    );

    // Every acknowledged create is there, and the worker pushes all of them.
    const connection = await createConnection({ uri: `${mariadb.url}${database.config.database}` });
    let stored: number[] = [];
    try {
      const [rows] = (await connection.query(
        'SELECT id FROM time_blocks WHERE deleted_at IS NULL',
      )) as unknown as [{ id: number | string }[]];
      stored = rows.map((row) => Number(row.id));
      expect([...created].filter((id) => !stored.includes(id))).toEqual([]);

      // How many blocks the load created depends on the machine: wait while the worker makes
      // progress (it must not stall for 15 s), up to two minutes in all. On failure, what the
      // blocks and the account wait for.
      const deadline = Date.now() + 120_000;
      let pending = -1;
      let progressAt = Date.now();
      while (Date.now() < deadline && Date.now() - progressAt < 15_000) {
        const [counts] = (await connection.query(
          "SELECT COUNT(*) AS n FROM time_blocks WHERE calendar_sync_status <> 'synced'",
        )) as unknown as [{ n: number | string }[]];
        const now = Number(counts[0].n);
        if (pending === -1 || now < pending) progressAt = Date.now();
        pending = now;
        if (pending === 0) break;
        await sleep(250);
      }
      if (pending !== 0) {
        const [states] = (await connection.query(
          "SELECT calendar_sync_status AS status, LEFT(COALESCE(sync_error, ''), 80) AS error, COUNT(*) AS n FROM time_blocks WHERE calendar_sync_status <> 'synced' GROUP BY 1, 2",
        )) as unknown as [unknown[]];
        const [accounts] = (await connection.query(
          'SELECT id, sync_retry_at, sync_lease_owner, last_error, needs_reconnect FROM integrations',
        )) as unknown as [unknown[]];
        expect({ pending, states, accounts }).toEqual({ pending: 0 });
      }
      expect(pending).toBe(0);
    } finally {
      await connection.end();
    }
    const pushed = emulators.events(account, account.calendars[0]).map((e) => Number(e.blockId));
    expect(pushed.sort((a, b) => a - b)).toEqual([...stored].sort((a, b) => a - b));
    expect(worker.child.exitCode).toBeNull();
    expect(api.child.exitCode).toBeNull();
  }, 240_000);
});
