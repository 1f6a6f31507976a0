import { ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { Pool } from 'mysql2/promise';
import { TEST_APP_KEY } from '../support/app';
import {
  BenchDatabase,
  BLOCK_COLUMNS,
  BLOCKS_PER_WEEK,
  blockRows,
  cpuMs,
  FIRST_MONDAY,
  insertRows,
  migratedBenchDatabase,
  peakRssMb,
  WEEK_MS,
} from './bench-support';

/*
 * `npm run bench`: the built danwel server and a bare `http` + `mysql2` server (bare-server.mjs)
 * side by side on one throwaway MariaDB seeded through danwel's migrations, driven by autocannon,
 * leg by leg, alternating servers several times. Figures are ratios against the bare server in the
 * same run, since absolute numbers on a shared machine are noise.
 *
 * BENCH_SIZE: quick (default, 20 × 50 × 50 blocks), full (20 × 50 × 1,000 = 1 M), 10x (10 M).
 * BENCH_SECONDS per leg and server, BENCH_ROUNDS alternations, BENCH_LEGS (comma separated) to run
 * only some legs, BENCH_CPU_PROF=1 to write a CPU profile of the API to test/bench/results/.
 * Besides req/s and latency, each leg reports the CPU time each server spent per request: on a
 * machine shared with other work it moves far less than throughput does.
 */

const ROOT = resolve(__dirname, '../..');
const RESULTS = join(ROOT, 'test/bench/results');
const SIZES = {
  quick: { organizations: 20, members: 50, blocksPerMember: 50, exportBlocks: 10_000 },
  full: { organizations: 20, members: 50, blocksPerMember: 1_000, exportBlocks: 100_000 },
  '10x': { organizations: 20, members: 50, blocksPerMember: 10_000, exportBlocks: 100_000 },
};
type SizeName = keyof typeof SIZES;
const SIZE_NAME = (process.env.BENCH_SIZE ?? 'quick') as SizeName;
const SIZE = SIZES[SIZE_NAME];
const SECONDS = Number(process.env.BENCH_SECONDS ?? (SIZE_NAME === 'quick' ? 4 : 10));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (SIZE_NAME === 'quick' ? 2 : 3));
const CONNECTIONS = 64;
const ZONES = ['Europe/Amsterdam', 'America/New_York', 'Asia/Tokyo', 'UTC', 'Australia/Sydney'];

interface Org {
  id: number;
  members: { userId: number; token: string }[];
  weeks: number;
}

const tokenOf = (userId: number) => `dwl_bench_${userId}_${'x'.repeat(24)}`;
const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const pick = <T>(items: T[]): T => items[Math.floor(Math.random() * items.length)];

/** Organizations, members with a token each, and their blocks; plus one large export org. */
async function seed(pool: Pool): Promise<{ orgs: Org[]; exportOrg: Org }> {
  const now = new Date();
  const future = new Date(Date.now() + 365 * 86_400_000);
  const orgCount = SIZE.organizations + 1;
  // The export organization's members plan 1,000 blocks each, so a year holds the whole export.
  const exportMembers = SIZE.exportBlocks / 1_000;
  const userCount = SIZE.organizations * SIZE.members + exportMembers;
  const users = Array.from({ length: userCount }, (_, i) => [
    i + 1,
    `Member ${i + 1}`,
    `member${i + 1}@bench.example`,
    'not-a-login',
    now,
    now,
  ]);
  await insertRows(
    pool,
    'users',
    ['id', 'name', 'email', 'password', 'created_at', 'updated_at'],
    users,
  );
  await insertRows(
    pool,
    'api_tokens',
    ['user_id', 'name', 'token_hash', 'expires_at', 'last_used_at', 'created_at', 'updated_at'],
    users.map(([id]) => [id, 'bench', sha256(tokenOf(id as number)), future, now, now, now]),
  );
  const organizations = Array.from({ length: orgCount }, (_, i) => [
    i + 1,
    `Organization ${i + 1}`,
    `organization-${i + 1}`,
    ZONES[i % ZONES.length],
    '{}',
    now,
    now,
  ]);
  await insertRows(
    pool,
    'organizations',
    ['id', 'name', 'slug', 'timezone', 'settings', 'created_at', 'updated_at'],
    organizations,
  );

  const orgs: Org[] = [];
  let nextUser = 1;
  for (let o = 0; o < orgCount; o++) {
    const isExport = o === SIZE.organizations;
    const memberCount = isExport ? exportMembers : SIZE.members;
    const perMember = isExport ? 1_000 : SIZE.blocksPerMember;
    const org: Org = {
      id: o + 1,
      members: [],
      weeks: Math.ceil(perMember / BLOCKS_PER_WEEK),
    };
    const memberships: unknown[][] = [];
    for (let m = 0; m < memberCount; m++) {
      const userId = nextUser++;
      org.members.push({ userId, token: tokenOf(userId) });
      memberships.push([org.id, userId, m === 0 ? 'owner' : 'member', now, now, now]);
      await insertRows(
        pool,
        'time_blocks',
        BLOCK_COLUMNS,
        blockRows(org.id, userId, ZONES[o % ZONES.length], perMember),
      );
    }
    await insertRows(
      pool,
      'organization_user',
      ['organization_id', 'user_id', 'role', 'joined_at', 'created_at', 'updated_at'],
      memberships,
    );
    orgs.push(org);
  }
  await pool.query('ANALYZE TABLE time_blocks, organization_user, api_tokens');
  return { orgs: orgs.slice(0, SIZE.organizations), exportOrg: orgs[SIZE.organizations] };
}

