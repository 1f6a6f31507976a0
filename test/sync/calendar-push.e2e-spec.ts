import { IsNull, Not } from 'typeorm';
import { Calendar } from '../../src/calendars/calendar.entity';
import { AccessTokens } from '../../src/integrations/access-tokens';
import { Integration } from '../../src/integrations/integration.entity';
import { CalendarReconciler } from '../../src/sync/calendar-reconciler';
import { TimeBlock } from '../../src/time-blocks/time-block.entity';
import { Factory } from '../factories';
import { makeTeam, Team } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import {
  CALENDAR_PROVIDER_NAMES,
  CalendarEmulators,
  ConnectedAccount,
  integrationRow,
} from '../support/calendar-accounts';
import { databaseKind } from '../support/database';
import { readSecret } from '../support/secrets';

/*
 * The calendar push, end to end and per provider: blocks written through the API, the reconciler
 * run as a worker runs it, the real SDK clients talking to the emulators, and the outcome checked
 * where a user would look — the events in their Google / Outlook calendar and the block's status.
 */

/**
 * Requests per second danwel allows itself; the emulators' own quota is 100 per second. danwel
 * counts a request when it sends it, the emulator when it arrives: the headroom absorbs a loaded
 * machine delivering one window's requests late into the next.
 */
const OUR_BUDGET = 60;
const PROVIDER_QUOTA = 100;

