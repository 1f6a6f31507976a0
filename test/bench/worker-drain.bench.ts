import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Factory } from '../factories';
import { actingAs, makeTeam } from '../support/actors';
import { bootApp } from '../support/app';
import { BuiltProcess, builtEnv, startBuilt } from '../support/built-processes';
import {
  CalendarEmulators,
  CalendarProviderName,
  ConnectedAccount,
} from '../support/calendar-accounts';
import {
  BenchDatabase,
  BLOCK_COLUMNS,
  blockRows,
  cpuMs,
  insertRows,
  migratedBenchDatabase,
  peakRssMb,
} from './bench-support';

/*
 * The worker drain (`npm run bench` after the API legs, or alone with BENCH_LEGS=drain): N pending
 * blocks (BENCH_DRAIN_BLOCKS, default 10,000) on members' Google and Microsoft calendars, seeded
 * through danwel's migrations, drained by the built worker(s) (BENCH_DRAIN_WORKERS, default 1)
 * against both calendar emulators with 40 ms latency on every request and the providers' real
 * quotas: Google 600 calls per user per minute (batch parts counted one by one, 403
 * userRateLimitExceeded beyond), Graph 10,000 per mailbox per 10 minutes and 4 concurrent
 * requests (429 beyond). Each account holds ACCOUNT_BLOCKS blocks, so Google accounts stay
 * quota-bound for two minutes and the quota's use can be measured.
 *
 * There is no bare baseline for a drain: the figures are absolute, and the machine's load moves
 * them (the quota-bound ones far less).
 */

const ROOT = resolve(__dirname, '../..');
const RESULTS = join(ROOT, 'test/bench/results');
const BLOCKS = Number(process.env.BENCH_DRAIN_BLOCKS ?? 10_000);
const WORKERS = Number(process.env.BENCH_DRAIN_WORKERS ?? 1);
const LATENCY_MS = 40;
/** Blocks per connected account: above Google's 600 a minute, so its quota is what binds. */
const ACCOUNT_BLOCKS = 1_250;
const QUOTAS: Record<CalendarProviderName, { requests: number; windowMs: number }> = {
  google_calendar: { requests: 600, windowMs: 60_000 },
  office365: { requests: 10_000, windowMs: 600_000 },
};
/** Requests this early in the drain (first token refreshes and claims) are the warm-up. */
const WARM_UP_MS = 5_000;
/** No block pushed for this long is a stall: longer than a Google quota window. */
const STALL_MS = 150_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One request the emulator logged, in provider-neutral terms. */
interface Logged {
  at: number;
  /** The account, for API calls. */
  user?: string;
  /** A part of a batch rather than an HTTP request of its own. */
  part: boolean;
  /** An envelope carrying parts. */
  envelope: boolean;
  /** An API call counted against the account's quota (a part, or a call on its own). */
  call: boolean;
  throttled: boolean;
}

function trafficOf(emulators: CalendarEmulators, provider: CalendarProviderName): Logged[] {
  if (provider === 'google_calendar') {
    return emulators.google.requests.map((r) => ({
      at: r.at,
      user: r.user,
      part: r.batch !== undefined,
      envelope: r.operation === 'batch',
      call: r.operation !== 'batch' && !r.operation?.startsWith('oauth'),
      throttled: r.status === 429 || /RateLimitExceeded/.test(r.fault ?? ''),
    }));
  }
  return emulators.ms.requests.map((r) => ({
    at: r.at,
    user: r.account,
    part: r.batch !== undefined,
    envelope: r.path.endsWith('/$batch'),
    call: r.endpoint === 'graph' && !r.path.endsWith('/$batch'),
    throttled: r.status === 429,
  }));
}

/**
 * The share of the quota an account used while its drain was bound by it: the calls the
 * provider accepted in the whole quota windows between its first and its last call (work was left after each of them),
 * over what those windows allow. Null when it drained within one window.
 */
function quotaShare(calls: number[], quota: { requests: number; windowMs: number }) {
  if (calls.length === 0) return null;
  const first = calls[0];
  const windows = Math.floor((calls[calls.length - 1] - first) / quota.windowMs);
  if (windows < 1) return null;
  const inWindows = calls.filter((at) => at < first + windows * quota.windowMs).length;
  return inWindows / (windows * quota.requests);
}

