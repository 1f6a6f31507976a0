import { Calendar } from '../../src/calendars/calendar.entity';
import { Factory } from '../factories';
import { Actor, actingAs, makeTeam, Team } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import { databaseKind } from '../support/database';
import { blockBody, blockState, HOUR_MS, storedBlock } from './support';

/*
 * A block goes only onto its own member's calendars. Naming a colleague's calendar id — in a
 * create, a PATCH, a bulk operation, or by an admin handing a block to someone else — is refused
 * on `calendar_id` and writes nothing; a calendar its owner shared with the organization takes
 * everyone's blocks. Only that owner can share it, and the calendar list says which calendars
 * each caller can use.
 */

const FOREIGN =
  "calendar_id is another member's calendar: it holds only their own blocks, unless they " +
  'share it with the organization.';

describe(`blocks go onto their owner's own calendars (${databaseKind()})`, () => {
  let t: TestApp;
  let factory: Factory;
  let team: Team;
  /** Ann plans; Bob is her colleague with calendars of his own. */
  let ann: Actor;
  let bob: Actor;
  let annCalendar: Calendar;
  let annReadOnly: Calendar;
  let bobCalendar: Calendar;
  let bobTeamCalendar: Calendar;
  let hour = 0;

  beforeAll(async () => {
    t = await bootApp();
    factory = new Factory(t.dataSource);
    team = await makeTeam(t, factory);
    ann = team.member;
    const bobUser = await factory.user({ name: 'Bob' });
    await factory.member(team.organization, bobUser, 'member');
    bob = await actingAs(t, bobUser);
    const annAccount = await factory.integration(team.organization, { connectedBy: ann.user });
    annCalendar = await factory.calendar(annAccount, { name: 'Ann' });
    annReadOnly = await factory.calendar(annAccount, {
      name: 'Ann holidays',
      syncDirection: 'read',
    });
    const bobAccount = await factory.integration(team.organization, { connectedBy: bob.user });
    bobCalendar = await factory.calendar(bobAccount, { name: 'Bob' });
    bobTeamCalendar = await factory.calendar(bobAccount, { name: 'Team' });
    const shared = await bob.patch(team.url(`/calendars/${bobTeamCalendar.id}`), {
      shared_with_organization: true,
    });
    expect(shared.status).toBe(200);
    expect(shared.body).toMatchObject({ shared_with_organization: true, usable: true });
  });
  afterAll(() => t?.close());

  /** A fresh hour on 2025-07-01 for every block, so no two overlap. */
  const nextHour = () => new Date(Date.parse('2025-07-01T00:00:00Z') + hour++ * HOUR_MS);
  const body = (values: Record<string, unknown> = {}) =>
    blockBody(values, nextHour().toISOString());
  const state = () => blockState(t, team.organization.id);
  const annsBlock = (calendar: Calendar | null = null) => {
    const startTime = nextHour();
    return factory.timeBlock(team.organization, ann.user, {
      startTime,
      endTime: new Date(startTime.getTime() + HOUR_MS),
      calendarId: calendar?.id ?? null,
    });
  };

  /** Expects a 422 naming `field` with the foreign-calendar message, and no change at all. */
  async function refused(
    send: () => Promise<{ status: number; body: { errors?: unknown } }>,
    field = 'calendar_id',
  ) {
    const before = await state();
    const response = await send();
    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual({ [field]: [FOREIGN] });
    expect(await state()).toEqual(before);
  }

  describe('creating', () => {
    it("refuses a colleague's calendar, for the member and for an admin planning for them", async () => {
      await refused(() =>
        ann.post(team.url('/time-blocks'), body({ calendar_id: bobCalendar.id })),
      );
      await refused(() =>
        team.admin.post(
          team.url('/time-blocks'),
          body({ user_id: ann.user.id, calendar_id: bobCalendar.id }),
        ),
      );
    });

    it('takes the member’s own calendar and a shared one', async () => {
      for (const [actor, calendar] of [
        [ann, annCalendar],
        [ann, bobTeamCalendar],
        [team.admin, annCalendar],
      ] as const) {
        const response = await actor.post(
          team.url('/time-blocks'),
          body({ user_id: ann.user.id, calendar_id: calendar.id }),
        );
        expect(response.status).toBe(201);
        expect(response.body).toMatchObject({ user_id: ann.user.id, calendar_id: calendar.id });
      }
    });
  });

  describe('PATCH', () => {
    it("refuses moving a block onto a colleague's calendar; own and shared calendars work", async () => {
      const block = await annsBlock(annCalendar);
      const url = team.url(`/time-blocks/${block.id}`);
      await refused(() => ann.patch(url, { calendar_id: bobCalendar.id }));
      await refused(() => team.owner.patch(url, { calendar_id: bobCalendar.id, title: 'Moved' }));

      const toShared = await ann.patch(url, { calendar_id: bobTeamCalendar.id });
      expect(toShared.status).toBe(200);
      expect(toShared.body).toMatchObject({ calendar_id: bobTeamCalendar.id });
      const back = await ann.patch(url, { calendar_id: annCalendar.id });
      expect(back.status).toBe(200);
      expect((await storedBlock(t, block.id))?.calendarId).toBe(annCalendar.id);
    });
  });

  describe('bulk', () => {
    it("refuses the whole batch when one operation names a colleague's calendar", async () => {
      const block = await annsBlock();
      const operations = [
        { op: 'create', data: body({ calendar_id: annCalendar.id }) },
        { op: 'update', id: block.id, data: { calendar_id: bobCalendar.id } },
      ];
      await refused(
        () => ann.post(team.url('/time-blocks/bulk'), { operations }),
        'operations.1.data.calendar_id',
      );
      await refused(
        () =>
          ann.post(team.url('/time-blocks/bulk'), {
            operations: [{ op: 'create', data: body({ calendar_id: bobCalendar.id }) }],
          }),
        'operations.0.data.calendar_id',
      );

      const legitimate = await ann.post(team.url('/time-blocks/bulk'), {
        operations: [
          operations[0],
          { op: 'update', id: block.id, data: { calendar_id: bobTeamCalendar.id } },
        ],
      });
      expect(legitimate.status).toBe(200);
      expect((await storedBlock(t, block.id))?.calendarId).toBe(bobTeamCalendar.id);
    });
  });

  describe('an admin handing a block to another member', () => {
    it("refuses leaving it on the previous owner's calendar; moving it with the block works", async () => {
      const block = await annsBlock(annCalendar);
      const url = team.url(`/time-blocks/${block.id}`);
      await refused(() => team.admin.patch(url, { user_id: bob.user.id }));
      await refused(() =>
        team.admin.patch(url, { user_id: bob.user.id, calendar_id: annCalendar.id }),
      );

      const handed = await team.admin.patch(url, {
        user_id: bob.user.id,
        calendar_id: bobCalendar.id,
      });
      expect(handed.status).toBe(200);
      expect(handed.body).toMatchObject({ user_id: bob.user.id, calendar_id: bobCalendar.id });

      // Off any calendar, or on a shared one, a block can change hands freely.
      const onShared = await annsBlock(bobTeamCalendar);
      const toBob = await team.admin.patch(team.url(`/time-blocks/${onShared.id}`), {
        user_id: bob.user.id,
      });
      expect(toBob.status).toBe(200);
      const offCalendar = await annsBlock();
      expect(
        (
          await team.admin.patch(team.url(`/time-blocks/${offCalendar.id}`), {
            user_id: bob.user.id,
          })
        ).status,
      ).toBe(200);
    });
  });

  describe('sharing a calendar', () => {
    it('only the account’s owner may share or unshare it; an admin gets 403', async () => {
      const before = await t.dataSource.manager.findOneByOrFail(Calendar, { id: bobCalendar.id });
      for (const value of [true, false]) {
        const byAdmin = await team.admin.patch(team.url(`/calendars/${bobCalendar.id}`), {
          shared_with_organization: value,
          is_enabled: true,
        });
        if (value) {
          expect(byAdmin.status).toBe(403);
          expect(byAdmin.headers['content-type']).toMatch(/^application\/problem\+json/);
        } else {
          // Asking for what already is changes nothing and is no sharing decision.
          expect(byAdmin.status).toBe(200);
        }
        expect(
          (
            await ann.patch(team.url(`/calendars/${bobCalendar.id}`), {
              shared_with_organization: value,
            })
          ).status,
        ).toBe(403);
      }
      expect(await t.dataSource.manager.findOneByOrFail(Calendar, { id: bobCalendar.id })).toEqual(
        before,
      );
      const invalid = await bob.patch(team.url(`/calendars/${bobCalendar.id}`), {
        shared_with_organization: 'yes',
      });
      expect(invalid.status).toBe(422);
      expect(invalid.body.errors).toEqual({
        shared_with_organization: ['shared_with_organization must be true or false'],
      });
    });

    it('unshared again, the calendar takes only its owner’s blocks', async () => {
      const calendar = await factory.calendar(
        await factory.integration(team.organization, { connectedBy: bob.user }),
        { sharedWithOrganization: true },
      );
      expect(
        (await ann.post(team.url('/time-blocks'), body({ calendar_id: calendar.id }))).status,
      ).toBe(201);
      const unshared = await bob.patch(team.url(`/calendars/${calendar.id}`), {
        shared_with_organization: false,
      });
      expect(unshared.status).toBe(200);
      expect(unshared.body).toMatchObject({ shared_with_organization: false, usable: true });
      await refused(() => ann.post(team.url('/time-blocks'), body({ calendar_id: calendar.id })));
      const audit = await t.dataSource.query<Array<{ new_values: unknown }>>(
        "SELECT new_values FROM audit_logs WHERE action = 'calendar.updated' AND auditable_id = ?",
        [calendar.id],
      );
      expect(JSON.stringify(audit)).toContain('shared_with_organization');
    });
  });

  it('the calendar list says which calendars the caller can use for their own blocks', async () => {
    const usable = async (actor: Actor) => {
      const response = await actor.get(team.url('/calendars?limit=100'));
      expect(response.status).toBe(200);
      const data = (response.body as { data: Array<{ id: number; usable: boolean }> }).data;
      return Object.fromEntries(data.map((calendar) => [calendar.id, calendar.usable]));
    };
    expect(await usable(ann)).toMatchObject({
      [annCalendar.id]: true,
      [annReadOnly.id]: false,
      [bobCalendar.id]: false,
      [bobTeamCalendar.id]: true,
    });
    expect(await usable(bob)).toMatchObject({
      [annCalendar.id]: false,
      [annReadOnly.id]: false,
      [bobCalendar.id]: true,
      [bobTeamCalendar.id]: true,
    });
    // An admin may manage every account, but plans only onto their own or shared calendars.
    expect(await usable(team.admin)).toMatchObject({
      [annCalendar.id]: false,
      [bobCalendar.id]: false,
      [bobTeamCalendar.id]: true,
    });
  });
});
