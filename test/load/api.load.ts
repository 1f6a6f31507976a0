import autocannon from 'autocannon';
import { createConnection } from 'mysql2/promise';
import { Factory } from '../factories';
import { actingAs } from '../support/actors';
import { bootApp } from '../support/app';
import { BuiltProcess, startBuiltApi } from '../support/built-processes';
import { createTestDatabase, TestDatabase } from '../support/database';

/*
 * `npm run test:load`: 200 connections of mixed reads and writes against the built API on a
 * throwaway MariaDB for LOAD_SECONDS (default 60). Every answer must be a 2xx — no errors, no
 * timeouts, no 5xx — and afterwards every acknowledged write must be in the database as it was
 * acknowledged. Prints requests, p50/p99 latency, errors and 5xx.
 *
 * LOAD_CONNECTIONS (default 200), LOAD_SECONDS (default 60), LOAD_TIMEOUT_SECONDS (default 30:
 * an answer later than that counts as an error; on a shared two-CPU machine 200 connections
 * queue for seconds without anything being wrong).
 */

const CONNECTIONS = Number(process.env.LOAD_CONNECTIONS ?? 200);
const SECONDS = Number(process.env.LOAD_SECONDS ?? 60);
const TIMEOUT_SECONDS = Number(process.env.LOAD_TIMEOUT_SECONDS ?? 30);
const ORGANIZATIONS = 4;
const MEMBERS = 10;
const WEEK_MS = 7 * 86_400_000;
const FIRST_MONDAY = Date.UTC(2031, 0, 6);

interface Member {
  organizationId: number;
  token: string;
}

/** One round of one connection: who plans, the block and its last title sent. */
interface Round {
  member?: Member;
  blockId?: number;
  title?: string;
}

const pick = <T>(items: T[]): T => items[Math.floor(Math.random() * items.length)];