function figures(
  emulators: CalendarEmulators,
  provider: CalendarProviderName,
  accounts: ConnectedAccount[],
  pushed: number,
  startedAt: number,
) {
  const log = trafficOf(emulators, provider).filter((r) => r.at >= startedAt);
  const http = log.filter((r) => !r.part);
  const envelopes = http.filter((r) => r.envelope).length;
  const parts = log.filter((r) => r.part).length;
  const shares = accounts
    .map((account) =>
      quotaShare(
        log
          .filter((r) => r.call && !r.throttled && r.user === account.email.toLowerCase())
          .map((r) => r.at),
        QUOTAS[provider],
      ),
    )
    .filter((share): share is number => share !== null);
  const first = Math.min(...log.map((r) => r.at));
  return {
    provider,
    accounts: accounts.length,
    pushed,
    http_requests: http.length,
    http_requests_per_change: http.length / Math.max(pushed, 1),
    mean_batch_size: envelopes > 0 ? parts / envelopes : 0,
    quota_bound_accounts: shares.length,
    quota_share: shares.length > 0 ? shares.reduce((a, b) => a + b, 0) / shares.length : null,
    throttled: log.filter((r) => r.throttled).length,
    throttled_after_warm_up: log.filter((r) => r.throttled && r.at >= first + WARM_UP_MS).length,
  };
}

