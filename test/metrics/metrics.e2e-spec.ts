import { Job } from '../../src/jobs/job.entity';
import { LeaseTable } from '../../src/jobs/lease';
import { Factory } from '../factories';
import { bootApp, TestApp } from '../support/app';
import { databaseKind } from '../support/database';

/*
 * GET /metrics: Prometheus text behind a bearer token (METRICS_TOKEN). Request durations by route
 * template, sync backlog and pull lag read from the database at scrape time, and lease takeovers.
 */

const TOKEN = 'metrics-token-for-tests-0123456789';
const MINUTE = 60_000;

/** The value of one sample line (`name{labels} value`), or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const line = text.split('\n').find((candidate) => {
    if (!candidate.startsWith(`${name}{`)) return false;
    return Object.entries(labels).every(([key, value]) => candidate.includes(`${key}="${value}"`));
  });
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

describe(`GET /metrics (${databaseKind()})`, () => {
  describe('unconfigured', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await bootApp();
    });
    afterAll(() => t.close());

    it('is off: 404 problem, even with a bearer token', async () => {
      const response = await t.http().get('/metrics').set('Authorization', `Bearer ${TOKEN}`);
      expect(response.status).toBe(404);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    });
  });

  describe('with METRICS_TOKEN', () => {
    let t: TestApp;
    let factory: Factory;
    const scrape = () =>
      t.http().get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200);

    beforeAll(async () => {
      t = await bootApp({ env: { METRICS_TOKEN: TOKEN } });
      factory = new Factory(t.dataSource);
    });
    afterAll(() => t.close());

    it('refuses a missing or wrong token with 404', async () => {
      await t.http().get('/metrics').expect(404);
      await t.http().get('/metrics').set('Authorization', `Bearer ${TOKEN}x`).expect(404);
      await t.http().get('/metrics').set('Authorization', TOKEN).expect(404);
    });

    it('times answers by route template and status, never by the ids in the path', async () => {
      await t.http().get('/health').expect(200);
      await t.http().get('/api/v1/organizations/987654/time-blocks').expect(401);
      const response = await scrape();
      expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(response.text).toContain('# TYPE danwel_http_request_duration_seconds histogram');
      const count = 'danwel_http_request_duration_seconds_count';
      expect(sample(response.text, count, { route: '/health', status: '200' })).toBeGreaterThan(0);
      expect(response.text).not.toContain('987654');
      const le = { route: '/health', status: '200', le: '+Inf' };
      expect(sample(response.text, 'danwel_http_request_duration_seconds_bucket', le)).toBe(
        sample(response.text, count, { route: '/health', status: '200' }),
      );
    });

    it('reads pending and failed blocks and pull lag per integration from the database', async () => {
      const owner = await factory.user();
      const organization = await factory.organization({ owner });
      const integration = await factory.integration(organization, {
        connectedBy: owner,
        provider: 'google_calendar',
      });
      const calendar = await factory.calendar(integration, {
        syncDirection: 'both',
        isEnabled: true,
        nextPullAt: new Date(Date.now() - 10 * MINUTE),
      });
      for (const status of ['pending', 'pending', 'error', 'synced'] as const) {
        await factory.timeBlock(organization, owner, { calendar, calendarSyncStatus: status });
      }
      const labels = { integration: String(integration.id), provider: 'google_calendar' };
      const text = (await scrape()).text;
      expect(sample(text, 'danwel_sync_pending_blocks', labels)).toBe(2);
      expect(sample(text, 'danwel_sync_failed_blocks', labels)).toBe(1);
      const lag = sample(text, 'danwel_sync_pull_lag_seconds', labels)!;
      expect(lag).toBeGreaterThanOrEqual(9 * 60);
      expect(lag).toBeLessThan(20 * 60);

      await factory.timeBlock(organization, owner, { calendar, calendarSyncStatus: 'pending' });
      expect(sample((await scrape()).text, 'danwel_sync_pending_blocks', labels)).toBe(3);
    });

    it('counts a lease taken from a holder that let it run out, not a free one', async () => {
      const lease = new LeaseTable(Job, {
        owner: { property: 'reservedBy', column: 'reserved_by' },
        expiresAt: { property: 'reservedUntil', column: 'reserved_until' },
      });
      const before = sample((await scrape()).text, 'danwel_lease_takeovers_total', {
        table: 'Job',
      });
      // Not due for a day: the app's own worker leaves them alone.
      const later = new Date(Date.now() + 24 * 60 * MINUTE);
      const jobs = t.dataSource.getRepository(Job);
      const dead = await jobs.save(
        jobs.create({
          type: 'test.noop',
          payload: {},
          availableAt: later,
          reservedBy: 'dead-host:1:abc',
          reservedUntil: new Date(Date.now() - MINUTE),
        }),
      );
      const free = await jobs.save(
        jobs.create({ type: 'test.noop', payload: {}, availableAt: later }),
      );
      const until = new Date(Date.now() + MINUTE);
      // The claim's own select tells the lease which rows still name an owner.
      await t.dataSource.transaction(async (manager) => {
        const chosen = await manager
          .getRepository(Job)
          .createQueryBuilder('job')
          .select(lease.claimColumns('job'))
          .whereInIds([dead.id, free.id])
          .getMany();
        await lease.take(manager, chosen, { id: 'me' }, until);
      });
      const after = sample((await scrape()).text, 'danwel_lease_takeovers_total', { table: 'Job' });
      expect(after).toBe((before ?? 0) + 1);
    });
  });
});