function waitForLine(child: ChildProcess, pattern: RegExp, what: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = pattern.exec(output);
      if (match) {
        clearTimeout(timer);
        resolvePromise(match[1] ?? match[0]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${what} exited (${code}):\n${output}`)));
  });
}

async function waitForHttp(url: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer within 60 s`);
}

/** SIGTERM, then SIGKILL after 10 s: a server still draining 64 keep-alive sockets must not hold up the run. */
function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      r();
    });
    child.kill('SIGTERM');
  });
}

interface Req {
  method: 'GET' | 'POST';
  path: string;
  user: number;
  token: string;
  body?: unknown;
}

interface Leg {
  name: string;
  connections: number;
  next(): Req;
  /** The status every answer must have. */
  status: number;
}

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

function legs(orgs: Org[], exportOrg: Org): Leg[] {
  const weekOf = (org: Org) => FIRST_MONDAY + Math.floor(Math.random() * org.weeks) * WEEK_MS;
  const caller = (org: Org) => pick(org.members);
  let slot = 0;
  /** Far-future, distinct slots, so writes never collide with each other or the seeded blocks. */
  const newBlock = () => {
    const start = Date.UTC(2031, 0, 1) + slot++ * 3_600_000 + Math.floor(Math.random() * 1e6);
    return {
      title: 'Bench block',
      start_time: iso(Math.floor(start / 1000) * 1000),
      end_time: iso(Math.floor(start / 1000) * 1000 + 30 * 60_000),
      timezone: 'Europe/Amsterdam',
    };
  };
  const get = (org: Org, path: string): Req => {
    const who = caller(org);
    return { method: 'GET', path, user: who.userId, token: who.token };
  };
  return [
    {
      name: 'week list',
      connections: CONNECTIONS,
      status: 200,
      next: () => {
        const org = pick(orgs);
        const from = weekOf(org);
        const of = pick(org.members).userId;
        return get(
          org,
          `/api/v1/organizations/${org.id}/time-blocks?from=${iso(from)}&to=${iso(from + WEEK_MS)}&user_id=${of}`,
        );
      },
    },
    {
      name: 'team week',
      connections: CONNECTIONS,
      status: 200,
      next: () => {
        const org = pick(orgs);
        const from = weekOf(org);
        return get(
          org,
          `/api/v1/organizations/${org.id}/time-blocks?from=${iso(from)}&to=${iso(from + WEEK_MS)}&user_id=all`,
        );
      },
    },
    {
      name: 'month report',
      connections: CONNECTIONS,
      status: 200,
      next: () => {
        const org = pick(orgs);
        const from = FIRST_MONDAY + Math.floor((Math.random() * org.weeks) / 4) * 4 * WEEK_MS;
        return get(
          org,
          `/api/v1/organizations/${org.id}/reports/summary?from=${iso(from)}&to=${iso(from + 4 * WEEK_MS)}`,
        );
      },
    },
    {
      name: `CSV export (${SIZE.exportBlocks / 1000}k blocks)`,
      connections: 2,
      status: 200,
      next: () =>
        get(
          exportOrg,
          `/api/v1/organizations/${exportOrg.id}/reports/export.csv?from=${iso(FIRST_MONDAY)}&to=${iso(FIRST_MONDAY + exportOrg.weeks * WEEK_MS)}`,
        ),
    },
    {
      name: 'block create',
      connections: CONNECTIONS,
      status: 201,
      next: () => {
        const org = pick(orgs);
        const who = caller(org);
        return {
          method: 'POST',
          path: `/api/v1/organizations/${org.id}/time-blocks`,
          user: who.userId,
          token: who.token,
          body: newBlock(),
        };
      },
    },
    {
      name: 'bulk create (50)',
      connections: 16,
      status: 200,
      next: () => {
        const org = pick(orgs);
        const who = caller(org);
        return {
          method: 'POST',
          path: `/api/v1/organizations/${org.id}/time-blocks/bulk`,
          user: who.userId,
          token: who.token,
          body: {
            operations: Array.from({ length: 50 }, () => ({ op: 'create', data: newBlock() })),
          },
        };
      },
    },
  ];
}

