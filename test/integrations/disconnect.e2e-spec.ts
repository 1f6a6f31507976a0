import { Calendar } from '../../src/calendars/calendar.entity';
import { AccessTokens } from '../../src/integrations/access-tokens';
import { Integration } from '../../src/integrations/integration.entity';
import { IntegrationProviders } from '../../src/integrations/integration-providers';
import { TimeBlock } from '../../src/time-blocks/time-block.entity';
import { User } from '../../src/users/user.entity';
import { googleFaults } from '../emulators/google';
import { Factory } from '../factories';
import { actingAs, makeTeam, Team } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import {
  CALENDAR_PROVIDER_NAMES,
  CalendarEmulators,
  CalendarProviderName,
  ConnectedAccount,
  integrationRow,
} from '../support/calendar-accounts';
import { databaseKind } from '../support/database';
import { readSecret } from '../support/secrets';

/*
 * Disconnecting a calendar account, end to end against the emulators: what is left of it in the
 * database (nothing: no tokens, no calendars), what is left in the user's calendar (danwel's events
 * only without `remove_events`), what becomes of the blocks (kept, without a calendar, disabled),
 * and who may do it. The events danwel "created" are written with the product's own events client,
 * as the reconciler would, and recorded on the blocks.
 */

describe(`disconnecting calendar accounts (${databaseKind()})`, () => {
  let t: TestApp;
  let factory: Factory;
  let emulators: CalendarEmulators;
  let team: Team;

  beforeAll(async () => {
    emulators = await CalendarEmulators.start();
    t = await bootApp({ env: emulators.env() });
    emulators.trustIn(t);
    factory = new Factory(t.dataSource);
    team = await makeTeam(t, factory);
  });

  afterAll(async () => {
    await t?.close();
    await emulators?.stop();
  });

  const disconnect = (integrationId: number, query = '', actor = team.member) =>
    actor.delete(team.url(`/integrations/${integrationId}${query}`));
  const blockRow = (id: number) =>
    t.dataSource.manager.findOneOrFail(TimeBlock, { where: { id }, withDeleted: true });
  const integrationCount = (id: number) => t.dataSource.manager.countBy(Integration, { id });

  async function lastAudit(action: string, auditableId: number) {
    const rows = await t.dataSource.query<Array<{ old_values: unknown; new_values: unknown }>>(
      'SELECT old_values, new_values FROM audit_logs WHERE action = ? AND auditable_id = ? ORDER BY id DESC',
      [action, auditableId],
    );
    const json = (value: unknown) =>
      (typeof value === 'string' ? JSON.parse(value) : value) as Record<string, unknown> | null;
    return rows[0] ? { old: json(rows[0].old_values), new: json(rows[0].new_values) } : undefined;
  }

  describe.each(CALENDAR_PROVIDER_NAMES)('%s', (provider: CalendarProviderName) => {
    let hour = 0;

    /**
     * `count` blocks of the account's owner on `calendar`, each with an event danwel created in
     * it (through the product's events client), recorded as the reconciler records a push.
     */
    async function pushedBlocks(
      account: ConnectedAccount,
      count: number,
      values: Partial<Pick<TimeBlock, 'calendarSyncStatus' | 'deletedAt'>> = {},
      calendar: Calendar = account.calendars[0],
    ): Promise<TimeBlock[]> {
      const integration = await integrationRow(t, account.integrationId);
      const owner = await t.dataSource.manager.findOneByOrFail(User, {
        id: integration.connectedById,
      });
      const blocks: TimeBlock[] = [];
      for (let i = 0; i < count; i++) {
        hour += 1;
        const startTime = new Date(Date.UTC(2030, 0, 1, 0) + hour * 3_600_000);
        blocks.push(
          await factory.timeBlock(team.organization, owner, {
            calendar,
            title: `Pushed block ${hour}`,
            startTime,
            endTime: new Date(startTime.getTime() + 3_600_000),
            calendarSyncStatus: 'synced',
            syncVersion: 1,
            ...values,
          }),
        );
      }
      const token = await t.app.get(AccessTokens).current(account.integrationId);
      const client = t.app.get(IntegrationProviders).get(provider).events();
      for (let start = 0; start < blocks.length; start += client.maxBatchSize) {
        const chunk = blocks.slice(start, start + client.maxBatchSize);
        const results = await client.apply(
          token,
          chunk.map((block) => ({
            kind: 'create' as const,
            calendarExternalId: calendar.externalId,
            calendarId: calendar.id,
            event: {
              blockId: block.id,
              title: block.title,
              description: null,
              start: block.startTime,
              end: block.endTime,
              timeZone: 'UTC',
            },
          })),
        );
        for (const [index, result] of results.entries()) {
          if (!result.ok) throw new Error(`creating an event failed: ${result.failure.message}`);
          chunk[index].externalCalendarEventId = result.eventId;
          chunk[index].syncedCalendarId = calendar.id;
          await t.dataSource.manager.update(
            TimeBlock,
            { id: chunk[index].id },
            { externalCalendarEventId: result.eventId, syncedCalendarId: calendar.id },
          );
        }
      }
      return blocks;
    }

    /** An event the user made in the same calendar themselves: never danwel's to delete. */
    function usersOwnEvent(account: ConnectedAccount, calendar: Calendar): string {
      if (provider === 'google_calendar') {
        return emulators.google.asUser(account.email).insert(calendar.externalId, {
          summary: 'Dentist',
          start: { dateTime: '2030-02-01T10:00:00Z' },
          end: { dateTime: '2030-02-01T11:00:00Z' },
        }).id!;
      }
      return emulators.ms.state.userCreate(
        account.email,
        {
          subject: 'Dentist',
          start: { dateTime: '2030-02-01T10:00:00', timeZone: 'UTC' },
          end: { dateTime: '2030-02-01T11:00:00', timeZone: 'UTC' },
        },
        calendar.externalId,
      ).id as string;
    }

    const eventIds = (account: ConnectedAccount, calendar = account.calendars[0]) =>
      emulators
        .events(account, calendar)
        .map((event) => event.id)
        .sort();

    it('without remove_events: tokens and calendars gone, grant revoked, events stay, blocks disabled', async () => {
      const account = await emulators.connect(t, team.member, team.url, provider);
      const [primary] = account.calendars;
      const live = await pushedBlocks(account, 2);
      const [deleted] = await pushedBlocks(account, 1, {
        calendarSyncStatus: 'pending',
        deletedAt: new Date(),
      });
      const unpushed = await factory.timeBlock(team.organization, team.member.user, {
        calendar: primary,
        calendarSyncStatus: 'pending',
      });
      // Moved here from another account of the member's: its old event waits to be removed there.
      const elsewhere = await emulators.connect(t, team.member, team.url, provider);
      const [moving] = await pushedBlocks(elsewhere, 1, {}, elsewhere.calendars[0]);
      await t.dataSource.manager.update(
        TimeBlock,
        { id: moving.id },
        { calendarId: primary.id, calendarSyncStatus: 'pending' },
      );
      const events = eventIds(account);
      expect(events).toHaveLength(3);
      const raw = await integrationRow(t, account.integrationId);
      const accessToken = readSecret(t, 'integrations.access_token', raw.id, raw.accessToken);
      emulators.clearTraffic();

      const response = await disconnect(account.integrationId);
      expect(response.status).toBe(204);

      expect(
        await t.dataSource.query('SELECT * FROM integrations WHERE id = ?', [
          account.integrationId,
        ]),
      ).toEqual([]);
      expect(
        await t.dataSource.query(
          'SELECT id FROM integrations WHERE access_token = ? OR refresh_token = ?',
          [raw.accessToken, raw.refreshToken],
        ),
      ).toEqual([]);
      expect(
        await t.dataSource.manager.countBy(Calendar, { integrationId: account.integrationId }),
      ).toBe(0);
      expect(eventIds(account)).toEqual(events);

      for (const block of [...live, deleted, unpushed]) {
        expect(await blockRow(block.id)).toMatchObject({
          calendarId: null,
          syncedCalendarId: null,
          externalCalendarEventId: null,
          calendarSyncStatus: 'disabled',
        });
      }
      expect(await blockRow(deleted.id)).toMatchObject({ deletedAt: expect.any(Date) });
      expect(await blockRow(moving.id)).toMatchObject({
        calendarId: null,
        syncedCalendarId: elsewhere.calendars[0].id,
        externalCalendarEventId: moving.externalCalendarEventId,
        calendarSyncStatus: 'pending',
      });

      const revokes = emulators.google.requests.filter((r) => r.operation === 'oauth.revoke');
      if (provider === 'google_calendar') {
        expect(revokes.map((r) => r.status)).toEqual([200]);
        const probe = await fetch(`${emulators.google.url}/calendar/v3/users/me/calendarList`, {
          headers: { authorization: `Bearer ${accessToken}` },
        });
        expect(probe.status).toBe(401);
      } else {
        expect(revokes).toEqual([]);
      }
      expect(await lastAudit('integration.disconnected', account.integrationId)).toEqual({
        old: {
          provider,
          provider_account_email: account.email,
          connected_by: team.member.user.id,
          calendars: account.calendars.length,
        },
        new: {
          remove_events: false,
          events_removed: 0,
          revoked_at_provider: provider === 'google_calendar',
          time_blocks_detached: 5,
        },
      });
      expect(
        (await team.member.get(team.url(`/integrations/${account.integrationId}`))).status,
      ).toBe(404);
      expect((await disconnect(account.integrationId)).status).toBe(404);
    });

    it('with remove_events=true: deletes every event danwel made there, in batches, then disconnects', async () => {
      const account = await emulators.connect(t, team.member, team.url, provider);
      const [primary, second] = account.calendars;
      const client = t.app.get(IntegrationProviders).get(provider).events();
      const many = await pushedBlocks(account, client.maxBatchSize + 2);
      const [deleted] = await pushedBlocks(account, 1, {
        calendarSyncStatus: 'pending',
        deletedAt: new Date(),
      });
      const onSecond = await pushedBlocks(account, 1, {}, second);
      const own = usersOwnEvent(account, primary);
      expect(eventIds(account)).toHaveLength(client.maxBatchSize + 4);
      emulators.clearTraffic();

      const response = await disconnect(account.integrationId, '?remove_events=true');
      expect(response.status).toBe(204);

      expect(eventIds(account)).toEqual([own]);
      expect(eventIds(account, second)).toEqual([]);
      const { writes, batches } = emulators.writeTraffic(provider);
      expect(writes).toBe(client.maxBatchSize + 4);
      expect(Math.max(...batches)).toBe(client.maxBatchSize);
      expect(await integrationCount(account.integrationId)).toBe(0);
      for (const block of [...many, deleted, ...onSecond]) {
        expect(await blockRow(block.id)).toMatchObject({
          calendarId: null,
          externalCalendarEventId: null,
          calendarSyncStatus: 'disabled',
        });
      }
      expect(await lastAudit('integration.disconnected', account.integrationId)).toMatchObject({
        new: { remove_events: true, events_removed: client.maxBatchSize + 4 },
      });
    });

    it('refreshes the access token once when the provider refuses it, and carries on', async () => {
      const account = await emulators.connect(t, team.member, team.url, provider);
      await pushedBlocks(account, 2);
      emulators.expireTokens(account);

      const response = await disconnect(account.integrationId, '?remove_events=true');
      expect(response.status).toBe(204);
      expect(eventIds(account)).toEqual([]);
      expect(await integrationCount(account.integrationId)).toBe(0);
    });

    it('keeps the account connected when events cannot be removed; a retry finishes', async () => {
      const account = await emulators.connect(t, team.member, team.url, provider);
      const blocks = await pushedBlocks(account, 3);
      const stuck = blocks[1];
      // The id's URL-safe middle, so the pattern needs no escaping.
      const path = new RegExp(stuck.externalCalendarEventId!.replace(/[^A-Za-z0-9]/g, '.'));
      const handle =
        provider === 'google_calendar'
          ? emulators.google.faults.add({
              match: { method: 'DELETE', path },
              times: Infinity,
              fault: googleFaults.backendError(),
            })
          : emulators.ms.faults.add({
              match: { method: 'DELETE', path },
              times: Infinity,
              fault: { kind: 'serverError' },
            });

      let response;
      try {
        response = await disconnect(account.integrationId, '?remove_events=true');
      } finally {
        handle.remove();
      }
      expect(response.status).toBe(502);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body).toMatchObject({
        status: 502,
        code: 'events_not_removed',
        events_removed: 2,
        events_not_removed: 1,
      });
      expect((response.body as { detail: string }).detail).toMatch(/^1 of 3 calendar events/);

      const integration = await integrationRow(t, account.integrationId);
      expect(integration).toMatchObject({ syncLeaseOwner: null, syncLeaseExpiresAt: null });
      const token = readSecret(
        t,
        'integrations.access_token',
        integration.id,
        integration.accessToken,
      );
      expect(token.length).toBeGreaterThan(10);
      expect(eventIds(account)).toEqual([stuck.externalCalendarEventId]);
      for (const block of blocks) {
        expect(await blockRow(block.id)).toMatchObject({
          calendarId: account.calendars[0].id,
          externalCalendarEventId: block === stuck ? stuck.externalCalendarEventId : null,
        });
      }
      expect(
        await lastAudit('integration.events_removal_failed', account.integrationId),
      ).toMatchObject({
        new: { events_removed: 2, events_not_removed: 1 },
      });
      expect(
        (await team.member.get(team.url(`/integrations/${account.integrationId}`))).status,
      ).toBe(200);

      const retried = await disconnect(account.integrationId, '?remove_events=true');
      expect(retried.status).toBe(204);
      expect(eventIds(account)).toEqual([]);
      expect(await lastAudit('integration.disconnected', account.integrationId)).toMatchObject({
        new: { events_removed: 1 },
      });
    });

    it('answers 409 needs_reconnect when events must be removed but the grant is gone', async () => {
      const account = await emulators.connect(t, team.member, team.url, provider);
      await pushedBlocks(account, 1);
      emulators.revokeAccess(account);
      emulators.expireTokens(account);

      const refused = await disconnect(account.integrationId, '?remove_events=true');
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ code: 'needs_reconnect' });
      expect(await integrationRow(t, account.integrationId)).toMatchObject({
        needsReconnect: true,
        syncLeaseOwner: null,
      });
      expect(eventIds(account)).toHaveLength(1);

      // Without removing events the account can always be let go; the event stays.
      expect((await disconnect(account.integrationId)).status).toBe(204);
      expect(await integrationCount(account.integrationId)).toBe(0);
      expect(eventIds(account)).toHaveLength(1);
    });

    it('lets only the account’s owner and admins disconnect it', async () => {
      const account = await emulators.connect(t, team.member, team.url, provider);
      const colleague = await factory.user();
      await factory.member(team.organization, colleague, 'member');
      const outsider = await makeTeam(t, factory);

      expect(
        (await disconnect(account.integrationId, '', await actingAs(t, colleague))).status,
      ).toBe(404);
      expect((await disconnect(account.integrationId, '', team.viewer)).status).toBe(404);
      expect(
        (await outsider.owner.delete(outsider.url(`/integrations/${account.integrationId}`)))
          .status,
      ).toBe(404);
      expect(
        (await outsider.owner.delete(team.url(`/integrations/${account.integrationId}`))).status,
      ).toBe(404);
      expect((await disconnect(account.integrationId, '?remove_events=maybe')).status).toBe(422);
      expect(await integrationCount(account.integrationId)).toBe(1);

      expect((await disconnect(account.integrationId, '', team.admin)).status).toBe(204);
      expect(await integrationCount(account.integrationId)).toBe(0);
    });
  });

  describe('the sync lease', () => {
    /** An account whose tokens this test never uses (no events to remove, revoke skipped). */
    const leasedAccount = (expiresInMs: number) =>
      factory.integration(team.organization, {
        connectedBy: team.member.user,
        syncLeaseOwner: 'worker-a:123',
        syncLeaseExpiresAt: new Date(Date.now() + expiresInMs),
      });

    it('waits for a sync worker to hand the account back', async () => {
      // Held for another second or two: a disconnect that did not wait would answer 409.
      const integration = await leasedAccount(1_500);
      expect((await disconnect(integration.id)).status).toBe(204);
      expect(await integrationCount(integration.id)).toBe(0);
    });

    it('answers 409 with Retry-After while a worker keeps it, and changes nothing', async () => {
      const integration = await leasedAccount(60_000);
      const response = await disconnect(integration.id);
      expect(response.status).toBe(409);
      expect(response.body).toMatchObject({ code: 'integration_busy' });
      expect(Number(response.headers['retry-after'])).toBeGreaterThan(40);
      expect(await integrationRow(t, integration.id)).toMatchObject({
        syncLeaseOwner: 'worker-a:123',
      });
    });
  });
});
