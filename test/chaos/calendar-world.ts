import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { In } from 'typeorm';
import { Calendar } from '../../src/calendars/calendar.entity';
import { Integration } from '../../src/integrations/integration.entity';
import { TimeBlock } from '../../src/time-blocks/time-block.entity';
import { weightedFaults } from '../emulators/common/faults';
import { googleFaults } from '../emulators/google';
import { microsoftFaults } from '../emulators/microsoft';
import { Factory } from '../factories';
import { Actor, actingAs, makeTeam, Team } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import {
  CalendarEmulators,
  CalendarProviderName,
  ConnectedAccount,
  PUBLIC_APP_URL,
} from '../support/calendar-accounts';
import { ChaosRandom, nonZero, Tally } from './driver';

/*
 * The calendar side of the chaos test: an organization whose two members each connected a Google
 * and a Microsoft account (two calendars each), the API taking their block operations, people
 * working in Google Calendar and Outlook meanwhile, and the faults both emulators inject.
 */

/** An event a person added in their own calendar (busy time for danwel). */
interface ExternalEvent {
  account: ConnectedAccount;
  calendar: Calendar;
  id: string;
}

export class CalendarChaosWorld {
  /** Live block id → its owner. */
  readonly blocks = new Map<number, Actor>();
  /** Blocks whose event a person edited or deleted in the calendar: their changes come by sync. */
  readonly externallyChanged = new Set<number>();
  readonly operations = new Tally();
  /** What the people did in Google Calendar and Outlook. */
  readonly calendarOperations = new Tally();
  reconnects = 0;
  staleCursors = 0;
  private readonly externalEvents: ExternalEvent[] = [];
  private externalSeq = 0;
  private slot = 0;

  private constructor(
    readonly t: TestApp,
    readonly emulators: CalendarEmulators,
    readonly team: Team,
    readonly people: Actor[],
    readonly accounts: ConnectedAccount[],
    private readonly calendarsByPerson: Map<Actor, Calendar[]>,
    private readonly caFile: string,
  ) {}

  /** The app listening for the providers' push notifications, and every account connected. */
  static async start(): Promise<CalendarChaosWorld> {
    let listening = '';
    const emulators = await CalendarEmulators.start({ webhookTarget: () => listening });
    const t = await bootApp({ env: { ...emulators.env(), APP_URL: PUBLIC_APP_URL } });
    emulators.trustIn(t);
    await t.app.listen(0, '127.0.0.1');
    listening = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    const factory = new Factory(t.dataSource);
    const team = await makeTeam(t, factory);
    const second = await factory.user();
    await factory.member(team.organization, second, 'member');
    const people = [team.member, await actingAs(t, second)];
    const accounts: ConnectedAccount[] = [];
    const calendarsByPerson = new Map<Actor, Calendar[]>();
    for (const person of people) {
      for (const provider of ['google_calendar', 'office365'] as CalendarProviderName[]) {
        const account = await emulators.connect(t, person, team.url, provider, 1);
        accounts.push(account);
        calendarsByPerson.set(person, [
          ...(calendarsByPerson.get(person) ?? []),
          ...account.calendars,
        ]);
      }
    }
    const caFile = join(mkdtempSync(join(tmpdir(), 'danwel-chaos-')), 'microsoft-ca.pem');
    writeFileSync(caFile, emulators.ms.ca);
    return new CalendarChaosWorld(t, emulators, team, people, accounts, calendarsByPerson, caFile);
  }

  async close(): Promise<void> {
    await this.t.close();
    await this.emulators.stop();
  }

  get calendars(): Calendar[] {
    return this.accounts.flatMap((account) => account.calendars);
  }

  /** What a worker process needs on top of the database: the emulators, tight limits, quick retries. */
  workerEnv(): Record<string, string> {
    return {
      APP_URL: PUBLIC_APP_URL,
      SYNC_PULL_INTERVAL_SECONDS: '5',
      NODE_EXTRA_CA_CERTS: this.caFile,
      SYNC_LEASE_SECONDS: '8',
      SYNC_REQUEST_TIMEOUT_MS: '1500',
      SYNC_BACKOFF_BASE_SECONDS: '1',
      SYNC_BACKOFF_MAX_SECONDS: '2',
      GOOGLE_CALENDAR_MAX_REQUESTS: '40',
      GOOGLE_CALENDAR_WINDOW_SECONDS: '1',
      MICROSOFT_GRAPH_MAX_REQUESTS: '40',
      MICROSOFT_GRAPH_WINDOW_SECONDS: '1',
      ...(this.emulators.env() as Record<string, string>),
    };
  }

  // ---- faults ---------------------------------------------------------------------------

