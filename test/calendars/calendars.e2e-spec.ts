import { Calendar } from '../../src/calendars/calendar.entity';
import { Integration } from '../../src/integrations/integration.entity';
import { TimeBlock } from '../../src/time-blocks/time-block.entity';
import { googleFaults } from '../emulators/google';
import { Factory } from '../factories';
import { Actor, actingAs, makeTeam, Team } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import {
  CALENDAR_PROVIDER_NAMES,
  CalendarEmulators,
  ConnectedAccount,
  integrationRow,
} from '../support/calendar-accounts';
import { databaseKind } from '../support/database';

/*
 * The organization's calendars: the list every member sees, the settings the account's owner and
 * admins change (and what that does to the blocks on a calendar), and re-reading an account's
 * calendar list from Google / Microsoft 365 through the emulators.
 */

interface ShownCalendar {
  id: number;
  name: string;
  color: string | null;
  is_primary: boolean;
  is_enabled: boolean;
  sync_direction: string;
  is_writable: boolean;
  external_id: string;
  integration: {
    id: number;
    provider: string;
    provider_account_email: string | null;
    is_active: boolean;
    needs_reconnect: boolean;
  };
  owner: { id: number; name: string } | null;
}

const dataOf = (body: unknown) => (body as { data: ShownCalendar[] }).data;

