import { CalendarEvent } from '../../src/calendar-events/calendar-event.entity';
import { Calendar } from '../../src/calendars/calendar.entity';
import { Integration } from '../../src/integrations/integration.entity';
import { Invitation } from '../../src/invitations/invitation.entity';
import { TimeBlock } from '../../src/time-blocks/time-block.entity';
import { Factory } from '../factories';
import { Actor, actingAs, makeTeam, Team } from '../support/actors';
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
 * Nothing of a member outlives their membership: removed, leaving, or their organization deleted,
 * their connected accounts there stop at once and are then disconnected (grant revoked, tokens,
 * calendars and busy time gone, blocks detached); invitations they sent stop working.
 */
describe(`connections end with the membership (${databaseKind()})`, () => {
  let t: TestApp;
  let factory: Factory;
  let emulators: CalendarEmulators;

  beforeAll(async () => {
    emulators = await CalendarEmulators.start();
    t = await bootApp({ env: emulators.env() });
    emulators.trustIn(t);
    factory = new Factory(t.dataSource);
  });
  afterAll(async () => {
    await t?.close();
    await emulators?.stop();
  });

  const reasonOf = async (integrationId: number) => {
    const rows = await t.dataSource.query<{ new_values: unknown }[]>(
      "SELECT new_values FROM audit_logs WHERE action = 'integration.disconnected' AND auditable_id = ?",
      [integrationId],
    );
    return rows.map((row) => {
      const values =
        typeof row.new_values === 'string' ? JSON.parse(row.new_values) : row.new_values;
      return (values as { reason?: string }).reason;
    });
  };

  /** A member with a connected account, a block on it and busy time from it. */
  async function connectedMember(team: Team, provider: CalendarProviderName) {
    const user = await factory.user();
    await factory.member(team.organization, user, 'admin');
    const actor = await actingAs(t, user);
    const account = await emulators.connect(t, actor, team.url, provider);
    const block = await factory.timeBlock(team.organization, user, {
      calendar: account.calendars[0],
      calendarSyncStatus: 'pending',
    });
    await factory.calendarEvent(account.calendars[0]);
    const raw = await integrationRow(t, account.integrationId);
    const accessToken = readSecret(t, 'integrations.access_token', raw.id, raw.accessToken);
    return { user, actor, account, block, accessToken };
  }

  /** After the job ran: no tokens, calendars or busy time, the block kept without a calendar. */
  async function expectDisconnected(
    account: ConnectedAccount,
    block: TimeBlock,
    accessToken: string,
    provider: CalendarProviderName,
  ) {
    expect(await t.dataSource.manager.countBy(Integration, { id: account.integrationId })).toBe(0);
    expect(
      await t.dataSource.manager.countBy(Calendar, { integrationId: account.integrationId }),
    ).toBe(0);
    expect(await t.dataSource.manager.findOneByOrFail(TimeBlock, { id: block.id })).toMatchObject({
      calendarId: null,
      calendarSyncStatus: 'disabled',
    });
    if (provider === 'google_calendar') {
      const probe = await fetch(`${emulators.google.url}/calendar/v3/users/me/calendarList`, {
        headers: { authorization: `Bearer ${accessToken}` },
      });
      expect(probe.status).toBe(401);
    }
  }

  describe.each(CALENDAR_PROVIDER_NAMES)('%s', (provider: CalendarProviderName) => {
    it('a removed member: their account stops at once, then is disconnected; their invitations die', async () => {
      const team = await makeTeam(t, factory);
      const { user, account, block, accessToken } = await connectedMember(team, provider);
      const sent = await factory.invitation(team.organization, { invitedBy: user });

      await team.owner.delete(team.url(`/members/${user.id}`)).expect(204);

      // At once, before any job ran: not synced, not plannable, no busy time, invitation revoked.
      expect(await integrationRow(t, account.integrationId)).toMatchObject({ isActive: false });
      expect(await t.dataSource.manager.countBy(CalendarEvent, { userId: user.id })).toBe(0);
      const planned = await team.owner
        .post(team.url('/time-blocks'), {
          title: 'Onto the departed calendar',
          start_time: '2030-02-01T09:00:00Z',
          end_time: '2030-02-01T10:00:00Z',
          calendar_id: account.calendars[0].id,
        })
        .expect(422);
      expect(Object.keys(planned.body.errors)).toContain('calendar_id');
      expect(
        (await t.dataSource.manager.findOneByOrFail(Invitation, { id: sent.id })).revokedAt,
      ).not.toBeNull();

      await t.worker.drain();
      await expectDisconnected(account, block, accessToken, provider);
      expect(await reasonOf(account.integrationId)).toEqual(['member_removed']);
    });

    it('a member who leaves, and every member of a deleted organization', async () => {
      const team = await makeTeam(t, factory);
      const leaver = await connectedMember(team, provider);
      const stayer = await connectedMember(team, provider);

      await leaver.actor.delete(team.url(`/members/${leaver.user.id}`)).expect(204);
      await t.worker.drain();
      await expectDisconnected(leaver.account, leaver.block, leaver.accessToken, provider);
      expect(await reasonOf(leaver.account.integrationId)).toEqual(['member_left']);
      expect(await integrationRow(t, stayer.account.integrationId)).toMatchObject({
        isActive: true,
      });

      await team.owner.delete(team.url()).expect(204);
      await t.worker.drain();
      expect(
        await t.dataSource.manager.countBy(Integration, { organizationId: team.organization.id }),
      ).toBe(0);
      expect(await reasonOf(stayer.account.integrationId)).toEqual(['organization_deleted']);
    });
  });

  it('a member demoted to viewer can still disconnect their own account; their invitations die', async () => {
    const team = await makeTeam(t, factory);
    const { user, actor, account } = await connectedMember(team, 'google_calendar');
    const sent = await factory.invitation(team.organization, { invitedBy: user });

    await team.owner.patch(team.url(`/members/${user.id}`), { role: 'viewer' }).expect(200);
    expect(
      (await t.dataSource.manager.findOneByOrFail(Invitation, { id: sent.id })).revokedAt,
    ).not.toBeNull();

    await actor.delete(team.url(`/integrations/${account.integrationId}`)).expect(204);
    expect(await t.dataSource.manager.countBy(Integration, { id: account.integrationId })).toBe(0);
  });

  it('a demotion below admin revokes their invitations; a promotion touches none', async () => {
    const team = await makeTeam(t, factory);
    const sent = await factory.invitation(team.organization, { invitedBy: team.admin.user });
    const demoted: Actor = team.admin;
    await team.owner.patch(team.url(`/members/${demoted.user.id}`), { role: 'member' }).expect(200);
    expect(
      (await t.dataSource.manager.findOneByOrFail(Invitation, { id: sent.id })).revokedAt,
    ).not.toBeNull();
    const other = await factory.invitation(team.organization, { invitedBy: team.owner.user });
    const promoted = await factory.user();
    await factory.member(team.organization, promoted, 'member');
    await team.owner.patch(team.url(`/members/${promoted.id}`), { role: 'admin' }).expect(200);
    expect(
      (await t.dataSource.manager.findOneByOrFail(Invitation, { id: other.id })).revokedAt,
    ).toBeNull();
  });
});
