import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { In } from 'typeorm';
import { AuditLog } from '../../src/audit/audit-log.entity';
import { Calendar } from '../../src/calendars/calendar.entity';
import { Integration } from '../../src/integrations/integration.entity';
import { TimeBlock } from '../../src/time-blocks/time-block.entity';
import { googleFaults } from '../emulators/google';
import { microsoftFaults, seededRandom } from '../emulators/microsoft';
import { weightedFaults } from '../emulators/common/faults';
import { Factory } from '../factories';
import { Actor, actingAs, makeTeam, Team } from '../support/actors';
import { bootApp, TEST_APP_KEY, TestApp } from '../support/app';
import {
  CalendarEmulators,
  CalendarProviderName,
  ConnectedAccount,
  PUBLIC_APP_URL,
} from '../support/calendar-accounts';

/*
 * The chaos test of the calendar push (issue: "provably correct under retries, crashes,
 * throttling and expired tokens"). Several real worker processes share the work on MariaDB while
 * the API takes a stream of random block operations — create, edit, move to another calendar,
 * take off the calendar, delete — and both emulators inject every fault they know. Workers are
 * SIGKILLed at random and replaced. Once the operations stop and the faults are switched off, the
 * system must settle to exactly what the rows say: every live block on a calendar has exactly one
 * event there with its title, times and zone; nothing else exists.
 *
 * Size: `CHAOS_OPERATIONS` (default 200, `npm run test:chaos` runs 3000), `CHAOS_WORKERS`
 * (default 3), `CHAOS_SEED`.
 */

const OPERATIONS = Number(process.env.CHAOS_OPERATIONS ?? 200);
const WORKERS = Number(process.env.CHAOS_WORKERS ?? 3);
const SEED = Number(process.env.CHAOS_SEED ?? 20261122);
const CONCURRENCY = 4;
const DIST_WORKER = join(__dirname, '../../dist/src/worker.js');

interface Counters {
  operations: Record<string, number>;
  /** What the "provider users" did in Google Calendar / Outlook. */
  providerOperations: Record<string, number>;
  kills: number;
  reconnects: number;
  staleCursors: number;
}