describe('benchmark: workers draining pending blocks to the calendar emulators', () => {
  let bench: BenchDatabase;
  let emulators: CalendarEmulators;
  let caDir: string;
  const workers: BuiltProcess[] = [];

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    await emulators?.stop();
    await bench?.drop();
    if (caDir) rmSync(caDir, { recursive: true, force: true });
  }, 120_000);

  it(
    `${BLOCKS} blocks`,
    async () => {
      bench = await migratedBenchDatabase();
      emulators = await CalendarEmulators.start();
      const { google, ms } = emulators;

      // Members, each with a Google and a Microsoft account connected through the real OAuth
      // flow, by an in-process app that is closed before the workers start.
      const members = Math.max(1, Math.ceil(BLOCKS / (2 * ACCOUNT_BLOCKS)));
      const t = await bootApp({ database: bench.database, migrate: false, env: emulators.env() });
      emulators.trustIn(t);
      const factory = new Factory(t.dataSource);
      const team = await makeTeam(t, factory);
      const accounts: ConnectedAccount[] = [];
      const owners = new Map<ConnectedAccount, number>();
      for (let m = 0; m < members; m++) {
        const user = m === 0 ? team.member.user : await factory.user();
        if (m > 0) await factory.member(team.organization, user, 'member');
        const actor = m === 0 ? team.member : await actingAs(t, user);
        for (const provider of ['google_calendar', 'office365'] as CalendarProviderName[]) {
          const account = await emulators.connect(t, actor, team.url, provider, 0);
          accounts.push(account);
          owners.set(account, user.id);
        }
      }
      const directions = [...new Set(accounts.map((a) => a.calendars[0].syncDirection))];
      await t.close({ keepDatabase: true });

      // The blocks, spread evenly over the accounts' primary calendars, all pending.
      const seeding = Date.now();
      const organizationId = team.organization.id;
      const perAccount = accounts.map(
        (_, i) => Math.floor(BLOCKS / accounts.length) + (i < BLOCKS % accounts.length ? 1 : 0),
      );
      for (const [i, account] of accounts.entries()) {
        const rows = blockRows(
          organizationId,
          owners.get(account)!,
          'Europe/Amsterdam',
          perAccount[i],
          account.calendars[0].id,
        );
        await insertRows(bench.pool, 'time_blocks', BLOCK_COLUMNS, rows);
      }
      await bench.pool.query('ANALYZE TABLE time_blocks');
      const pendingCount = async () => {
        const [[row]] = (await bench.pool.query(
          "SELECT COUNT(*) AS n FROM time_blocks WHERE calendar_sync_status = 'pending'",
        )) as unknown as [{ n: number | string }[]];
        return Number(row.n);
      };
      expect(await pendingCount()).toBe(BLOCKS);
      process.stdout.write(
        `\nseeded ${BLOCKS} pending blocks on ${accounts.length} accounts of ${members} members ` +
          `in ${((Date.now() - seeding) / 1000).toFixed(0)} s (calendars: ${directions.join(', ')})\n`,
      );

      // The providers as the workers meet them: 40 ms away, with their real quotas.
      google.latencyMs = LATENCY_MS;
      ms.throttle.latencyMs = LATENCY_MS;
      emulators.quota('google_calendar', QUOTAS.google_calendar);
      emulators.quota('office365', QUOTAS.office365);
      caDir = mkdtempSync(join(tmpdir(), 'danwel-drain-'));
      writeFileSync(join(caDir, 'microsoft-ca.pem'), ms.ca);
      emulators.clearTraffic();

      const startedAt = Date.now();
      for (let w = 0; w < WORKERS; w++) {
        workers.push(
          startBuilt(
            'worker.js',
            builtEnv(bench.database.config, {
              ...(emulators.env() as Record<string, string>),
              NODE_EXTRA_CA_CERTS: join(caDir, 'microsoft-ca.pem'),
            }),
          ),
        );
      }
      let pending = BLOCKS;
      let progressAt = Date.now();
      const timeline: { s: number; pending: number }[] = [];
      while (pending > 0 && Date.now() - progressAt < STALL_MS) {
        await sleep(500);
        for (const worker of workers) {
          if (worker.child.exitCode !== null)
            throw new Error(`a worker exited (${worker.child.exitCode}):\n${worker.output()}`);
        }
        const now = await pendingCount();
        if (now < pending) progressAt = Date.now();
        pending = now;
        const s = Math.round((Date.now() - startedAt) / 1000);
        if (timeline.length === 0 || timeline[timeline.length - 1].s + 10 <= s)
          timeline.push({ s, pending });
      }
      const seconds = (Date.now() - startedAt) / 1000;
      const rss = workers.map((worker) => peakRssMb(worker.child.pid!));
      const cpu = workers.reduce((sum, worker) => sum + cpuMs(worker.child.pid!), 0);

      const [states] = (await bench.pool.query(
        'SELECT calendar_sync_status AS status, COUNT(*) AS n FROM time_blocks GROUP BY 1',
      )) as unknown as [{ status: string; n: number | string }[]];
      const synced = (provider: CalendarProviderName) =>
        accounts
          .filter((a) => a.provider === provider)
          .reduce((sum, a) => sum + emulators.events(a, a.calendars[0]).length, 0);
      const providers = (['google_calendar', 'office365'] as CalendarProviderName[]).map(
        (provider) =>
          figures(
            emulators,
            provider,
            accounts.filter((a) => a.provider === provider),
            synced(provider),
            startedAt,
          ),
      );
      const result = {
        blocks: BLOCKS,
        workers: WORKERS,
        accounts: accounts.length,
        latency_ms: LATENCY_MS,
        node: process.version,
        seconds,
        blocks_per_second: (BLOCKS - pending) / seconds,
        worker_cpu_ms_per_block: cpu / Math.max(BLOCKS - pending, 1),
        worker_peak_rss_mb: Math.max(...rss),
        states: Object.fromEntries(states.map((s) => [s.status, Number(s.n)])),
        providers,
        timeline,
      };

      const fixed = (value: number | null, digits: number) =>
        value === null ? 'n/a' : value.toFixed(digits);
      const table = [
        `worker drain: ${BLOCKS} blocks, ${accounts.length} accounts, ${WORKERS} worker(s), ` +
          `${LATENCY_MS} ms latency, real quotas (absolute figures: no bare baseline)`,
        `drained in ${seconds.toFixed(1)} s: ${result.blocks_per_second.toFixed(1)} blocks/s, ` +
          `${result.worker_cpu_ms_per_block.toFixed(2)} ms worker CPU a block, ` +
          `worker peak RSS ${result.worker_peak_rss_mb.toFixed(0)} MB (goal ≤ 256)`,
        'provider         pushed  HTTP req  req/change  goal   batch  quota used  429s  after warm-up',
        ...providers.map(
          (p) =>
            `${p.provider.padEnd(15)}${String(p.pushed).padStart(8)}${String(p.http_requests).padStart(10)}` +
            `${p.http_requests_per_change.toFixed(3).padStart(12)}` +
            `${(p.provider === 'google_calendar' ? '0.03' : '0.06').padStart(6)}` +
            `${p.mean_batch_size.toFixed(1).padStart(8)}` +
            `${(p.quota_share === null ? 'not bound' : `${fixed(p.quota_share * 100, 0)} %`).padStart(12)}` +
            `${String(p.throttled).padStart(6)}${String(p.throttled_after_warm_up).padStart(15)}`,
        ),
      ].join('\n');
      process.stdout.write(`\n${table}\n`);
      mkdirSync(RESULTS, { recursive: true });
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      // Two-space JSON with a final newline is what prettier writes, so a committed result lints clean.
      writeFileSync(
        join(RESULTS, `worker-drain-${BLOCKS}-${stamp}.json`),
        `${JSON.stringify(result, null, 2)}\n`,
      );

      expect(pending).toBe(0);
      expect(providers.reduce((sum, p) => sum + p.pushed, 0)).toBe(BLOCKS);
    },
    3 * 3_600_000,
  );
});