  /** Every fault both emulators know, at random, with tight rate limits and lost notifications. */
  injectFaults(seed: number): void {
    const { google, ms } = this.emulators;
    google.faults.random({
      seed,
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
    google.faults.quota({ limit: 60, windowMs: 1_000 });
    ms.faults.random(
      weightedFaults({
        seed,
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
    Object.assign(ms.throttle, { maxRequestsPerWindow: 60, windowMs: 1_000 });
    // Lost push notifications: the scheduled pull has to catch those changes.
    google.dropNotifications({ probability: 0.2, seed });
    ms.dropNotifications({ probability: 0.2, seed });
    // Access tokens die early (401), twice per provider; the first refresh after that is refused
    // for good (`invalid_grant`): that account's user must connect again.
    this.emulators.fault('google_calendar', { kind: 'tokenExpired' }, 2, 15);
    this.emulators.fault('office365', { kind: 'tokenExpired' }, 2, 15);
    google.faults.add({
      match: { operation: 'oauth.token', grantType: 'refresh_token' },
      fault: googleFaults.invalidGrant(true),
    });
    ms.faults.add({
      match: { operation: 'oauth.token', grantType: 'refresh_token' },
      fault: { kind: 'invalidGrant', revoke: true },
    });
  }

  /** The faults injected so far, by provider and label. */
  faultCounts() {
    return {
      google: nonZero(this.emulators.google.faults.counts),
      microsoft: nonZero(this.emulators.ms.faults.counts),
    };
  }

  stopFaults(): void {
    const { google, ms } = this.emulators;
    google.faults.stopRandom();
    google.faults.clear();
    ms.faults.clear();
    google.clearNotificationDrops();
    ms.clearNotificationDrops();
    Object.assign(ms.throttle, { maxRequestsPerWindow: 10_000, windowMs: 600_000 });
  }

  /** A provider forgets the sync cursors of one calendar (410): the next pull reads in full. */
  forgetCursor(random: ChaosRandom): void {
    const account = random.pick(this.accounts);
    if (account.provider === 'google_calendar') {
      this.emulators.google.invalidateSyncTokens(
        account.email,
        random.pick(account.calendars).externalId,
      );
    } else {
      this.emulators.ms.state.expireDeltaTokens(account.email);
    }
    this.staleCursors += 1;
  }

  // ---- operations -----------------------------------------------------------------------

  /** One random thing someone does: in danwel (65 %), or in their calendar (35 %). */
  operation(random: ChaosRandom): Promise<void> {
    return random.chance(0.35) ? this.calendarOperation(random) : this.blockOperation(random);
  }

  /** A member creates, edits, moves, unplans or deletes a block through the API. */
  private async blockOperation(random: ChaosRandom): Promise<void> {
    const live = [...this.blocks.keys()];
    type Kind = 'create' | 'edit' | 'move' | 'unplan' | 'delete';
    const kind: Kind =
      live.length < 10
        ? 'create'
        : random.weighted<Kind>([
            { weight: 40, value: 'create' },
            { weight: 25, value: 'edit' },
            { weight: 15, value: 'move' },
            { weight: 5, value: 'unplan' },
            { weight: 15, value: 'delete' },
          ]);
    if (kind === 'create') {
      const owner = random.pick(this.people);
      this.slot += 1;
      const start = new Date(Date.UTC(2027, 0, 1, 0) + this.slot * 2 * 3_600_000);
      const response = await owner.post(this.team.url('/time-blocks')).send({
        title: `Chaos ${this.slot}`,
        start_time: start.toISOString(),
        end_time: new Date(start.getTime() + 3_600_000).toISOString(),
        timezone: random.pick(['Europe/Amsterdam', 'America/New_York', 'Asia/Tokyo', 'UTC']),
        calendar_id: random.pick(this.calendarsOf(owner)).id,
      });
      expect(response.status).toBe(201);
      this.blocks.set((response.body as { id: number }).id, owner);
      this.operations.add('create');
      return;
    }
    const id = random.pick(live);
    const owner = this.blocks.get(id)!;
    const url = this.team.url(`/time-blocks/${id}`);
    const response =
      kind === 'delete'
        ? await owner.delete(url)
        : await owner
            .patch(url)
            .send(
              kind === 'edit'
                ? { title: `Chaos edit ${random.below(1e6)}` }
                : { calendar_id: kind === 'move' ? random.pick(this.calendarsOf(owner)).id : null },
            );
    if (await this.goneBySync(id, response.status)) return;
    expect(response.status).toBe(kind === 'delete' ? 204 : 200);
    if (kind === 'delete') this.blocks.delete(id);
    this.operations.add(kind);
  }

  /** A block API call answered 404: only a block deleted by sync (its event deleted in the calendar) may. */
  private async goneBySync(id: number, status: number): Promise<boolean> {
    if (status !== 404) return false;
    const row = await this.t.dataSource.manager.findOne(TimeBlock, {
      where: { id },
      withDeleted: true,
    });
    expect(row?.deletedAt).not.toBeNull();
    this.blocks.delete(id);
    this.operations.add('found deleted in the calendar');
    return true;
  }

  /** A person adds or deletes their own event, or edits, moves or deletes one of danwel's. */
  private async calendarOperation(random: ChaosRandom): Promise<void> {
    type Kind = 'add own' | 'delete own' | 'edit danwel' | 'delete danwel';
    const kind: Kind =
      this.externalEvents.length === 0
        ? 'add own'
        : random.weighted<Kind>([
            { weight: 30, value: 'add own' },
            { weight: 10, value: 'delete own' },
            { weight: 45, value: 'edit danwel' },
            { weight: 15, value: 'delete danwel' },
          ]);
    if (kind === 'add own') {
      const account = random.pick(this.accounts);
      const calendar = random.pick(account.calendars);
      this.externalSeq += 1;
      const start = new Date(Date.UTC(2027, 0, 1) + random.below(28 * 24) * 3_600_000);
      const id = this.emulators.userCreate(account, calendar, {
        title: `External ${this.externalSeq}`,
        start,
        end: new Date(start.getTime() + 3_600_000),
      });
      this.externalEvents.push({ account, calendar, id });
      this.calendarOperations.add('add own event');
      return;
    }
    if (kind === 'delete own') {
      const [gone] = this.externalEvents.splice(random.below(this.externalEvents.length), 1);
      this.emulators.userDelete(gone.account, gone.calendar, gone.id);
      this.calendarOperations.add('delete own event');
      return;
    }
    // One of danwel's events, as the block's event is right now.
    const synced = await this.t.dataSource.manager.find(TimeBlock, {
      select: { id: true },
      where: { organizationId: this.team.organization.id, calendarSyncStatus: 'synced' },
    });
    const id = random.pick(synced.map((b) => b.id).filter((id) => this.blocks.has(id)));
    if (id === undefined) return;
    const row = await this.t.dataSource.manager.findOneBy(TimeBlock, { id });
    const calendar = this.calendars.find((c) => c.id === row?.syncedCalendarId);
    const eventId = row?.externalCalendarEventId;
    if (!row || !calendar || !eventId || eventId.startsWith('unconfirmed:')) return;
    const account = this.accounts.find((a) => a.calendars.some((c) => c.id === calendar.id))!;
    try {
      if (kind === 'edit danwel') {
        const start = new Date(row.startTime.getTime() + 30 * 60_000);
        this.emulators.userEdit(account, calendar, eventId, {
          title: `Edited in the calendar ${random.below(1e6)}`,
          start,
          end: new Date(start.getTime() + 3_600_000),
        });
        this.calendarOperations.add('edit or move danwel event');
      } else {
        this.emulators.userDelete(account, calendar, eventId);
        this.calendarOperations.add('delete danwel event');
      }
      this.externallyChanged.add(id);
    } catch {
      // The event is not there (yet, or any more): nothing a person could edit.
    }
  }

  /** A block goes only onto its own member's calendars. */
  private calendarsOf(person: Actor): Calendar[] {
    return this.calendarsByPerson.get(person)!;
  }

  // ---- settling -------------------------------------------------------------------------

  /** Blocks (deleted ones too) still waiting for their calendar. */
  pendingBlocks(): Promise<number> {
    return this.t.dataSource.manager.count(TimeBlock, {
      where: { calendarSyncStatus: 'pending' },
      withDeleted: true,
    });
  }

  /** Every account that lost its grant is connected again by the member who connected it. */
  async reconnectLost(): Promise<void> {
    const lost = await this.t.dataSource.manager.findBy(Integration, { needsReconnect: true });
    for (const integration of lost) {
      const account = this.accounts.find((a) => a.integrationId === integration.id)!;
      const owner = this.people.find((p) => p.user.id === integration.connectedById)!;
      await this.emulators.reconnect(this.t, owner, this.team.url, account);
      this.reconnects += 1;
    }
  }

  /** Asks for a pull of every calendar now: answers the time the pulls must be newer than. */
  async pullAll(): Promise<Date> {
    const since = new Date(Date.now() + 1_000);
    await this.t.dataSource.manager.update(
      Calendar,
      { organizationId: this.team.organization.id },
      { nextPullAt: null },
    );
    return since;
  }

  /** Calendars not pulled since `since`. */
  calendarsBehind(since: Date): Promise<number> {
    return this.t.dataSource.manager
      .getRepository(Calendar)
      .createQueryBuilder('calendar')
      .where('calendar.organizationId = :org', { org: this.team.organization.id })
      .andWhere('(calendar.lastPulledAt IS NULL OR calendar.lastPulledAt < :since)', { since })
      .getCount();
  }

  /** The pending blocks and the state of their accounts, for a failure message. */
  async stuck(): Promise<string> {
    const rows = await this.t.dataSource.manager.find(TimeBlock, {
      where: { calendarSyncStatus: 'pending' },
      withDeleted: true,
    });
    const integrations = await this.t.dataSource.manager.findBy(Integration, {
      id: In(this.accounts.map((a) => a.integrationId)),
    });
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
}