interface Sample {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  bad: number;
  /** CPU time the server process spent per answered request: far less noisy than req/s. */
  cpuMsPerRequest: number;
}

async function drive(port: number, pid: number, leg: Leg): Promise<Sample> {
  const cpuBefore = cpuMs(pid);
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: leg.connections,
    duration: SECONDS,
    expectBody: undefined,
    requests: [
      {
        setupRequest: (request) => {
          const next = leg.next();
          return {
            ...request,
            method: next.method,
            path: next.path,
            headers: {
              authorization: `Bearer ${next.token}`,
              'x-bench-user': String(next.user),
              ...(next.body ? { 'content-type': 'application/json' } : {}),
            },
            body: next.body ? JSON.stringify(next.body) : undefined,
          };
        },
      },
    ],
  });
  const good = result.statusCodeStats?.[String(leg.status) as '200']?.count ?? result['2xx'];
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    bad: result.requests.total - good + result.errors + result.timeouts,
    cpuMsPerRequest: (cpuMs(pid) - cpuBefore) / Math.max(result.requests.total, 1),
  };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

async function sameRows(apiPort: number, barePort: number, orgs: Org[], leg: Leg) {
  for (let i = 0; i < 20; i++) {
    const req = leg.next();
    const [api, bare] = await Promise.all(
      [apiPort, barePort].map(async (port) => {
        const response = await fetch(`http://127.0.0.1:${port}${req.path}`, {
          headers: { authorization: `Bearer ${req.token}`, 'x-bench-user': String(req.user) },
        });
        expect(response.status).toBe(200);
        return ((await response.json()) as { data: { id: number }[] }).data.map((b) => b.id);
      }),
    );
    expect(api.length).toBeGreaterThan(0);
    expect(api).toEqual(bare);
  }
  void orgs;
}

