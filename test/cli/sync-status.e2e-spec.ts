import { DataSource, IsNull, Not } from 'typeorm';
import { IntegrationSyncStatus } from '../../src/cli/sync-status.command';
import { runCli } from '../../src/cli/program';
import { Integration } from '../../src/integrations/integration.entity';
import { TimeBlock } from '../../src/time-blocks/time-block.entity';
import { Factory } from '../factories';
import { testConfig } from '../support/app';
import { createMigratedDataSource, databaseKind, TestDatabase } from '../support/database';
import { CapturedOutput } from './capture';

/*
 * `sync:status`: what an operator reads to see whether calendar sync is healthy — per integration,
 * its state, its pending and failed blocks (a pending removal counted where the old event is), when
 * the next attempt comes and who holds the lease.
 */

const MINUTE = 60_000;
/** Whole seconds from now, as the columns store them. */
const fromNow = (ms: number) => new Date(Math.floor(Date.now() / 1000) * 1000 + ms);
const iso = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

describe(`cli: sync:status (${databaseKind()})`, () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let close: () => Promise<void>;
  let factory: Factory;

  beforeAll(async () => {
    ({ dataSource, database, close } = await createMigratedDataSource());
    factory = new Factory(dataSource);
  });
  afterAll(() => close?.());

  async function cli(...argv: string[]) {
    const stdout = new CapturedOutput();
    const stderr = new CapturedOutput();
    const code = await runCli(argv, {
      cwd: process.cwd(),
      stdout,
      stderr,
      loadConfig: () => testConfig(database),
    });
    return { code, stdout: stdout.text, stderr: stderr.text };
  }

  it('says so when there is nothing to show', async () => {
    expect(await cli('sync:status')).toEqual({
      code: 0,
      stdout: 'No calendar integrations.\n',
      stderr: '',
    });
    expect(await cli('sync:status', '--json')).toMatchObject({ code: 0, stdout: '[]\n' });
  });

  describe('with integrations in every state', () => {
    let expected: IntegrationSyncStatus[];
    let longError: string;

    beforeAll(async () => {
      const owner = await factory.user({ name: 'Ada' });
      const organization = await factory.organization({ owner, name: 'Acme Studio' });
      const block = (values: Parameters<Factory['timeBlock']>[2]) =>
        factory.timeBlock(organization, owner, values);

      // Backing off as a whole (a Retry-After), later than its blocks' own retries.
      longError =
        'rateLimitExceeded: Google 429 rateLimitExceeded: Rate Limit Exceeded, retry after 600 seconds';
      const lastSync = fromNow(-30 * MINUTE);
      const waitUntil = fromNow(10 * MINUTE);
      const google = await factory.integration(organization, {
        connectedBy: owner,
        provider: 'google_calendar',
        providerAccountEmail: 'ada@example.com',
        lastSyncAt: lastSync,
        lastError: longError,
        syncRetryAt: waitUntil,
      });
      const work = await factory.calendar(google);
      await block({
        calendar: work,
        calendarSyncStatus: 'pending',
        syncRetryAt: fromNow(5 * MINUTE),
      });
      await block({
        calendar: work,
        calendarSyncStatus: 'pending',
        syncRetryAt: fromNow(20 * MINUTE),
      });
      await block({ calendar: work, calendarSyncStatus: 'error', syncError: 'forbidden' });
      await block({ calendar: work, calendarSyncStatus: 'synced' });

      // Leased by a worker right now; its pending removals count here, not where the blocks went.
      const leaseEnd = fromNow(MINUTE);
      const outlook = await factory.integration(organization, {
        connectedBy: owner,
        provider: 'office365',
        providerAccountEmail: 'ada@contoso.test',
        syncLeaseOwner: 'host-1:4242:a1b2c3',
        syncLeaseExpiresAt: leaseEnd,
      });
      const mail = await factory.calendar(outlook);
      await block({ calendar: mail, calendarSyncStatus: 'pending' });
      await block({
        calendar: work,
        syncedCalendarId: mail.id,
        externalCalendarEventId: 'AAMkADmoved',
        calendarSyncStatus: 'pending',
      });
      await block({
        calendar: mail,
        syncedCalendarId: mail.id,
        externalCalendarEventId: 'AAMkADdeleted',
        calendarSyncStatus: 'pending',
        deletedAt: new Date(),
      });
      await block({
        calendar: mail,
        syncedCalendarId: mail.id,
        externalCalendarEventId: 'AAMkADfailed',
        calendarSyncStatus: 'error',
      });

      // The user must connect again: nothing will be attempted.
      const stale = await factory.integration(organization, {
        connectedBy: owner,
        providerAccountEmail: 'old@example.com',
        needsReconnect: true,
        lastError: 'invalid_grant: the provider refused the refresh token; connect again.',
      });
      await block({ calendar: await factory.calendar(stale), calendarSyncStatus: 'pending' });

      // All synced, its old wait over; an expired lease is no lease.
      const idle = await factory.integration(organization, {
        connectedBy: owner,
        providerAccountEmail: 'idle@example.com',
        lastSyncAt: lastSync,
        syncRetryAt: fromNow(-MINUTE),
        syncLeaseOwner: 'host-2:1:dead',
        syncLeaseExpiresAt: fromNow(-MINUTE),
      });
      await block({ calendar: await factory.calendar(idle), calendarSyncStatus: 'synced' });

      // Invoicing integrations are not calendar sync's.
      await factory.integration(organization, { provider: 'moneybird', providerType: 'invoicing' });

      const common = { organization_id: organization.id, organization: 'Acme Studio' };
      expected = [
        {
          id: google.id,
          ...common,
          provider: 'google_calendar',
          account_email: 'ada@example.com',
          state: 'active',
          pending_blocks: 2,
          error_blocks: 1,
          last_sync_at: iso(lastSync),
          last_error: longError,
          next_attempt_at: iso(waitUntil),
          lease: null,
        },
        {
          id: outlook.id,
          ...common,
          provider: 'office365',
          account_email: 'ada@contoso.test',
          state: 'active',
          pending_blocks: 3,
          error_blocks: 1,
          last_sync_at: null,
          last_error: null,
          next_attempt_at: 'now',
          lease: { owner: 'host-1:4242:a1b2c3', expires_at: iso(leaseEnd) },
        },
        {
          id: stale.id,
          ...common,
          provider: 'google_calendar',
          account_email: 'old@example.com',
          state: 'needs_reconnect',
          pending_blocks: 1,
          error_blocks: 0,
          last_sync_at: null,
          last_error: 'invalid_grant: the provider refused the refresh token; connect again.',
          next_attempt_at: null,
          lease: null,
        },
        {
          id: idle.id,
          ...common,
          provider: 'google_calendar',
          account_email: 'idle@example.com',
          state: 'active',
          pending_blocks: 0,
          error_blocks: 0,
          last_sync_at: iso(lastSync),
          last_error: null,
          next_attempt_at: null,
          lease: null,
        },
      ];
    });

    it('--json gives every calendar integration with its counts, next attempt and lease', async () => {
      const result = await cli('sync:status', '--json');
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual(expected);
    });

    it('prints the same as a table, errors shortened', async () => {
      const result = await cli('sync:status');
      expect(result).toMatchObject({ code: 0, stderr: '' });
      const [header, rule, ...rows] = result.stdout.trimEnd().split('\n');
      expect(header.split(/ {2,}/)).toEqual([
        'ID',
        'Organization',
        'Provider',
        'Account',
        'State',
        'Pending',
        'Errors',
        'Last sync',
        'Last error',
        'Next attempt',
        'Lease',
      ]);
      expect(rule).toMatch(/^-+( +-+){10}$/);
      const cells = rows.map((row) => row.split(/ {2,}/));
      expect(cells).toEqual([
        [
          String(expected[0].id),
          'Acme Studio',
          'google_calendar',
          'ada@example.com',
          'active',
          '2',
          '1',
          expected[0].last_sync_at,
          `${longError.slice(0, 39)}…`,
          expected[0].next_attempt_at,
          '-',
        ],
        [
          String(expected[1].id),
          'Acme Studio',
          'office365',
          'ada@contoso.test',
          'active',
          '3',
          '1',
          'never',
          '-',
          'now',
          `host-1:4242:a1b2c3 until ${expected[1].lease!.expires_at}`,
        ],
        [
          String(expected[2].id),
          'Acme Studio',
          'google_calendar',
          'old@example.com',
          'needs_reconnect',
          '1',
          '0',
          'never',
          'invalid_grant: the provider refused the…',
          '-',
          '-',
        ],
        [
          String(expected[3].id),
          'Acme Studio',
          'google_calendar',
          'idle@example.com',
          'active',
          '0',
          '0',
          expected[3].last_sync_at,
          '-',
          '-',
          '-',
        ],
      ]);
    });

    it('shows "now" once the waits are over', async () => {
      await dataSource.manager.update(
        Integration,
        { id: expected[0].id },
        { syncRetryAt: fromNow(-MINUTE) },
      );
      await dataSource.manager.update(
        TimeBlock,
        { calendarSyncStatus: 'pending', syncRetryAt: Not(IsNull()) },
        { syncRetryAt: fromNow(-MINUTE) },
      );
      const shown = JSON.parse(
        (await cli('sync:status', '--json')).stdout,
      ) as IntegrationSyncStatus[];
      expect(shown[0].next_attempt_at).toBe('now');
    });
  });
});