describe('load: the built API under 200 connections', () => {
  let database: TestDatabase;
  let api: BuiltProcess & { url: string };

  afterAll(async () => {
    await api?.stop();
    await database?.drop();
  });

  it(`${CONNECTIONS} connections of mixed reads and writes for ${SECONDS} s`, async () => {
    database = await createTestDatabase('mysql');
    const t = await bootApp({ database });
    const factory = new Factory(t.dataSource);
    const members: Member[] = [];
    for (let o = 0; o < ORGANIZATIONS; o++) {
      const owner = await factory.user();
      const organization = await factory.organization({ owner });
      members.push({ organizationId: organization.id, token: (await actingAs(t, owner)).token });
      for (let m = 1; m < MEMBERS; m++) {
        const user = await factory.user();
        await factory.member(organization, user, 'member');
        members.push({ organizationId: organization.id, token: (await actingAs(t, user)).token });
      }
    }
    await t.close({ keepDatabase: true });
    api = await startBuiltApi(database.config, { LOG_LEVEL: 'silent' });

    /** The last acknowledged title of every block a 2xx created or updated. */
    const acknowledged = new Map<number, string>();
    let slot = 0;
    let writes = 0;
    const url = (member: Member, path: string) =>
      `/api/v1/organizations/${member.organizationId}${path}`;
    const headers = (member: Member) => ({
      authorization: `Bearer ${member.token}`,
      'content-type': 'application/json',
    });
    const teamWeek = (request: autocannon.Request, context: Round) => {
      const from = FIRST_MONDAY + Math.floor(Math.random() * 4) * WEEK_MS;
      const range = `from=${new Date(from).toISOString()}&to=${new Date(from + WEEK_MS).toISOString()}`;
      return {
        ...request,
        method: 'GET' as const,
        path: url(context.member!, `/time-blocks?${range}&user_id=all&limit=100`),
        headers: headers(context.member!),
        body: undefined,
      };
    };

    const result = await autocannon({
      url: api.url,
      connections: CONNECTIONS,
      duration: SECONDS,
      timeout: TIMEOUT_SECONDS,
      // One round of a connection: plan a block, rename it, read it, look at three team weeks.
      // (autocannon starts every round with a fresh context.)
      requests: [
        {
          setupRequest: (request, context) => {
            const c = context as Round;
            c.member = pick(members);
            // Distinct hours, so no two blocks ever overlap.
            const start = FIRST_MONDAY + slot++ * 3_600_000;
            c.title = `Load block ${slot}`;
            return {
              ...request,
              method: 'POST',
              path: url(c.member, '/time-blocks'),
              headers: headers(c.member),
              body: JSON.stringify({
                title: c.title,
                start_time: new Date(start).toISOString(),
                end_time: new Date(start + 45 * 60_000).toISOString(),
                timezone: 'Europe/Amsterdam',
              }),
            };
          },
          onResponse: (status, body, context) => {
            const c = context as Round;
            if (status !== 201) return;
            c.blockId = (JSON.parse(body) as { id: number }).id;
            acknowledged.set(c.blockId, c.title!);
            writes += 1;
          },
        },
        {
          setupRequest: (request, context) => {
            const c = context as Round;
            // The create failed (which the assertions report): start the round again.
            if (c.blockId === undefined) return null as unknown as typeof request;
            c.title = `${c.title} renamed`;
            return {
              ...request,
              method: 'PATCH',
              path: url(c.member!, `/time-blocks/${c.blockId}`),
              headers: headers(c.member!),
              body: JSON.stringify({ title: c.title }),
            };
          },
          onResponse: (status, _body, context) => {
            const c = context as Round;
            if (status !== 200) return;
            acknowledged.set(c.blockId!, c.title!);
            writes += 1;
          },
        },
        {
          setupRequest: (request, context) => {
            const c = context as Round;
            return {
              ...request,
              method: 'GET',
              path: url(c.member!, `/time-blocks/${c.blockId}`),
              headers: headers(c.member!),
              body: undefined,
            };
          },
        },
        ...Array.from({ length: 3 }, () => ({ setupRequest: teamWeek })),
      ],
    });

    const statuses = Object.entries(result.statusCodeStats ?? {}).map(([code, stats]) => ({
      code: Number(code),
      count: stats.count ?? 0,
    }));
    const count = (test: (code: number) => boolean) =>
      statuses.filter((s) => test(s.code)).reduce((n, s) => n + s.count, 0);
    const serverErrors = count((code) => code >= 500);
    const figures = {
      connections: CONNECTIONS,
      seconds: SECONDS,
      node: process.version,
      requests: result.requests.total,
      requests_per_second: result.requests.average,
      p50_ms: result.latency.p50,
      p99_ms: result.latency.p99,
      max_ms: result.latency.max,
      errors: result.errors,
      timeouts: result.timeouts,
      non_2xx: result.non2xx,
      server_errors: serverErrors,
      statuses: Object.fromEntries(statuses.map((s) => [s.code, s.count])),
      acknowledged_writes: writes,
    };
    process.stdout.write(`\n${JSON.stringify(figures, null, 2)}\n`);

    // Every acknowledged create and edit is in the database, as it was acknowledged.
    const c = database.config;
    const connection = await createConnection({
      host: c.host,
      port: c.port,
      user: c.username,
      password: c.password,
      database: c.database,
    });
    const [rows] = (await connection.query(
      'SELECT id, title FROM time_blocks WHERE deleted_at IS NULL',
    )) as unknown as [{ id: number | string; title: string }[]];
    await connection.end();
    const stored = new Map(rows.map((row) => [Number(row.id), row.title]));
    const lost = [...acknowledged].filter(([id, title]) => stored.get(id) !== title);

    expect(result.requests.total).toBeGreaterThan(0);
    expect(writes).toBeGreaterThan(0);
    expect({ errors: result.errors, timeouts: result.timeouts, serverErrors }).toEqual({
      errors: 0,
      timeouts: 0,
      serverErrors: 0,
    });
    expect(result.non2xx).toBe(0);
    expect(lost).toEqual([]);
  });
});