describe('benchmark: API under load against a bare server', () => {
  let bench: BenchDatabase;
  const children: ChildProcess[] = [];

  afterAll(async () => {
    await Promise.all(children.map(stop));
    await bench?.drop();
  }, 600_000);

  it(
    `${SIZE_NAME} data set`,
    async () => {
      bench = await migratedBenchDatabase();
      const { pool, url: dbUrl } = bench;
      const c = bench.database.config;
      const seeding = Date.now();
      const { orgs, exportOrg } = await seed(pool);
      const [[{ blocks }]] = (await pool.query('SELECT COUNT(*) AS blocks FROM time_blocks')) as [
        { blocks: number }[],
        unknown,
      ];
      process.stdout.write(
        `\nseeded ${blocks} blocks (${SIZE_NAME}) in ${((Date.now() - seeding) / 1000).toFixed(0)} s\n`,
      );

      mkdirSync(RESULTS, { recursive: true });
      const apiPort = 30_000 + Math.floor(Math.random() * 10_000);
      const nodeArgs = process.env.BENCH_CPU_PROF
        ? ['--cpu-prof', `--cpu-prof-dir=${join(RESULTS, 'profiles')}`]
        : [];
      const api = spawn(process.execPath, [...nodeArgs, join(ROOT, 'dist/src/main.js')], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH,
          NODE_ENV: 'production',
          APP_KEY: TEST_APP_KEY,
          APP_URL: `http://127.0.0.1:${apiPort}`,
          HOST: '127.0.0.1',
          PORT: String(apiPort),
          DB_CONNECTION: 'mysql',
          DB_HOST: c.host,
          DB_PORT: String(c.port),
          DB_USERNAME: c.username,
          DB_PASSWORD: c.password,
          DB_DATABASE: c.database,
          LOG_LEVEL: 'silent',
          WORKER_IN_PROCESS: 'false',
          MAIL_TRANSPORT: 'log',
          MAIL_LOG_IN_PRODUCTION: 'true',
          MAIL_OUTBOX_DIR: join(RESULTS, 'mail'),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(api);
      let apiOutput = '';
      api.stderr?.on('data', (chunk) => (apiOutput += chunk));
      await waitForHttp(`http://127.0.0.1:${apiPort}/health/ready`).catch((error) => {
        throw new Error(`${error}\n${apiOutput}`);
      });

      const bare = spawn(process.execPath, [join(__dirname, 'bare-server.mjs')], {
        env: { PATH: process.env.PATH, BARE_DB_URL: dbUrl, BARE_PORT: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(bare);
      const barePort = Number(await waitForLine(bare, /listening (\d+)/, 'the bare server'));

      const all = legs(orgs, exportOrg);
      const chosen = process.env.BENCH_LEGS?.split(',').map((s) => s.trim());
      const selected = chosen
        ? all.filter((leg) => chosen.some((c) => leg.name.startsWith(c)))
        : all;
      await sameRows(apiPort, barePort, orgs, all[0]);
      await sameRows(apiPort, barePort, orgs, all[1]);

      const rows: Record<string, unknown>[] = [];
      for (const leg of selected) {
        for (const port of [apiPort, barePort]) {
          const req = leg.next();
          const response = await fetch(`http://127.0.0.1:${port}${req.path}`, {
            method: req.method,
            headers: {
              authorization: `Bearer ${req.token}`,
              'x-bench-user': String(req.user),
              'content-type': 'application/json',
            },
            body: req.body ? JSON.stringify(req.body) : undefined,
          });
          const text = await response.text();
          if (response.status !== leg.status)
            throw new Error(
              `${leg.name} on port ${port}: ${response.status} ${text.slice(0, 500)}`,
            );
        }
        // A short warm-up of both, so JIT and pools are hot before anything counts.
        const warm = { ...leg, connections: Math.min(leg.connections, 16) };
        await drive(apiPort, api.pid!, warm);
        await drive(barePort, bare.pid!, warm);
        const samples = { api: [] as Sample[], bare: [] as Sample[] };
        for (let round = 0; round < ROUNDS; round++) {
          // Alternate which goes first, so neither always runs on a warmer or cooler machine.
          const order = round % 2 === 0 ? (['api', 'bare'] as const) : (['bare', 'api'] as const);
          for (const side of order) {
            const [port, pid] = side === 'api' ? [apiPort, api.pid!] : [barePort, bare.pid!];
            samples[side].push(await drive(port, pid, leg));
          }
        }
        const sum = (side: 'api' | 'bare', key: keyof Sample) =>
          median(samples[side].map((s) => s[key]));
        const row = {
          leg: leg.name,
          connections: leg.connections,
          api_rps: sum('api', 'rps'),
          bare_rps: sum('bare', 'rps'),
          rps_ratio: sum('api', 'rps') / sum('bare', 'rps'),
          p50_ratio: sum('api', 'p50') / Math.max(sum('bare', 'p50'), 0.5),
          p99_ratio: sum('api', 'p99') / Math.max(sum('bare', 'p99'), 0.5),
          api_p99_ms: sum('api', 'p99'),
          bare_p99_ms: sum('bare', 'p99'),
          api_cpu_ms_per_request: sum('api', 'cpuMsPerRequest'),
          bare_cpu_ms_per_request: sum('bare', 'cpuMsPerRequest'),
          cpu_ratio: sum('api', 'cpuMsPerRequest') / sum('bare', 'cpuMsPerRequest'),
          api_bad: samples.api.reduce((n, s) => n + s.bad, 0),
          bare_bad: samples.bare.reduce((n, s) => n + s.bad, 0),
          api_peak_rss_mb: peakRssMb(api.pid!),
        };
        rows.push(row);
        process.stdout.write(`${JSON.stringify(row)}\n`);
      }
      const apiPeakRss = peakRssMb(api.pid!);

      const table = [
        `danwel vs bare http+mysql2, ${blocks} blocks (${SIZE_NAME}), ${ROUNDS}×${SECONDS} s per leg and server`,
        'leg                         conns  req/s ratio  p50 ratio  p99 ratio  CPU/req ratio  api req/s  bare req/s  api p99 ms  non-2xx api/bare',
        ...rows.map(
          (r) =>
            `${String(r.leg).padEnd(28)}${String(r.connections).padStart(5)}` +
            `${(r.rps_ratio as number).toFixed(2).padStart(13)}${(r.p50_ratio as number).toFixed(2).padStart(11)}` +
            `${(r.p99_ratio as number).toFixed(2).padStart(11)}${(r.cpu_ratio as number).toFixed(2).padStart(15)}` +
            `${(r.api_rps as number).toFixed(0).padStart(11)}` +
            `${(r.bare_rps as number).toFixed(0).padStart(12)}${(r.api_p99_ms as number).toFixed(0).padStart(12)}` +
            `${`${r.api_bad}/${r.bare_bad}`.padStart(18)}`,
        ),
        `API peak RSS ${apiPeakRss.toFixed(0)} MB`,
      ].join('\n');
      process.stdout.write(`\n${table}\n`);
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      // Two-space JSON with a final newline is what prettier writes, so a committed result lints clean.
      const result = {
        size: SIZE_NAME,
        blocks,
        seconds: SECONDS,
        rounds: ROUNDS,
        node: process.version,
        legs: rows,
        api_peak_rss_mb: apiPeakRss,
      };
      writeFileSync(
        join(RESULTS, `api-load-${SIZE_NAME}-${stamp}.json`),
        `${JSON.stringify(result, null, 2)}\n`,
      );
      for (const row of rows) expect(row.api_bad).toBe(0);
      // Seeding 10 M blocks and three rounds of six legs take far longer than jest's default.
    },
    4 * 3_600_000,
  );
});