describe('two-way calendar sync under chaos (mysql, worker processes)', () => {
  let t: TestApp;
  let emulators: CalendarEmulators;
  let team: Team;
  let people: Actor[];
  let accounts: ConnectedAccount[];
  let calendars: Calendar[];
  /** A block goes only onto its own member's calendars. */
  let calendarsOf: (person: Actor) => Calendar[];
  const workers = new Set<ChildProcess>();
  let caFile: string;
  let listening = '';
  /** Blocks whose event a "provider user" edited or deleted: their changes come by sync. */
  const externallyChanged = new Set<number>();

  beforeAll(async () => {
    if (!existsSync(DIST_WORKER)) {
      throw new Error('dist/ is missing: run `npm run build` first (npm test does this).');
    }
    emulators = await CalendarEmulators.start({ webhookTarget: () => listening });
    t = await bootApp({ env: { ...emulators.env(), APP_URL: PUBLIC_APP_URL } });
    emulators.trustIn(t);
    // The API receives the providers' push notifications; the workers pull.
    await t.app.listen(0, '127.0.0.1');
    listening = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    const factory = new Factory(t.dataSource);
    team = await makeTeam(t, factory);
    const second = await factory.user();
    await factory.member(team.organization, second, 'member');
    people = [team.member, await actingAs(t, second)];
    accounts = [];
    for (const person of people) {
      for (const provider of ['google_calendar', 'office365'] as CalendarProviderName[]) {
        accounts.push(await emulators.connect(t, person, team.url, provider, 1));
      }
    }
    calendars = accounts.flatMap((account) => account.calendars);
    const integrations = await t.dataSource.manager.findBy(Integration, {
      id: In(accounts.map((account) => account.integrationId)),
    });
    calendarsOf = (person) =>
      accounts
        .filter((account) =>
          integrations.some(
            (i) => i.id === account.integrationId && i.connectedById === person.user.id,
          ),
        )
        .flatMap((account) => account.calendars);
    caFile = join(mkdtempSync(join(tmpdir(), 'danwel-chaos-')), 'microsoft-ca.pem');
    writeFileSync(caFile, emulators.ms.ca);
  });

  afterAll(async () => {
    for (const worker of workers) worker.kill('SIGKILL');
    await t?.close();
    await emulators?.stop();
  });

  function startWorker(): void {
    const db = t.database.config;
    const child = spawn(process.execPath, [DIST_WORKER], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'test',
        APP_KEY: TEST_APP_KEY,
        LOG_LEVEL: 'error',
        APP_URL: PUBLIC_APP_URL,
        SYNC_PULL_INTERVAL_SECONDS: '5',
        NODE_EXTRA_CA_CERTS: caFile,
        DB_CONNECTION: 'mysql',
        DB_HOST: db.host,
        DB_PORT: String(db.port),
        DB_USERNAME: db.username,
        DB_PASSWORD: db.password,
        DB_DATABASE: db.database,
        WORKER_POLL_INTERVAL_MS: '50',
        SYNC_LEASE_SECONDS: '8',
        SYNC_REQUEST_TIMEOUT_MS: '1500',
        SYNC_BACKOFF_BASE_SECONDS: '1',
        SYNC_BACKOFF_MAX_SECONDS: '2',
        GOOGLE_CALENDAR_MAX_REQUESTS: '40',
        GOOGLE_CALENDAR_WINDOW_SECONDS: '1',
        MICROSOFT_GRAPH_MAX_REQUESTS: '40',
        MICROSOFT_GRAPH_WINDOW_SECONDS: '1',
        ...emulators.env(),
      },
    });
    child.stderr!.resume();
    workers.add(child);
    child.once('exit', () => workers.delete(child));
  }

  function injectFaults(): void {
    emulators.google.faults.random({
      seed: SEED,
      faults: [
        { probability: 0.04, fault: googleFaults.tooManyRequests(1) },
        { probability: 0.03, fault: googleFaults.rateLimitExceeded() },
        { probability: 0.03, fault: googleFaults.userRateLimitExceeded() },
        { probability: 0.04, fault: googleFaults.backendError() },
        { probability: 0.03, fault: googleFaults.unavailable(1) },
        { probability: 0.02, fault: googleFaults.timeout() },
        { probability: 0.03, fault: googleFaults.reset() },
        { probability: 0.05, fault: googleFaults.lostResponse() },
        { probability: 0.02, fault: googleFaults.tokenExpired() },
      ],
    });
    emulators.google.faults.quota({ limit: 60, windowMs: 1_000 });
    emulators.ms.faults.random(
      weightedFaults({
        seed: SEED,
        rate: 0.3,
        faults: [
          { weight: 3, fault: microsoftFaults.throttle(1) },
          { weight: 3, fault: microsoftFaults.serverError() },
          { weight: 2, fault: microsoftFaults.unavailable(1) },
          { weight: 1, fault: microsoftFaults.gatewayTimeout(1) },
          { weight: 1, fault: { kind: 'hang' } },
          { weight: 1, fault: { kind: 'delay', ms: 600 } }, // slow, within the client's timeout
          { weight: 2, fault: { kind: 'reset' } },
          { weight: 3, fault: { kind: 'lostResponse' } },
          { weight: 2, fault: { kind: 'tokenExpired' } },
        ],
      }),
    );
    Object.assign(emulators.ms.throttle, { maxRequestsPerWindow: 60, windowMs: 1_000 });
    // Lost push notifications: the scheduled pull has to catch those changes.
    emulators.google.dropNotifications({ probability: 0.2, seed: SEED });
    emulators.ms.dropNotifications({ probability: 0.2, seed: SEED });
    // Access tokens die early (401), twice per provider; the first refresh after that is refused
    // for good (`invalid_grant`): that account's user must connect again.
    emulators.fault('google_calendar', { kind: 'tokenExpired' }, 2, 15);
    emulators.fault('office365', { kind: 'tokenExpired' }, 2, 15);
    emulators.google.faults.add({
      match: { operation: 'oauth.token', grantType: 'refresh_token' },
      fault: googleFaults.invalidGrant(true),
    });
    emulators.ms.faults.add({
      match: { operation: 'oauth.token', grantType: 'refresh_token' },
      fault: { kind: 'invalidGrant', revoke: true },
    });
  }

  function stopFaults(): void {
    emulators.google.faults.stopRandom();
    emulators.google.faults.clear();
    emulators.ms.faults.clear();
    emulators.google.clearNotificationDrops();
    emulators.ms.clearNotificationDrops();
    Object.assign(emulators.ms.throttle, { maxRequestsPerWindow: 10_000, windowMs: 600_000 });
  }

  it('settles to exactly one correct event per block, whatever happened on the way', async () => {
    const random = seededRandom(SEED);
    const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)];
    const counters: Counters = {
      operations: {},
      providerOperations: {},
      kills: 0,
      reconnects: 0,
      staleCursors: 0,
    };
    const count = (name: string, tally = counters.operations) =>
      (tally[name] = (tally[name] ?? 0) + 1);

    for (let i = 0; i < WORKERS; i++) startWorker();
    injectFaults();
    await sleep(3_000); // the workers boot

    // Killing workers at random while the operations run.
    let operating = true;
    const killer = (async () => {
      while (operating) {
        // A worker takes about two seconds to boot: give each one time to do some work.
        await sleep(1_500 + random() * 2_500);
        const victim = pick([...workers]);
        if (!victim || !operating) continue;
        victim.kill('SIGKILL');
        counters.kills += 1;
        startWorker();
        // Now and then a provider forgets a sync cursor (410): the next pull reads in full.
        if (random() < 0.5) {
          const account = pick(accounts);
          if (account.provider === 'google_calendar') {
            emulators.google.invalidateSyncTokens(
              account.email,
              pick(account.calendars).externalId,
            );
          } else {
            emulators.ms.state.expireDeltaTokens(account.email);
          }
          counters.staleCursors += 1;
        }
      }
    })();

    const blocks = new Map<number, Actor>(); // live block id → its owner
    let slot = 0;

    /** A block API call answered 404: only a block deleted by sync (its event deleted in the calendar) may. */
    const goneBySync = async (id: number, status: number): Promise<boolean> => {
      if (status !== 404) return false;
      const row = await t.dataSource.manager.findOne(TimeBlock, {
        where: { id },
        withDeleted: true,
      });
      expect(row?.deletedAt).not.toBeNull();
      blocks.delete(id);
      count('found deleted in the calendar');
      return true;
    };

    // What the people do in Google Calendar and Outlook meanwhile.
    const externalEvents: Array<{ account: ConnectedAccount; calendar: Calendar; id: string }> = [];
    let externalSeq = 0;
    const providerOperation = async (): Promise<void> => {
      const roll = random();
      if (roll < 0.3 || externalEvents.length === 0) {
        const account = pick(accounts);
        const calendar = pick(account.calendars);
        externalSeq += 1;
        const start = new Date(Date.UTC(2027, 0, 1) + Math.floor(random() * 28 * 24) * 3_600_000);
        const title = `External ${externalSeq}`;
        const id = emulators.userCreate(account, calendar, {
          title,
          start,
          end: new Date(start.getTime() + 3_600_000),
        });
        externalEvents.push({ account, calendar, id });
        count('add own event', counters.providerOperations);
        return;
      }
      if (roll < 0.4) {
        const [gone] = externalEvents.splice(Math.floor(random() * externalEvents.length), 1);
        emulators.userDelete(gone.account, gone.calendar, gone.id);
        count('delete own event', counters.providerOperations);
        return;
      }
      // Edit, move or delete one of danwel's events, as the block's event is right now.
      const withEvents = await t.dataSource.manager.find(TimeBlock, {
        select: { id: true },
        where: { organizationId: team.organization.id, calendarSyncStatus: 'synced' },
      });
      const candidates = withEvents.map((b) => b.id).filter((id) => blocks.has(id));
      const id = pick(candidates);
      if (id === undefined) return;
      const row = await t.dataSource.manager.findOneBy(TimeBlock, { id });
      const calendar = calendars.find((c) => c.id === row?.syncedCalendarId);
      const eventId = row?.externalCalendarEventId;
      if (!row || !calendar || !eventId || eventId.startsWith('unconfirmed:')) return;
      const account = accounts.find((a) => a.calendars.some((c) => c.id === calendar.id))!;
      try {
        if (roll < 0.85) {
          const start = new Date(row.startTime.getTime() + 30 * 60_000);
          emulators.userEdit(account, calendar, eventId, {
            title: `Edited in the calendar ${Math.floor(random() * 1e6)}`,
            start,
            end: new Date(start.getTime() + 3_600_000),
          });
          count('edit or move danwel event', counters.providerOperations);
        } else {
          emulators.userDelete(account, calendar, eventId);
          count('delete danwel event', counters.providerOperations);
        }
        externallyChanged.add(id);
      } catch {
        // The event is not there (yet, or any more): nothing a user could edit.
      }
    };

    const operation = async (): Promise<void> => {
      if (random() < 0.35) return providerOperation();
      const live = [...blocks.keys()];
      const roll = random();
      if (live.length < 10 || roll < 0.4) {
        const owner = pick(people);
        slot += 1;
        const start = new Date(Date.UTC(2027, 0, 1, 0) + slot * 2 * 3_600_000);
        const response = await owner.post(team.url('/time-blocks')).send({
          title: `Chaos ${slot}`,
          start_time: start.toISOString(),
          end_time: new Date(start.getTime() + 3_600_000).toISOString(),
          timezone: pick(['Europe/Amsterdam', 'America/New_York', 'Asia/Tokyo', 'UTC']),
          calendar_id: pick(calendarsOf(owner)).id,
        });
        expect(response.status).toBe(201);
        blocks.set((response.body as { id: number }).id, owner);
        count('create');
        return;
      }
      const id = pick(live);
      const owner = blocks.get(id)!;
      const url = team.url(`/time-blocks/${id}`);
      if (roll < 0.65) {
        const response = await owner
          .patch(url)
          .send({ title: `Chaos edit ${Math.floor(random() * 1e6)}` });
        if (await goneBySync(id, response.status)) return;
        expect(response.status).toBe(200);
        count('edit');
      } else if (roll < 0.8) {
        const response = await owner.patch(url).send({ calendar_id: pick(calendarsOf(owner)).id });
        if (await goneBySync(id, response.status)) return;
        expect(response.status).toBe(200);
        count('move');
      } else if (roll < 0.85) {
        const response = await owner.patch(url).send({ calendar_id: null });
        if (await goneBySync(id, response.status)) return;
        expect(response.status).toBe(200);
        count('unplan');
      } else {
        const response = await owner.delete(url);
        if (await goneBySync(id, response.status)) return;
        blocks.delete(id);
        expect(response.status).toBe(204);
        count('delete');
      }
    };

    // A few operations in flight at a time, as several people using the app would.
    let issued = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (issued < OPERATIONS) {
          issued += 1;
          await operation();
          await sleep(random() * 60);
        }
      }),
    );
    // The workers catch up with the faults (and the killing) still on, for up to 20 s.
    const chaosEnds = Date.now() + 20_000;
    while (Date.now() < chaosEnds) {
      const pending = await t.dataSource.manager.count(TimeBlock, {
        where: { calendarSyncStatus: 'pending' },
        withDeleted: true,
      });
      if (pending === 0) break;
      await sleep(500);
    }
    operating = false;
    await killer;
    const faults = {
      google: nonZero(emulators.google.faults.counts),
      microsoft: nonZero(emulators.ms.faults.counts),
    };
    stopFaults();

    // Quiescence: no pending block left; integrations that lost their grant are reconnected.
    const deadline = Date.now() + 120_000;
    for (;;) {
      for (const integration of await t.dataSource.manager.findBy(Integration, {
        needsReconnect: true,
      })) {
        const account = accounts.find((a) => a.integrationId === integration.id)!;
        const owner = people.find((p) => p.user.id === integration.connectedById)!;
        await emulators.reconnect(t, owner, team.url, account);
        counters.reconnects += 1;
      }
      const pending = await t.dataSource.manager.count(TimeBlock, {
        where: { calendarSyncStatus: 'pending' },
        withDeleted: true,
      });
      if (pending === 0) break;
      if (Date.now() > deadline) throw new Error(`still pending after 2 minutes: ${await stuck()}`);
      await sleep(500);
    }
    // Two more full rounds of pulls with nothing pending: every change in the calendars is in.
    for (let round = 0; round < 2; round++) {
      const since = new Date(Date.now() + 1_000);
      await t.dataSource.manager.update(
        Calendar,
        { organizationId: team.organization.id },
        {
          nextPullAt: null,
        },
      );
      for (;;) {
        const behind = await t.dataSource.manager
          .getRepository(Calendar)
          .createQueryBuilder('calendar')
          .where('calendar.organizationId = :org', { org: team.organization.id })
          .andWhere('(calendar.lastPulledAt IS NULL OR calendar.lastPulledAt < :since)', { since })
          .getCount();
        const pending = await t.dataSource.manager.count(TimeBlock, {
          where: { calendarSyncStatus: 'pending' },
          withDeleted: true,
        });
        if (behind === 0 && pending === 0) break;
        if (Date.now() > deadline) throw new Error('the calendars did not settle after 2 minutes');
        await sleep(500);
      }
    }

    const report = await verify();
    process.stdout.write(
      `\ncalendar chaos: ${JSON.stringify(
        {
          operations: counters.operations,
          workers: WORKERS,
          kills: counters.kills,
          reconnects: counters.reconnects,
          providerOperations: counters.providerOperations,
          staleCursors: counters.staleCursors,
          faults,
          ...report,
        },
        null,
        2,
      )}\n`,
    );
    expect(counters.kills).toBeGreaterThan(0);
    expect(
      Object.keys(faults.google).length + Object.keys(faults.microsoft).length,
    ).toBeGreaterThan(5);
    expect(report).toMatchObject({
      duplicates: 0,
      orphans: 0,
      mismatches: 0,
      missing: 0,
      notSynced: 0,
      echoes: 0,
      busyTimeMissing: 0,
      busyTimeExtra: 0,
    });
  }, 900_000);

  /** Compares every block with the events in every calendar. */
  async function verify() {
    const rows = await t.dataSource.manager.find(TimeBlock, {
      where: { organizationId: team.organization.id },
      withDeleted: true,
    });
    const byId = new Map(rows.map((row) => [String(row.id), row]));
    const seen = new Map<
      string,
      Array<{ calendar: Calendar; event: ReturnType<CalendarEmulators['events']>[number] }>
    >();
    let orphans = 0;
    for (const account of accounts) {
      const own = await t.dataSource.manager.findBy(Calendar, {
        id: In(account.calendars.map((c) => c.id)),
      });
      for (const calendar of own) {
        for (const event of emulators.events(account, calendar)) {
          if (event.blockId === null) continue; // the people's own events: busy time, below
          const row = byId.get(event.blockId);
          if (!row || row.deletedAt !== null || row.calendarId !== calendar.id) {
            orphans += 1;
            continue;
          }
          seen.set(event.blockId!, [...(seen.get(event.blockId!) ?? []), { calendar, event }]);
        }
      }
    }
    let duplicates = 0;
    let mismatches = 0;
    let missing = 0;
    let notSynced = 0;
    for (const row of rows) {
      const events = seen.get(String(row.id)) ?? [];
      const expectsEvent = row.deletedAt === null && row.calendarId !== null;
      const settled = expectsEvent ? ['synced'] : ['synced', 'disabled'];
      if (!settled.includes(row.calendarSyncStatus ?? '')) notSynced += 1;
      if (!expectsEvent) continue;
      if (events.length === 0) missing += 1;
      if (events.length > 1) duplicates += events.length - 1;
      const [first] = events;
      if (
        first &&
        (first.event.id !== row.externalCalendarEventId ||
          first.event.title !== row.title ||
          first.event.start.getTime() !== row.startTime.getTime() ||
          first.event.end.getTime() !== row.endTime.getTime() ||
          // A calendar edit may set its own zone; the instants are what must agree.
          (first.event.timeZone !== row.timezone && !externallyChanged.has(row.id)))
      ) {
        mismatches += 1;
      }
    }
    // Sync acted on a block only where a provider user changed its event (no echo).
    const bySync = await t.dataSource.manager
      .getRepository(AuditLog)
      .createQueryBuilder('log')
      .where('log.organizationId = :org', { org: team.organization.id })
      .andWhere('log.actor LIKE :sync', { sync: 'sync:%' })
      .getMany();
    const applied = bySync.filter((log) => log.action !== 'time_block.sync_conflict');
    const echoed = applied.filter((log) => !externallyChanged.has(Number(log.auditableId)));
    const echoes = echoed.length;
    if (echoes > 0) {
      process.stdout.write(
        `echoes: ${JSON.stringify(echoed.map((l) => [l.action, l.auditableId, l.oldValues, l.newValues]))}\n`,
      );
    }
    const busyTime = await compareBusyTime();
    return {
      blocks: rows.length,
      liveOnCalendars: rows.filter((r) => r.deletedAt === null && r.calendarId !== null).length,
      externalEditsApplied: applied.length,
      conflictsResolved: bySync.length - applied.length,
      externalEventsInCalendars: busyTime.expected,
      duplicates,
      orphans,
      mismatches,
      missing,
      notSynced,
      echoes,
      busyTimeMissing: busyTime.missing,
      busyTimeExtra: busyTime.extra,
    };
  }

  /** The pending blocks and the state of their accounts, for a failure message. */
  async function stuck(): Promise<string> {
    const rows = await t.dataSource.manager.find(TimeBlock, {
      where: { calendarSyncStatus: 'pending' },
      withDeleted: true,
    });
    const integrations = await t.dataSource.manager.find(Integration);
    return JSON.stringify({
      blocks: rows.map((r) => ({
        id: r.id,
        calendarId: r.calendarId,
        syncedCalendarId: r.syncedCalendarId,
        event: r.externalCalendarEventId,
        deleted: r.deletedAt !== null,
        version: r.syncVersion,
        attempts: r.syncAttempts,
        retryAt: r.syncRetryAt,
        error: r.syncError,
      })),
      integrations: integrations.map((i) => ({
        id: i.id,
        provider: i.provider,
        needsReconnect: i.needsReconnect,
        lease: i.syncLeaseOwner,
        retryAt: i.syncRetryAt,
        error: i.lastError,
      })),
    });
  }

  /** Every external event of the (read/both) calendars is listed by GET …/calendar-events. */
  async function compareBusyTime(): Promise<{ expected: number; missing: number; extra: number }> {
    const inCalendars: string[] = [];
    for (const account of accounts) {
      for (const calendar of account.calendars) {
        for (const event of emulators.events(account, calendar)) {
          if (event.blockId === null)
            inCalendars.push(`${calendar.id} ${event.title} ${event.start.toISOString()}`);
        }
      }
    }
    const listed: string[] = [];
    let cursor: string | null = null;
    do {
      const response = await team.owner.get(team.url('/calendar-events')).query({
        from: '2027-01-01T00:00:00Z',
        to: '2027-02-01T00:00:00Z',
        user_id: 'all',
        limit: 100,
        ...(cursor ? { cursor } : {}),
      });
      expect(response.status).toBe(200);
      const body = response.body as {
        data: Array<{ calendar_id: number; title: string; start_time: string }>;
        next_cursor: string | null;
      };
      listed.push(...body.data.map((e) => `${e.calendar_id} ${e.title} ${e.start_time}`));
      cursor = body.next_cursor;
    } while (cursor);
    const listedSet = new Set(listed);
    const expectedSet = new Set(inCalendars);
    return {
      expected: inCalendars.length,
      missing: inCalendars.filter((key) => !listedSet.has(key)).length,
      extra: listed.filter((key) => !expectedSet.has(key)).length,
    };
  }
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const nonZero = (counts: Record<string, number>) =>
  Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