describe(`calendars (${databaseKind()})`, () => {
  let t: TestApp;
  let factory: Factory;
  let emulators: CalendarEmulators;
  let team: Team;
  let other: Team;
  let memberAccount: ConnectedAccount;
  let adminAccount: ConnectedAccount;

  beforeAll(async () => {
    emulators = await CalendarEmulators.start();
    t = await bootApp({ env: emulators.env() });
    emulators.trustIn(t);
    factory = new Factory(t.dataSource);
    team = await makeTeam(t, factory);
    other = await makeTeam(t, factory);
    memberAccount = await emulators.connect(t, team.member, team.url, 'google_calendar');
    adminAccount = await emulators.connect(t, team.admin, team.url, 'office365');
  });

  afterAll(async () => {
    await t?.close();
    await emulators?.stop();
  });

  const calendarRow = (id: number) => t.dataSource.manager.findOneByOrFail(Calendar, { id });
  const blockRow = (id: number) =>
    t.dataSource.manager.findOneOrFail(TimeBlock, { where: { id }, withDeleted: true });

  async function auditOf(action: string, auditableId: number) {
    const rows = await t.dataSource.query<Array<{ old_values: unknown; new_values: unknown }>>(
      'SELECT old_values, new_values FROM audit_logs WHERE action = ? AND auditable_id = ? ORDER BY id',
      [action, auditableId],
    );
    const json = (value: unknown) =>
      (typeof value === 'string' ? JSON.parse(value) : value) as Record<string, unknown>;
    return rows.map((row) => ({ old: json(row.old_values), new: json(row.new_values) }));
  }

  describe('the list', () => {
    it('shows every member all calendars of the organization, with account and owner, no tokens', async () => {
      const response = await team.viewer.get(team.url('/calendars?limit=100'));
      expect(response.status).toBe(200);
      const calendars = dataOf(response.body);
      const ids = [...memberAccount.calendars, ...adminAccount.calendars].map((c) => c.id);
      expect(calendars.map((c) => c.id).sort((a, b) => a - b)).toEqual(ids.sort((a, b) => a - b));

      const primary = calendars.find((c) => c.id === memberAccount.calendars[0].id)!;
      expect(primary).toEqual({
        id: memberAccount.calendars[0].id,
        name: memberAccount.email,
        color: expect.stringMatching(/^#[0-9a-f]{6}$/),
        is_primary: true,
        is_enabled: true,
        sync_direction: 'both',
        is_writable: true,
        shared_with_organization: false,
        // The viewer's own blocks cannot go onto a colleague's calendar.
        usable: false,
        external_id: memberAccount.email,
        integration: {
          id: memberAccount.integrationId,
          provider: 'google_calendar',
          // A colleague's account address is the account owner's and the admins' business.
          provider_account_email: null,
          is_active: true,
          needs_reconnect: false,
        },
        owner: { id: team.member.user.id, name: team.member.user.name },
        created_at: expect.any(String),
        updated_at: expect.any(String),
      });
      // The account's owner and the admins and owners do see it.
      for (const actor of [team.member, team.admin, team.owner]) {
        const shown = dataOf((await actor.get(team.url('/calendars?limit=100'))).body);
        const account = shown.find((c) => c.id === memberAccount.calendars[0].id)!;
        expect(account.integration.provider_account_email).toBe(memberAccount.email);
      }
      const colleague = dataOf((await team.member.get(team.url('/calendars?limit=100'))).body);
      expect(
        colleague.find((c) => c.id === adminAccount.calendars[0].id)!.integration
          .provider_account_email,
      ).toBeNull();
      const outlook = calendars.find((c) => c.id === adminAccount.calendars[0].id)!;
      expect(outlook.integration.provider).toBe('office365');
      expect(outlook.owner).toEqual({ id: team.admin.user.id, name: team.admin.user.name });

      const row = await integrationRow(t, memberAccount.integrationId);
      expect(response.text).not.toContain(row.accessToken);
      expect(response.text).not.toMatch(/access_token|refresh_token|token_metadata|v[12]:/);
      // By name, in the database's collation (MySQL's ignores case, SQLite's does not).
      const names = calendars.map((c) => c.name);
      const byCollation = (a: string, b: string) =>
        databaseKind() === 'mysql'
          ? a.localeCompare(b, 'en', { sensitivity: 'base' })
          : a < b
            ? -1
            : 1;
      expect(names).toEqual([...names].sort(byCollation));
    });

    it('filters by integration, enabled flag and direction; pages with a cursor', async () => {
      const ofMember = await team.member.get(
        team.url(`/calendars?integration_id=${memberAccount.integrationId}`),
      );
      expect(dataOf(ofMember.body).map((c) => c.integration.id)).toEqual([
        memberAccount.integrationId,
        memberAccount.integrationId,
      ]);

      const [, extra] = adminAccount.calendars;
      expect(
        (await team.admin.patch(team.url(`/calendars/${extra.id}`), { is_enabled: false })).status,
      ).toBe(200);
      const disabled = await team.member.get(team.url('/calendars?is_enabled=false'));
      expect(dataOf(disabled.body).map((c) => c.id)).toEqual([extra.id]);
      const enabled = await team.member.get(team.url('/calendars?is_enabled=true&limit=100'));
      expect(dataOf(enabled.body).map((c) => c.id)).not.toContain(extra.id);
      expect(dataOf(enabled.body)).toHaveLength(3);
      await team.admin.patch(team.url(`/calendars/${extra.id}`), { is_enabled: true });

      await team.admin.patch(team.url(`/calendars/${extra.id}`), { sync_direction: 'read' });
      const readOnly = await team.member.get(team.url('/calendars?sync_direction=read'));
      expect(dataOf(readOnly.body).map((c) => [c.id, c.is_writable])).toEqual([[extra.id, false]]);
      await team.admin.patch(team.url(`/calendars/${extra.id}`), { sync_direction: 'both' });

      const first = await team.member.get(team.url('/calendars?limit=3'));
      const cursor = (first.body as { next_cursor: string }).next_cursor;
      expect(cursor).toEqual(expect.any(String));
      const second = await team.member.get(team.url(`/calendars?limit=3&cursor=${cursor}`));
      expect((second.body as { next_cursor: string | null }).next_cursor).toBeNull();
      expect([...dataOf(first.body), ...dataOf(second.body)]).toHaveLength(4);
    });

    it('answers 422 for filters it cannot read, and nothing for another organization’s ids', async () => {
      const bad = await team.member.get(
        team.url('/calendars?is_enabled=maybe&sync_direction=sideways&integration_id=x'),
      );
      expect(bad.status).toBe(422);
      expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(Object.keys((bad.body as { errors: object }).errors).sort()).toEqual([
        'integration_id',
        'is_enabled',
        'sync_direction',
      ]);

      const foreign = await other.owner.get(
        other.url(`/calendars?integration_id=${memberAccount.integrationId}`),
      );
      expect(foreign.status).toBe(200);
      expect(dataOf(foreign.body)).toEqual([]);
      expect((await other.owner.get(team.url('/calendars'))).status).toBe(404);
    });

    it('lists calendars of an account that needs a reconnect, saying so', async () => {
      const integration = await factory.integration(team.organization, {
        connectedBy: team.member.user,
        needsReconnect: true,
        isActive: false,
      });
      const calendar = await factory.calendar(integration, { name: 'Stale account calendar' });
      const response = await team.viewer.get(
        team.url(`/calendars?integration_id=${integration.id}`),
      );
      expect(dataOf(response.body)).toEqual([
        expect.objectContaining({
          id: calendar.id,
          integration: expect.objectContaining({ needs_reconnect: true, is_active: false }),
        }),
      ]);
    });
  });

  describe('changing a calendar', () => {
    let calendar: Calendar;

    beforeAll(() => {
      calendar = memberAccount.calendars[1];
    });

    /** Blocks of the member on `calendar`: synced, failed and backing off, deleted, elsewhere. */
    async function blocksOnCalendar() {
      const user = team.member.user;
      const synced = await factory.timeBlock(team.organization, user, {
        calendar,
        calendarSyncStatus: 'synced',
        syncVersion: 3,
        syncedCalendarId: calendar.id,
        externalCalendarEventId: 'dn0000000000001',
      });
      const failing = await factory.timeBlock(team.organization, user, {
        calendar,
        calendarSyncStatus: 'pending',
        syncVersion: 5,
        syncAttempts: 4,
        syncRetryAt: new Date(Date.now() + 3_600_000),
        syncError: 'backendError: try again',
      });
      const deleted = await factory.timeBlock(team.organization, user, {
        calendar,
        calendarSyncStatus: 'pending',
        syncVersion: 2,
        syncedCalendarId: calendar.id,
        externalCalendarEventId: 'dn0000000000002',
        deletedAt: new Date(),
      });
      const elsewhere = await factory.timeBlock(team.organization, user, {
        calendar: memberAccount.calendars[0],
        calendarSyncStatus: 'synced',
        syncVersion: 1,
      });
      return { synced, failing, deleted, elsewhere };
    }

    it('disabling marks its live blocks disabled (events stay), enabling marks them pending again', async () => {
      const blocks = await blocksOnCalendar();

      const off = await team.member.patch(team.url(`/calendars/${calendar.id}`), {
        is_enabled: false,
      });
      expect(off.status).toBe(200);
      expect(off.body).toMatchObject({ id: calendar.id, is_enabled: false, is_writable: false });
      expect(await blockRow(blocks.synced.id)).toMatchObject({
        calendarSyncStatus: 'disabled',
        syncVersion: 4,
        externalCalendarEventId: 'dn0000000000001',
      });
      expect(await blockRow(blocks.failing.id)).toMatchObject({
        calendarSyncStatus: 'disabled',
        syncVersion: 6,
      });
      // The soft-deleted block still has its event to remove: the reconciler's, untouched here.
      expect(await blockRow(blocks.deleted.id)).toMatchObject({
        calendarSyncStatus: 'pending',
        syncVersion: 2,
      });
      expect(await blockRow(blocks.elsewhere.id)).toMatchObject({
        calendarSyncStatus: 'synced',
        syncVersion: 1,
      });
      expect((await auditOf('calendar.updated', calendar.id)).at(-1)).toEqual({
        old: { is_enabled: true },
        new: { is_enabled: false, time_blocks_disabled: 2, time_blocks_resumed: 0 },
      });

      // No new block can be planned onto it.
      const planned = await team.member.post(team.url('/time-blocks'), {
        title: 'Onto a disabled calendar',
        start_time: '2030-01-01T09:00:00Z',
        end_time: '2030-01-01T10:00:00Z',
        calendar_id: calendar.id,
      });
      expect(planned.status).toBe(422);

      const on = await team.member.patch(team.url(`/calendars/${calendar.id}`), {
        is_enabled: true,
      });
      expect(on.status).toBe(200);
      for (const [block, version] of [
        [blocks.synced, 5],
        [blocks.failing, 7],
      ] as const) {
        expect(await blockRow(block.id)).toMatchObject({
          calendarSyncStatus: 'pending',
          syncVersion: version,
          syncAttempts: 0,
          syncRetryAt: null,
          syncError: null,
        });
      }
      expect(await blockRow(blocks.elsewhere.id)).toMatchObject({ calendarSyncStatus: 'synced' });
      expect((await auditOf('calendar.updated', calendar.id)).at(-1)).toEqual({
        old: { is_enabled: false },
        new: { is_enabled: true, time_blocks_disabled: 0, time_blocks_resumed: 2 },
      });
    });

    it('a read-only direction stops the pushes too; between writable directions nothing changes', async () => {
      const { synced } = await blocksOnCalendar();
      const patch = (body: object) =>
        team.member.patch(team.url(`/calendars/${calendar.id}`), body);

      expect((await patch({ sync_direction: 'read' })).body).toMatchObject({ is_writable: false });
      expect(await blockRow(synced.id)).toMatchObject({ calendarSyncStatus: 'disabled' });
      expect((await patch({ sync_direction: 'write' })).body).toMatchObject({ is_writable: true });
      const resumed = await blockRow(synced.id);
      expect(resumed.calendarSyncStatus).toBe('pending');

      const same = await patch({ sync_direction: 'both', color: '#AABBCC' });
      expect(same.body).toMatchObject({ sync_direction: 'both', color: '#aabbcc' });
      expect(await blockRow(synced.id)).toMatchObject({
        calendarSyncStatus: 'pending',
        syncVersion: resumed.syncVersion,
      });
      expect((await auditOf('calendar.updated', calendar.id)).at(-1)).toEqual({
        old: { sync_direction: 'write', color: expect.any(String) },
        new: {
          sync_direction: 'both',
          color: '#aabbcc',
          time_blocks_disabled: 0,
          time_blocks_resumed: 0,
        },
      });

      const audits = (await auditOf('calendar.updated', calendar.id)).length;
      expect((await patch({})).status).toBe(200);
      expect(await auditOf('calendar.updated', calendar.id)).toHaveLength(audits);
    });

    it('lets the account’s owner and admins change it; other members get 403, viewers 403', async () => {
      const adminCalendar = adminAccount.calendars[0];
      const refused = await team.member.patch(team.url(`/calendars/${adminCalendar.id}`), {
        is_enabled: false,
      });
      expect(refused.status).toBe(403);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      const viewer = await team.viewer.patch(team.url(`/calendars/${calendar.id}`), {
        color: '#000000',
      });
      expect(viewer.status).toBe(403);
      expect(await calendarRow(adminCalendar.id)).toMatchObject({ isEnabled: true });

      for (const actor of [team.admin, team.owner]) {
        const color = actor === team.admin ? '#111111' : '#222222';
        const changed = await actor.patch(team.url(`/calendars/${calendar.id}`), { color });
        expect(changed.status).toBe(200);
        expect((await calendarRow(calendar.id)).color).toBe(color);
      }
    });

    it('only the account’s owner enables a calendar or widens its direction; admins narrow', async () => {
      const account = await emulators.connect(t, team.member, team.url, 'google_calendar', 1, {
        enableExtra: false,
      });
      const [primary, extra] = account.calendars;
      // Found at connect: the primary calendar is on, the others wait for their owner.
      expect(primary).toMatchObject({ isEnabled: true });
      expect(extra).toMatchObject({ isEnabled: false });
      const patch = (actor: Actor, id: number, body: object) =>
        actor.patch(team.url(`/calendars/${id}`), body);

      for (const actor of [team.admin, team.owner]) {
        const refused = await patch(actor, extra.id, { is_enabled: true });
        expect(refused.status).toBe(403);
        expect(refused.body.detail).toMatch(/Only the member who connected/);
      }
      expect(await calendarRow(extra.id)).toMatchObject({ isEnabled: false });
      expect((await patch(team.member, extra.id, { is_enabled: true })).status).toBe(200);

      // Narrowing is open to admins; widening again is the owner's.
      expect((await patch(team.admin, primary.id, { sync_direction: 'read' })).status).toBe(200);
      expect((await patch(team.admin, primary.id, { sync_direction: 'both' })).status).toBe(403);
      expect((await patch(team.owner, primary.id, { sync_direction: 'write' })).status).toBe(403);
      expect(await calendarRow(primary.id)).toMatchObject({ syncDirection: 'read' });
      expect((await patch(team.admin, primary.id, { is_enabled: false })).status).toBe(200);
      expect((await patch(team.admin, primary.id, { is_enabled: true })).status).toBe(403);
      expect(
        (await patch(team.member, primary.id, { is_enabled: true, sync_direction: 'both' })).status,
      ).toBe(200);
      expect(await calendarRow(primary.id)).toMatchObject({
        isEnabled: true,
        syncDirection: 'both',
      });
    });

    it('answers 404 for unknown and other organizations’ calendars', async () => {
      const foreign = await factory.calendar(
        await factory.integration(other.organization, { connectedBy: other.owner.user }),
      );
      for (const [actor, url] of [
        [team.owner, team.url(`/calendars/${foreign.id}`)],
        [team.owner, team.url('/calendars/999999')],
        [team.owner, team.url('/calendars/abc')],
        [other.owner, other.url(`/calendars/${calendar.id}`)],
        [other.owner, team.url(`/calendars/${calendar.id}`)],
      ] as Array<[Actor, string]>) {
        const response = await actor.patch(url, { is_enabled: false });
        expect({ url, status: response.status }).toEqual({ url, status: 404 });
      }
      expect(await calendarRow(foreign.id)).toMatchObject({ isEnabled: true });
      expect(await calendarRow(calendar.id)).toMatchObject({ isEnabled: true });
    });

    it('answers 422 with field errors for bad input and changes nothing', async () => {
      const before = await calendarRow(calendar.id);
      const bad = await team.member.patch(team.url(`/calendars/${calendar.id}`), {
        is_enabled: 'yes',
        sync_direction: 'sideways',
        color: 'red',
      });
      expect(bad.status).toBe(422);
      expect((bad.body as { errors: Record<string, string[]> }).errors).toEqual({
        is_enabled: ['is_enabled must be true or false'],
        sync_direction: ['sync_direction must be one of read, write, both'],
        color: ['color must be a hex color such as #4f46e5'],
      });
      const nulls = await team.member.patch(team.url(`/calendars/${calendar.id}`), {
        is_enabled: null,
        sync_direction: null,
        color: null,
      });
      expect(Object.keys((nulls.body as { errors: object }).errors).sort()).toEqual([
        'color',
        'is_enabled',
        'sync_direction',
      ]);
      const unknown = await team.member.patch(team.url(`/calendars/${calendar.id}`), {
        name: 'Renamed',
        external_id: 'someone-else@example.com',
      });
      expect(unknown.status).toBe(422);
      expect((unknown.body as { errors: object }).errors).toEqual({
        name: ['name is not an accepted field.'],
        external_id: ['external_id is not an accepted field.'],
      });
      expect(await calendarRow(calendar.id)).toEqual(before);
    });
  });

  describe.each(CALENDAR_PROVIDER_NAMES)('refreshing the calendar list of %s', (provider) => {
    let account: ConnectedAccount;
    let actor: Actor;

    beforeAll(async () => {
      actor = team.member;
      account = await emulators.connect(t, actor, team.url, provider, 3);
    });

    const refresh = (as: Actor = actor) =>
      as.post(team.url(`/integrations/${account.integrationId}/calendars/refresh`));
    const storedCalendars = () =>
      t.dataSource.manager.find(Calendar, {
        where: { integrationId: account.integrationId },
        order: { id: 'ASC' },
      });

    /** What the user does in Google Calendar / Outlook to the account's calendar list. */
    const atProvider = {
      rename(externalId: string, name: string) {
        if (provider === 'google_calendar') {
          emulators.google.store.account(account.email).calendars.get(externalId)!.summary = name;
        } else {
          emulators.ms.state.account(account.email).calendars.get(externalId)!.name = name;
        }
      },
      add(name: string) {
        if (provider === 'google_calendar')
          emulators.google.addCalendar(account.email, { summary: name });
        else emulators.ms.state.addCalendar(emulators.ms.state.account(account.email), name);
      },
      remove(externalId: string) {
        if (provider === 'google_calendar') {
          emulators.google.store.account(account.email).calendars.delete(externalId);
        } else {
          emulators.ms.state.account(account.email).calendars.delete(externalId);
        }
      },
    };

    it('adds, renames and removes calendars; one still used by blocks is kept, disabled', async () => {
      const [primary, renamed, unused, used] = account.calendars;
      const user = actor.user;
      const live = await factory.timeBlock(team.organization, user, {
        calendar: used,
        calendarSyncStatus: 'synced',
        syncVersion: 1,
      });
      await factory.timeBlock(team.organization, user, {
        calendar: primary,
        calendarSyncStatus: 'synced',
        syncVersion: 1,
      });
      atProvider.rename(renamed.externalId, 'Renamed at the provider');
      atProvider.add('Added at the provider');
      atProvider.remove(unused.externalId);
      atProvider.remove(used.externalId);

      const response = await refresh();
      expect(response.status).toBe(200);
      const shown = dataOf(response.body);
      expect(shown[0]).toMatchObject({ id: primary.id, is_primary: true });
      expect(shown.map((c) => [c.name, c.is_enabled]).sort()).toEqual(
        [
          [primary.name, true],
          ['Renamed at the provider', true],
          // Only the primary calendar starts enabled: the owner turns others on.
          ['Added at the provider', false],
          [used.name, false],
        ].sort(),
      );
      expect(shown.every((c) => c.integration.id === account.integrationId)).toBe(true);

      const stored = await storedCalendars();
      expect(stored.map((c) => c.id)).not.toContain(unused.id);
      expect(stored.find((c) => c.id === used.id)).toMatchObject({ isEnabled: false });
      const added = stored.find((c) => c.name === 'Added at the provider')!;
      expect(added).toMatchObject({ isEnabled: false, syncDirection: 'both', isPrimary: false });
      expect(await blockRow(live.id)).toMatchObject({
        calendarId: used.id,
        calendarSyncStatus: 'disabled',
        syncVersion: 2,
      });
      expect(
        (await auditOf('integration.calendars_refreshed', account.integrationId)).at(-1),
      ).toEqual({
        old: null,
        new: {
          calendars: 3,
          added: ['Added at the provider'],
          updated: ['Renamed at the provider'],
          removed: [unused.name],
          disabled: [used.name],
          time_blocks_disabled: 1,
        },
      });

      // Again, with nothing new at the provider: the same list, nothing changes.
      const again = await refresh();
      expect(dataOf(again.body)).toEqual(
        shown.map((c) => ({ ...c, updated_at: expect.any(String) })),
      );
      expect(
        (await auditOf('integration.calendars_refreshed', account.integrationId)).at(-1),
      ).toMatchObject({ new: { added: [], updated: [], removed: [], disabled: [] } });
    });

    it('gets a fresh token when the provider refuses the stored one', async () => {
      const before = await integrationRow(t, account.integrationId);
      emulators.expireTokens(account);

      const response = await refresh();
      expect(response.status).toBe(200);
      expect(dataOf(response.body).length).toBeGreaterThan(0);
      expect((await integrationRow(t, account.integrationId)).accessToken).not.toBe(
        before.accessToken,
      );
    });

    it('answers 502 and changes nothing when the provider fails', async () => {
      atProvider.add('Not seen while the provider is down');
      const before = await storedCalendars();
      const handle =
        provider === 'google_calendar'
          ? emulators.google.faults.add({
              match: { operation: 'calendarList.list' },
              times: Infinity,
              fault: googleFaults.backendError(),
            })
          : emulators.ms.faults.add({
              match: { method: 'GET', path: /\/calendars$/ },
              times: Infinity,
              fault: { kind: 'serverError' },
            });
      try {
        const response = await refresh();
        expect(response.status).toBe(502);
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(response.body).toMatchObject({ status: 502, code: 'provider_unavailable' });
      } finally {
        handle.remove();
      }
      expect(await storedCalendars()).toEqual(before);
    });

    it('answers 404 to a member for a colleague’s account and 403 to viewers', async () => {
      const colleague = await factory.user();
      await factory.member(team.organization, colleague, 'member');
      const stranger = await actingAs(t, colleague);
      expect((await refresh(stranger)).status).toBe(404);
      expect((await refresh(team.viewer)).status).toBe(403);
      expect((await refresh(team.admin)).status).toBe(200);
    });

    it('answers 409 needs_reconnect when the provider refuses the refresh token', async () => {
      emulators.revokeAccess(account);
      emulators.expireTokens(account);

      const response = await refresh();
      expect(response.status).toBe(409);
      expect(response.body).toMatchObject({
        status: 409,
        code: 'needs_reconnect',
        integration_id: account.integrationId,
      });
      expect(await integrationRow(t, account.integrationId)).toMatchObject({
        needsReconnect: true,
      });
      const listed = await actor.get(
        team.url(`/calendars?integration_id=${account.integrationId}`),
      );
      expect(dataOf(listed.body).every((c) => c.integration.needs_reconnect)).toBe(true);
      expect(await t.dataSource.manager.countBy(Integration, { id: account.integrationId })).toBe(
        1,
      );
    });
  });
});