describe.each(CALENDAR_PROVIDER_NAMES)(`pushing blocks to %s (${databaseKind()})`, (provider) => {
  let t: TestApp;
  let emulators: CalendarEmulators;
  let team: Team;
  let account: ConnectedAccount;
  let primary: Calendar;
  let other: Calendar;
  let reconciler: CalendarReconciler;
  let day = 0;

  beforeAll(async () => {
    emulators = await CalendarEmulators.start();
    const budget =
      provider === 'google_calendar'
        ? { GOOGLE_CALENDAR_MAX_REQUESTS: String(OUR_BUDGET), GOOGLE_CALENDAR_WINDOW_SECONDS: '1' }
        : { MICROSOFT_GRAPH_MAX_REQUESTS: String(OUR_BUDGET), MICROSOFT_GRAPH_WINDOW_SECONDS: '1' };
    t = await bootApp({
      env: {
        ...emulators.env(),
        ...budget,
        SYNC_BACKOFF_BASE_SECONDS: '30',
        SYNC_REQUEST_TIMEOUT_MS: '5000',
      },
    });
    emulators.trustIn(t);
    team = await makeTeam(t, new Factory(t.dataSource));
    account = await emulators.connect(t, team.member, team.url, provider);
    [primary, other] = account.calendars;
    reconciler = t.app.get(CalendarReconciler);
  });

  afterAll(async () => {
    await t?.close();
    await emulators?.stop();
  });

  /** A block of the member's, on its own day so that nothing overlaps. */
  async function createBlock(values: Record<string, unknown> = {}): Promise<number> {
    day += 1;
    const date = new Date(Date.UTC(2027, 0, 1 + day)).toISOString().slice(0, 10);
    const response = await team.member.post(team.url('/time-blocks')).send({
      title: `Deep work ${day}`,
      description: 'No meetings',
      start_time: `${date}T09:00:00`,
      end_time: `${date}T11:30:00`,
      timezone: 'Europe/Amsterdam',
      calendar_id: primary.id,
      ...values,
    });
    expect(response.status).toBe(201);
    return (response.body as { id: number }).id;
  }

  const edit = async (id: number, values: Record<string, unknown>) => {
    const response = await team.member.patch(team.url(`/time-blocks/${id}`)).send(values);
    expect(response.status).toBe(200);
  };

  const block = (id: number) =>
    t.dataSource.manager.findOneOrFail(TimeBlock, { where: { id }, withDeleted: true });

  const eventsOf = (id: number, calendar: Calendar) =>
    emulators.events(account, calendar).filter((event) => event.blockId === String(id));

  /** Time travel: every backoff and pause is over. */
  async function everythingDue(): Promise<void> {
    await t.dataSource.manager.update(
      TimeBlock,
      { syncRetryAt: Not(IsNull()) },
      { syncRetryAt: null },
    );
    await t.dataSource.manager.update(
      Integration,
      { syncRetryAt: Not(IsNull()) },
      { syncRetryAt: null },
    );
  }

  it('creates the event with the block’s title, times, time zone and id, and marks it synced', async () => {
    const id = await createBlock({ title: 'Write the proposal' });
    await reconciler.drain();

    const [event, ...more] = eventsOf(id, primary);
    expect(more).toEqual([]);
    const row = await block(id);
    expect(event).toMatchObject({
      id: row.externalCalendarEventId,
      title: 'Write the proposal',
      description: 'No meetings',
      timeZone: 'Europe/Amsterdam',
      blockId: String(id),
    });
    expect(event.start.toISOString()).toBe(row.startTime.toISOString());
    expect(event.end.toISOString()).toBe(row.endTime.toISOString());
    expect(row.syncedCalendarId).toBe(primary.id);

    const shown = await team.member.get(team.url(`/time-blocks/${id}`));
    expect(shown.body).toMatchObject({ calendar_sync_status: 'synced', sync_error: null });
    expect(shown.body.last_synced_at).not.toBeNull();
    const integration = await team.member.get(team.url(`/integrations/${account.integrationId}`));
    expect(integration.body).toMatchObject({
      last_error: null,
      error_count: 0,
      blocks: { pending: 0, error: 0 },
    });
    expect(integration.body.last_sync_at).not.toBeNull();
  });

  it('pushes an edit to the same event', async () => {
    const id = await createBlock();
    await reconciler.drain();
    const eventId = (await block(id)).externalCalendarEventId;

    await edit(id, {
      title: 'Renamed',
      end_time: '2030-01-01T00:00:00Z',
      start_time: '2029-12-31T22:00:00Z',
    });
    expect((await block(id)).calendarSyncStatus).toBe('pending');
    await reconciler.drain();

    const events = eventsOf(id, primary);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ id: eventId, title: 'Renamed' });
    expect(events[0].start.toISOString()).toBe('2029-12-31T22:00:00.000Z');
    expect(events[0].end.toISOString()).toBe('2030-01-01T00:00:00.000Z');
    expect((await block(id)).calendarSyncStatus).toBe('synced');
  });

  it('moving a block to another calendar deletes the old event and creates the new one', async () => {
    const id = await createBlock();
    await reconciler.drain();

    await edit(id, { calendar_id: other.id });
    await reconciler.drain();
    expect(eventsOf(id, primary)).toEqual([]);
    expect(eventsOf(id, other)).toHaveLength(1);
    expect(await block(id)).toMatchObject({
      syncedCalendarId: other.id,
      calendarSyncStatus: 'synced',
    });

    // And back again: one event in the first calendar, none in the other.
    await edit(id, { calendar_id: primary.id, title: 'Back home' });
    await reconciler.drain();
    expect(eventsOf(id, other)).toEqual([]);
    expect(eventsOf(id, primary)).toEqual([expect.objectContaining({ title: 'Back home' })]);
    expect((await block(id)).calendarSyncStatus).toBe('synced');
  });

  it('deleting a block, or taking it off its calendar, deletes its event', async () => {
    const deleted = await createBlock();
    const unplanned = await createBlock();
    await reconciler.drain();
    expect(eventsOf(deleted, primary)).toHaveLength(1);

    const response = await team.member.delete(team.url(`/time-blocks/${deleted}`));
    expect(response.status).toBe(204);
    await edit(unplanned, { calendar_id: null });
    expect((await block(deleted)).calendarSyncStatus).toBe('pending');
    expect((await block(unplanned)).calendarSyncStatus).toBe('pending');
    await reconciler.drain();

    expect(eventsOf(deleted, primary)).toEqual([]);
    expect(eventsOf(unplanned, primary)).toEqual([]);
    expect(await block(deleted)).toMatchObject({
      calendarSyncStatus: 'synced',
      externalCalendarEventId: null,
    });
    expect(await block(unplanned)).toMatchObject({
      calendarSyncStatus: 'disabled',
      externalCalendarEventId: null,
    });
  });

  it('a create whose response was lost is not duplicated when it is retried', async () => {
    const id = await createBlock({ title: 'Lost in transit' });
    emulators.fault(provider, { kind: 'lostResponse' });
    await reconciler.drain();

    // The provider applied the write; danwel never heard back and will try again.
    expect(eventsOf(id, primary)).toHaveLength(1);
    const failed = await block(id);
    expect(failed.calendarSyncStatus).toBe('pending');
    expect(failed.syncAttempts).toBe(1);
    expect(failed.syncError).toMatch(/connection_reset|timeout/);

    await everythingDue();
    await reconciler.drain();
    const events = eventsOf(id, primary);
    expect(events).toHaveLength(1);
    expect(await block(id)).toMatchObject({
      calendarSyncStatus: 'synced',
      externalCalendarEventId: events[0].id,
      syncAttempts: 0,
      syncError: null,
    });
  });

  it('an edit made while the block is being pushed is pushed again, not overwritten', async () => {
    const id = await createBlock({ title: 'Before' });
    emulators.fault(provider, { kind: 'delay', ms: 700 });
    emulators.clearTraffic();
    const pushing = reconciler.drain();
    await waitFor(() => emulators.writeTraffic(provider).writes > 0);
    await edit(id, { title: 'After' });
    await pushing;

    // "Before" landed while the row moved on; its write-back did not mark the block synced, so
    // the same pass pushed "After" as a second write. (A stale "synced" would have stopped at
    // "Before".)
    expect(emulators.writeTraffic(provider).writes).toBe(2);
    expect(eventsOf(id, primary)).toEqual([expect.objectContaining({ title: 'After' })]);
    expect(await block(id)).toMatchObject({ calendarSyncStatus: 'synced', title: 'After' });
  });

  it('429 with Retry-After pauses the whole integration for that long', async () => {
    const id = await createBlock();
    emulators.fault(provider, { kind: 'throttle', retryAfter: 7 });
    const before = Date.now();
    await reconciler.drain();

    const integration = await integrationRow(t, account.integrationId);
    const waitMs = integration.syncRetryAt!.getTime() - before;
    expect(waitMs).toBeGreaterThanOrEqual(5_000);
    expect(waitMs).toBeLessThanOrEqual(9_000);
    expect(integration.lastError).toMatch(/throttled/);
    expect((await block(id)).calendarSyncStatus).toBe('pending');

    // Nothing is sent before the provider's time is up.
    emulators.clearTraffic();
    expect(await reconciler.runOnce()).toBe(0);
    expect(emulators.writeTraffic(provider).writes).toBe(0);

    await everythingDue();
    await reconciler.drain();
    expect(eventsOf(id, primary)).toHaveLength(1);
    expect((await block(id)).calendarSyncStatus).toBe('synced');
    expect(await integrationRow(t, account.integrationId)).toMatchObject({
      lastError: null,
      errorCount: 0,
    });
  });

  it('a server error backs the block off, shows the error, and a later attempt succeeds', async () => {
    const id = await createBlock();
    emulators.fault(provider, { kind: 'serverError' });
    const before = Date.now();
    await reconciler.drain();

    const failed = await block(id);
    expect(failed).toMatchObject({ calendarSyncStatus: 'pending', syncAttempts: 1 });
    expect(failed.syncRetryAt!.getTime()).toBeGreaterThanOrEqual(before);
    const shown = await team.member.get(team.url(`/time-blocks/${id}`));
    expect(shown.body.sync_error).toMatch(/500|backendError|generalException/i);
    expect(eventsOf(id, primary)).toEqual([]);

    await everythingDue();
    await reconciler.drain();
    expect(eventsOf(id, primary)).toHaveLength(1);
    expect(await block(id)).toMatchObject({ calendarSyncStatus: 'synced', syncAttempts: 0 });
  });

  it('a refused access token is refreshed once, the new tokens stored, and the write retried', async () => {
    const before = await integrationRow(t, account.integrationId);
    const id = await createBlock();
    emulators.expireTokens(account);
    await reconciler.drain();

    expect(eventsOf(id, primary)).toHaveLength(1);
    expect((await block(id)).calendarSyncStatus).toBe('synced');
    const after = await integrationRow(t, account.integrationId);
    const access = (row: Integration) =>
      readSecret(t, 'integrations.access_token', row.id, row.accessToken);
    const refresh = (row: Integration) =>
      readSecret(t, 'integrations.refresh_token', row.id, row.refreshToken!);
    expect(access(after)).not.toBe(access(before));
    if (provider === 'office365') {
      // Microsoft rotates the refresh token on every refresh; the old one is dead now.
      expect(refresh(after)).not.toBe(refresh(before));
    }
    expect(after.needsReconnect).toBe(false);
  });

  it('refreshes a refused token once, however many callers ask at the same time', async () => {
    const tokens = t.app.get(AccessTokens);
    const rejected = await tokens.current(account.integrationId);
    const refreshes = () => emulators.tokenRequests(provider);
    const before = refreshes();

    const answers = await Promise.all(
      Array.from({ length: 4 }, () => tokens.afterUnauthorized(account.integrationId, rejected)),
    );
    expect(refreshes() - before).toBe(1);
    expect(new Set(answers).size).toBe(1);
    expect(answers[0]).not.toBe(rejected);
    const stored = await integrationRow(t, account.integrationId);
    expect(readSecret(t, 'integrations.access_token', stored.id, stored.accessToken)).toBe(
      answers[0],
    );
  });

  it('a create that got no answer, then a move before the retry, leaves no event behind', async () => {
    const id = await createBlock({ title: 'Moved in the dark' });
    emulators.fault(provider, { kind: 'lostResponse' });
    await reconciler.drain();
    expect(eventsOf(id, primary)).toHaveLength(1); // made, but danwel never heard

    await edit(id, { calendar_id: other.id });
    await everythingDue();
    await reconciler.drain();
    expect(eventsOf(id, primary)).toEqual([]);
    expect(eventsOf(id, other)).toEqual([expect.objectContaining({ title: 'Moved in the dark' })]);
    expect(await block(id)).toMatchObject({
      calendarSyncStatus: 'synced',
      syncedCalendarId: other.id,
    });
  });

  it('a create that got no answer, then an edit before the retry, ends with the edited event', async () => {
    const id = await createBlock({ title: 'First draft' });
    emulators.fault(provider, { kind: 'lostResponse' });
    await reconciler.drain();
    await edit(id, { title: 'Final draft' });
    await everythingDue();
    await reconciler.drain();

    // Graph answers a retried transactionId with the event as first written: danwel updates it.
    expect(eventsOf(id, primary)).toEqual([expect.objectContaining({ title: 'Final draft' })]);
    expect((await block(id)).calendarSyncStatus).toBe('synced');
  });

  it('120 blocks go out in full batches within danwel’s own request budget', async () => {
    const dates = Array.from({ length: 120 }, (_, i) => {
      const start = new Date(Date.UTC(2028, 0, 1 + i, 8));
      return {
        start_time: start.toISOString(),
        end_time: new Date(start.getTime() + 3_600_000).toISOString(),
      };
    });
    const bulk = await team.member.post(team.url('/time-blocks/bulk')).send({
      operations: dates.map((times, i) => ({
        op: 'create',
        data: { title: `Batch ${i}`, calendar_id: other.id, timezone: 'UTC', ...times },
      })),
    });
    expect(bulk.status).toBe(200);
    const restore = emulators.quota(provider, { requests: PROVIDER_QUOTA, windowMs: 1000 });
    emulators.clearTraffic();
    try {
      await reconciler.drain();
    } finally {
      restore();
    }

    const traffic = emulators.writeTraffic(provider);
    const size = provider === 'google_calendar' ? 50 : 20;
    expect(traffic.batches).toEqual(
      Array.from({ length: Math.ceil(120 / size) }, (_, i) => Math.min(size, 120 - i * size)),
    );
    expect(traffic.writes).toBe(120); // not one 429 to retry
    const pending = await t.dataSource.manager.count(TimeBlock, {
      where: { calendarId: other.id, calendarSyncStatus: Not('synced') },
    });
    expect(pending).toBe(0);
    expect(emulators.events(account, other).filter((e) => /^Batch /.test(e.title))).toHaveLength(
      120,
    );
  });

  it('in a batch, a throttled item waits while the others are done', async () => {
    const ids = [await createBlock(), await createBlock(), await createBlock()];
    emulators.fault(provider, { kind: 'throttle', retryAfter: 3 });
    await reconciler.drain();

    const statuses = await Promise.all(ids.map(async (id) => (await block(id)).calendarSyncStatus));
    expect(statuses.filter((s) => s === 'synced')).toHaveLength(2);
    expect(statuses.filter((s) => s === 'pending')).toHaveLength(1);

    await everythingDue();
    await reconciler.drain();
    for (const id of ids) {
      expect(eventsOf(id, primary)).toHaveLength(1);
      expect((await block(id)).calendarSyncStatus).toBe('synced');
    }
  });

  it('a lease held by a live worker is respected; an expired one is taken over', async () => {
    const id = await createBlock();
    const lease = (expiresInMs: number) =>
      t.dataSource.manager.update(
        Integration,
        { id: account.integrationId },
        {
          syncLeaseOwner: 'another-worker',
          syncLeaseExpiresAt: new Date(Date.now() + expiresInMs),
        },
      );
    await lease(60_000);
    expect(await reconciler.runOnce()).toBe(0);
    expect(eventsOf(id, primary)).toEqual([]);

    await lease(-1_000); // that worker died
    await reconciler.drain();
    expect(eventsOf(id, primary)).toHaveLength(1);
    expect(await integrationRow(t, account.integrationId)).toMatchObject({
      syncLeaseOwner: null,
      syncLeaseExpiresAt: null,
    });
  });

  it('a refused refresh token marks the integration as needing a reconnect and stops pushing', async () => {
    const revoked = await emulators.connect(t, team.member, team.url, provider, 0);
    const id = await createBlock({ calendar_id: revoked.calendars[0].id });
    emulators.revokeAccess(revoked);
    emulators.expireTokens(revoked);
    await reconciler.drain();

    const shown = await team.member.get(team.url(`/integrations/${revoked.integrationId}`));
    expect(shown.body).toMatchObject({ needs_reconnect: true, blocks: { pending: 1, error: 0 } });
    expect(shown.body.last_error).toMatch(/invalid_grant/);
    expect((await block(id)).calendarSyncStatus).toBe('pending');

    emulators.clearTraffic();
    await everythingDue();
    expect(await reconciler.runOnce()).toBe(0);
    expect(emulators.writeTraffic(provider).writes).toBe(0);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the condition');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
