import { Calendar } from '../../src/calendars/calendar.entity';
import { Client } from '../../src/clients/client.entity';
import { Integration } from '../../src/integrations/integration.entity';
import { Project } from '../../src/projects/project.entity';
import { TimeBlock } from '../../src/time-blocks/time-block.entity';
import { Factory } from '../factories';
import { actingAs, makeTeam, Team } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import { blockAudit, blockBody, blockState, storedBlock } from './support';

/*
 * Time blocks as the people of one organization use them: plan a block (in UTC, with an offset,
 * or as wall-clock time in a zone), look at it, move it, delete it — and what each change leaves
 * behind: the row in UTC, the sync marks the workers will pick up, and the audit trail.
 */
describe('time blocks', () => {
  let t: TestApp;
  let factory: Factory;
  let team: Team;
  let calendarIntegration: Integration;
  let calendar: Calendar;
  let client: Client;
  let project: Project;

  beforeAll(async () => {
    t = await bootApp();
    factory = new Factory(t.dataSource);
    team = await makeTeam(t, factory, { timezone: 'America/New_York' });
    calendarIntegration = await factory.integration(team.organization, {
      connectedBy: team.member.user,
    });
    calendar = await factory.calendar(calendarIntegration, { syncDirection: 'write' });
    client = await factory.client(team.organization);
    project = await factory.project(team.organization, { client });
  });
  afterAll(() => t?.close());

  const create = (body: Record<string, unknown>, as = team.member) =>
    as.post(team.url('/time-blocks'), body);

  describe('creating', () => {
    it('stores instants given with an offset in UTC and answers them in UTC and in the block’s zone', async () => {
      const response = await create({
        title: '  Quarterly report  ',
        description: 'Numbers first',
        start_time: '2025-03-31T09:00:00+02:00',
        end_time: '2025-03-31T10:30:00+02:00',
        timezone: 'Europe/Amsterdam',
        color: '#4F46E5',
        is_billable: false,
      }).expect(201);

      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.body).toEqual({
        id: expect.any(Number),
        user_id: team.member.user.id,
        title: 'Quarterly report',
        description: 'Numbers first',
        start_time: '2025-03-31T07:00:00.000Z',
        end_time: '2025-03-31T08:30:00.000Z',
        local_start: '2025-03-31T09:00:00.000+02:00',
        local_end: '2025-03-31T10:30:00.000+02:00',
        timezone: 'Europe/Amsterdam',
        color: '#4f46e5',
        client_id: null,
        project_id: null,
        calendar_id: null,
        is_billable: false,
        approval_status: 'pending',
        approved_by: null,
        approved_at: null,
        rejection_note: null,
        invoice_reference: null,
        calendar_sync_status: 'disabled',
        invoicing_sync_status: 'disabled',
        sync_version: 0,
        sync_error: null,
        invoicing_sync_error: null,
        last_synced_at: null,
        created_at: expect.any(String),
        updated_at: expect.any(String),
      });

      const row = await storedBlock(t, response.body.id);
      expect(row).toMatchObject({
        organizationId: team.organization.id,
        userId: team.member.user.id,
        startTime: new Date('2025-03-31T07:00:00Z'),
        endTime: new Date('2025-03-31T08:30:00Z'),
        timezone: 'Europe/Amsterdam',
        deletedAt: null,
      });
      // The column itself holds UTC wall time, read back as text on both databases.
      const [raw] = await t.dataSource.query(
        'SELECT CAST(start_time AS CHAR) AS start_time FROM time_blocks WHERE id = ?',
        [response.body.id],
      );
      expect(raw.start_time).toMatch(/^2025-03-31 07:00:00(\.000)?$/);

      expect(await blockAudit(t, response.body.id)).toEqual([
        {
          action: 'time_block.created',
          userId: team.member.user.id,
          oldValues: null,
          newValues: {
            user_id: team.member.user.id,
            title: 'Quarterly report',
            description: 'Numbers first',
            start_time: '2025-03-31T07:00:00.000Z',
            end_time: '2025-03-31T08:30:00.000Z',
            timezone: 'Europe/Amsterdam',
            color: '#4f46e5',
            client_id: null,
            project_id: null,
            calendar_id: null,
            is_billable: false,
          },
        },
      ]);
    });

    it('reads wall-clock times in the given zone', async () => {
      const response = await create({
        title: 'Standup with Tokyo',
        start_time: '2025-07-01T09:00',
        end_time: '2025-07-01T09:15:00',
        timezone: 'Asia/Tokyo',
      }).expect(201);

      expect(response.body).toMatchObject({
        start_time: '2025-07-01T00:00:00.000Z',
        end_time: '2025-07-01T00:15:00.000Z',
        local_start: '2025-07-01T09:00:00.000+09:00',
        local_end: '2025-07-01T09:15:00.000+09:00',
        timezone: 'Asia/Tokyo',
      });
    });

    it('defaults the zone to the owner’s, then the organization’s, then UTC', async () => {
      const lisbon = await factory.user({ timezone: 'Europe/Lisbon' });
      await factory.member(team.organization, lisbon, 'member');
      const noZone = await factory.user({ timezone: null });
      await factory.member(team.organization, noZone, 'member');
      const wallClock = { start_time: '2025-07-01T09:00', end_time: '2025-07-01T10:00' };

      // The owner's zone, even when an admin plans the block for them.
      const forLisbon = await create(
        { title: 'Planned', ...wallClock, user_id: lisbon.id },
        team.admin,
      ).expect(201);
      expect(forLisbon.body).toMatchObject({
        user_id: lisbon.id,
        timezone: 'Europe/Lisbon',
        start_time: '2025-07-01T08:00:00.000Z',
        local_start: '2025-07-01T09:00:00.000+01:00',
      });

      const inOrganizationZone = await create(
        { title: 'Mine', ...wallClock },
        await actingAs(t, noZone),
      ).expect(201);
      expect(inOrganizationZone.body).toMatchObject({
        timezone: 'America/New_York',
        start_time: '2025-07-01T13:00:00.000Z',
        local_start: '2025-07-01T09:00:00.000-04:00',
      });

      const bare = await makeTeam(t, factory, { timezone: null });
      await t.dataSource.query('UPDATE users SET timezone = NULL WHERE id = ?', [
        bare.member.user.id,
      ]);
      const inUtc = await bare.member
        .post(bare.url('/time-blocks'), { title: 'Anywhere', ...wallClock })
        .expect(201);
      expect(inUtc.body).toMatchObject({
        timezone: 'UTC',
        start_time: '2025-07-01T09:00:00.000Z',
        local_start: '2025-07-01T09:00:00.000Z',
      });
    });

    it('refuses a wall-clock time that the clocks skip (02:30 on 2025-03-30 in Amsterdam) and stores nothing', async () => {
      const before = await blockState(t, team.organization.id);
      const response = await create({
        title: 'Night shift',
        start_time: '2025-03-30T02:30',
        end_time: '2025-03-30T04:00',
        timezone: 'Europe/Amsterdam',
      }).expect(422);

      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body.errors).toEqual({
        start_time: [
          'start_time 2025-03-30T02:30 does not exist in Europe/Amsterdam: the clocks skip it (daylight saving time).',
        ],
      });
      expect(await blockState(t, team.organization.id)).toEqual(before);
    });

    it('takes the earlier of two instants when a wall-clock time happens twice (summer time ends)', async () => {
      const response = await create({
        title: 'Night shift',
        start_time: '2025-10-26T02:30',
        end_time: '2025-10-26T03:30',
        timezone: 'Europe/Amsterdam',
      }).expect(201);

      // 02:30 at +02:00 (summer time) is 00:30Z; 03:30 only exists at +01:00.
      expect(response.body).toMatchObject({
        start_time: '2025-10-26T00:30:00.000Z',
        end_time: '2025-10-26T02:30:00.000Z',
        local_start: '2025-10-26T02:30:00.000+02:00',
        local_end: '2025-10-26T03:30:00.000+01:00',
      });
    });

    it('truncates fractions of a second, as the columns store whole seconds', async () => {
      const response = await create({
        title: 'Precise',
        start_time: '2025-04-01T09:00:00.999Z',
        end_time: '2025-04-01T10:00:00.5+00:00',
      }).expect(201);

      expect(response.body).toMatchObject({
        start_time: '2025-04-01T09:00:00.000Z',
        end_time: '2025-04-01T10:00:00.000Z',
      });
      expect((await storedBlock(t, response.body.id))?.startTime).toEqual(
        new Date('2025-04-01T09:00:00Z'),
      );
    });

    it('accepts a block of exactly 24 hours and refuses anything longer, or ending at or before its start', async () => {
      const start = '2025-04-02T08:00:00Z';
      await create({
        title: 'Conference day',
        start_time: start,
        end_time: '2025-04-03T08:00:00Z',
      }).expect(201);

      const before = await blockState(t, team.organization.id);
      const cases: [string, string][] = [
        ['2025-04-03T08:00:01Z', 'end_time must be at most 24 hours after start_time'],
        [start, 'end_time must be after start_time'],
        ['2025-04-02T07:59:59Z', 'end_time must be after start_time'],
      ];
      for (const [end, message] of cases) {
        const response = await create({
          title: 'Too long',
          start_time: start,
          end_time: end,
        }).expect(422);
        expect(response.body.errors).toEqual({ end_time: [message] });
      }
      expect(await blockState(t, team.organization.id)).toEqual(before);
    });

    it('validates the body: required fields, formats, zones, colors, and no unknown fields', async () => {
      const before = await blockState(t, team.organization.id);
      const response = await create({
        title: '   ',
        start_time: '31-03-2025 09:00',
        end_time: '2025-03-31',
        timezone: 'Mars/Olympus',
        color: 'purple',
        is_billable: 'yes',
        organization_id: 99,
      }).expect(422);

      expect(Object.keys(response.body.errors).sort()).toEqual([
        'color',
        'end_time',
        'is_billable',
        'organization_id',
        'start_time',
        'timezone',
        'title',
      ]);
      expect(response.body.errors.organization_id).toEqual([
        'organization_id is not an accepted field.',
      ]);
      expect((await create({}).expect(422)).body.errors).toEqual({
        title: expect.any(Array),
        start_time: expect.any(Array),
        end_time: expect.any(Array),
      });
      expect(
        (await create(blockBody({ title: null, is_billable: null, timezone: null })).expect(422))
          .body.errors,
      ).toEqual({
        title: expect.any(Array),
        is_billable: expect.any(Array),
        timezone: expect.any(Array),
      });
      expect(await blockState(t, team.organization.id)).toEqual(before);
    });

    it('fills client_id from the project and refuses a client that is not the project’s', async () => {
      const filled = await create(
        blockBody({ project_id: project.id }, '2025-04-04T09:00:00Z'),
      ).expect(201);
      expect(filled.body).toMatchObject({ project_id: project.id, client_id: client.id });

      const agreeing = await create(
        blockBody({ project_id: project.id, client_id: client.id }, '2025-04-04T10:00:00Z'),
      ).expect(201);
      expect(agreeing.body.client_id).toBe(client.id);

      const otherClient = await factory.client(team.organization);
      const before = await blockState(t, team.organization.id);
      const refused = await create(
        blockBody({ project_id: project.id, client_id: otherClient.id }, '2025-04-04T11:00:00Z'),
      ).expect(422);
      expect(refused.body.errors).toEqual({
        client_id: [`client_id must be the project's client (${client.id}).`],
      });
      const nulled = await create(
        blockBody({ project_id: project.id, client_id: null }, '2025-04-04T11:00:00Z'),
      ).expect(422);
      expect(Object.keys(nulled.body.errors)).toEqual(['client_id']);
      expect(await blockState(t, team.organization.id)).toEqual(before);

      // A project without a client leaves the client to the block.
      const internal = await factory.project(team.organization);
      const free = await create(
        blockBody({ project_id: internal.id, client_id: otherClient.id }, '2025-04-04T12:00:00Z'),
      ).expect(201);
      expect(free.body).toMatchObject({ project_id: internal.id, client_id: otherClient.id });
    });

    it('accepts only enabled calendars of this organization that blocks can be written to', async () => {
      const both = await factory.calendar(calendarIntegration, { syncDirection: 'both' });
      const readOnly = await factory.calendar(calendarIntegration, { syncDirection: 'read' });
      const disabled = await factory.calendar(calendarIntegration, { isEnabled: false });
      const elsewhere = await makeTeam(t, factory);
      const foreign = await factory.calendar(await factory.integration(elsewhere.organization));

      await create(blockBody({ calendar_id: calendar.id }, '2025-04-05T09:00:00Z')).expect(201);
      await create(blockBody({ calendar_id: both.id }, '2025-04-05T10:00:00Z')).expect(201);

      const before = await blockState(t, team.organization.id);
      const cases: [number, string][] = [
        [readOnly.id, 'calendar_id is read-only: blocks cannot be written to it.'],
        [disabled.id, 'calendar_id is a disabled calendar.'],
        [foreign.id, 'calendar_id does not exist in this organization.'],
        [999_999, 'calendar_id does not exist in this organization.'],
      ];
      for (const [calendarId, message] of cases) {
        const response = await create(
          blockBody({ calendar_id: calendarId }, '2025-04-05T11:00:00Z'),
        ).expect(422);
        expect(response.body.errors).toEqual({ calendar_id: [message] });
      }
      expect(await blockState(t, team.organization.id)).toEqual(before);
    });

    it('refuses another organization’s client, project and member with 422 on each field', async () => {
      const elsewhere = await makeTeam(t, factory);
      const theirClient = await factory.client(elsewhere.organization);
      const theirProject = await factory.project(elsewhere.organization);
      const before = await blockState(t, team.organization.id);

      const response = await create(
        blockBody({
          client_id: theirClient.id,
          project_id: theirProject.id,
          user_id: elsewhere.member.user.id,
        }),
        team.admin,
      ).expect(422);

      expect(response.body.errors).toEqual({
        user_id: ['user_id is not a member of this organization.'],
        client_id: ['client_id does not exist in this organization.'],
        project_id: ['project_id does not exist in this organization.'],
      });
      expect(await blockState(t, team.organization.id)).toEqual(before);
    });
  });

  describe('sync marks', () => {
    it('marks a block with a calendar pending and bumps its version; without one, calendar sync is disabled', async () => {
      const withCalendar = await create(
        blockBody({ calendar_id: calendar.id }, '2025-05-01T09:00:00Z'),
      ).expect(201);
      expect(withCalendar.body).toMatchObject({
        calendar_sync_status: 'pending',
        invoicing_sync_status: 'disabled',
        sync_version: 1,
      });
      expect(await storedBlock(t, withCalendar.body.id)).toMatchObject({
        calendarSyncStatus: 'pending',
        invoicingSyncStatus: 'disabled',
        syncVersion: 1,
      });

      const without = await create(blockBody({}, '2025-05-01T10:00:00Z')).expect(201);
      expect(without.body).toMatchObject({
        calendar_sync_status: 'disabled',
        invoicing_sync_status: 'disabled',
        sync_version: 0,
      });
    });

    it('marks billable blocks for invoicing only when the organization has an active invoicing integration', async () => {
      const billing = await makeTeam(t, factory);
      const post = (body: Record<string, unknown>) =>
        billing.member.post(billing.url('/time-blocks'), body).expect(201);
      const invoicingStatus = async (body: Record<string, unknown>) =>
        (await post(body)).body.invoicing_sync_status as string;

      // A calendar integration is not an invoicing one.
      await factory.integration(billing.organization);
      expect(await invoicingStatus(blockBody({ is_billable: true }, '2025-05-02T08:00:00Z'))).toBe(
        'disabled',
      );
      const inactive = await factory.integration(billing.organization, {
        provider: 'harvest',
        providerType: 'invoicing',
        isActive: false,
      });
      expect(await invoicingStatus(blockBody({}, '2025-05-02T09:00:00Z'))).toBe('disabled');

      await t.dataSource.getRepository(Integration).update({ id: inactive.id }, { isActive: true });
      const billable = await post(blockBody({}, '2025-05-02T10:00:00Z'));
      expect(billable.body).toMatchObject({
        is_billable: true,
        calendar_sync_status: 'disabled',
        invoicing_sync_status: 'pending',
        sync_version: 1,
      });
      expect(await invoicingStatus(blockBody({ is_billable: false }, '2025-05-02T11:00:00Z'))).toBe(
        'disabled',
      );

      // Once pushed, an entry that becomes non-billable must be corrected or removed there too.
      await t.dataSource
        .getRepository(TimeBlock)
        .update(
          { id: billable.body.id },
          { invoicingSyncStatus: 'synced', externalInvoicingEntryId: 'entry-1' },
        );
      const unbilled = await billing.member
        .patch(billing.url(`/time-blocks/${billable.body.id}`), { is_billable: false })
        .expect(200);
      expect(unbilled.body).toMatchObject({ invoicing_sync_status: 'pending', sync_version: 2 });

      // Deleting a billable block marks it too: the worker removes its time entry.
      const doomed = await post(blockBody({}, '2025-05-02T12:00:00Z'));
      await billing.member.delete(billing.url(`/time-blocks/${doomed.body.id}`)).expect(204);
      expect(await storedBlock(t, doomed.body.id)).toMatchObject({
        invoicingSyncStatus: 'pending',
        calendarSyncStatus: 'disabled',
        syncVersion: 2,
        deletedAt: expect.any(Date),
      });
    });

    it('marks every change again: a synced block edited goes back to pending with a new version', async () => {
      const created = await create(
        blockBody({ calendar_id: calendar.id }, '2025-05-03T09:00:00Z'),
      ).expect(201);
      // What the sync worker will write back after pushing version 1.
      await t.dataSource.getRepository(TimeBlock).update(
        { id: created.body.id },
        {
          calendarSyncStatus: 'synced',
          externalCalendarEventId: 'evt-1',
          lastSyncedAt: new Date('2025-05-01T00:00:00Z'),
          syncError: null,
        },
      );

      const moved = await team.member
        .patch(team.url(`/time-blocks/${created.body.id}`), {
          start_time: '2025-05-03T10:00:00Z',
          end_time: '2025-05-03T11:00:00Z',
        })
        .expect(200);
      expect(moved.body).toMatchObject({ calendar_sync_status: 'pending', sync_version: 2 });

      // Removing the calendar stops calendar sync for the block.
      const detached = await team.member
        .patch(team.url(`/time-blocks/${created.body.id}`), { calendar_id: null })
        .expect(200);
      expect(detached.body).toMatchObject({
        calendar_id: null,
        calendar_sync_status: 'disabled',
        sync_version: 2,
      });
    });
  });

  describe('showing', () => {
    it('shows any block of the organization to every role, and nothing of other organizations', async () => {
      const block = await factory.timeBlock(team.organization, team.member.user, {
        timezone: 'Europe/Amsterdam',
      });
      for (const actor of [team.owner, team.admin, team.member, team.viewer]) {
        const response = await actor.get(team.url(`/time-blocks/${block.id}`)).expect(200);
        expect(response.body).toMatchObject({
          id: block.id,
          user_id: team.member.user.id,
          start_time: block.startTime.toISOString(),
          timezone: 'Europe/Amsterdam',
        });
      }

      const elsewhere = await makeTeam(t, factory);
      const theirs = await factory.timeBlock(elsewhere.organization, elsewhere.member.user);
      const notFound = await team.owner.get(team.url(`/time-blocks/${theirs.id}`)).expect(404);
      expect(notFound.body).toMatchObject({ status: 404, detail: 'Time block not found.' });
      expect(notFound.text).not.toContain(theirs.title);
      await team.owner.get(team.url('/time-blocks/abc')).expect(404);
      await team.owner.get(team.url('/time-blocks/999999999')).expect(404);
    });
  });

  describe('updating', () => {
    it('changes only what is sent and audits the changed fields, old and new', async () => {
      const created = await create(
        blockBody({ description: 'Draft', color: '#111111' }, '2025-06-02T09:00:00Z'),
      ).expect(201);
      const response = await team.member
        .patch(team.url(`/time-blocks/${created.body.id}`), {
          title: 'Final draft',
          description: null,
          end_time: '2025-06-02T11:00:00Z',
        })
        .expect(200);

      expect(response.body).toMatchObject({
        title: 'Final draft',
        description: null,
        color: '#111111',
        start_time: '2025-06-02T09:00:00.000Z',
        end_time: '2025-06-02T11:00:00.000Z',
      });
      expect((await blockAudit(t, created.body.id)).map((row) => row.action)).toEqual([
        'time_block.created',
        'time_block.updated',
      ]);
      expect((await blockAudit(t, created.body.id))[1]).toEqual({
        action: 'time_block.updated',
        userId: team.member.user.id,
        oldValues: {
          title: 'Deep work',
          description: 'Draft',
          end_time: '2025-06-02T10:00:00.000Z',
        },
        newValues: {
          title: 'Final draft',
          description: null,
          end_time: '2025-06-02T11:00:00.000Z',
        },
      });
    });

    it('writes nothing for a change that changes nothing', async () => {
      const created = await create(blockBody({}, '2025-06-03T09:00:00Z')).expect(201);
      const before = await blockState(t, team.organization.id);
      await team.member
        .patch(team.url(`/time-blocks/${created.body.id}`), {
          title: 'Deep work',
          start_time: '2025-06-03T11:00:00+02:00',
        })
        .expect(200);
      expect(await blockState(t, team.organization.id)).toEqual(before);
    });

    it('reads wall-clock times in the block’s zone, and keeps the instants when only the zone changes', async () => {
      const created = await create({
        title: 'Amsterdam morning',
        start_time: '2025-06-04T09:00',
        end_time: '2025-06-04T10:00',
        timezone: 'Europe/Amsterdam',
      }).expect(201);
      const url = team.url(`/time-blocks/${created.body.id}`);

      const later = await team.member.patch(url, { start_time: '2025-06-04T09:30' }).expect(200);
      expect(later.body).toMatchObject({
        start_time: '2025-06-04T07:30:00.000Z',
        end_time: '2025-06-04T08:00:00.000Z',
      });

      const rezoned = await team.member.patch(url, { timezone: 'Europe/London' }).expect(200);
      expect(rezoned.body).toMatchObject({
        start_time: '2025-06-04T07:30:00.000Z',
        local_start: '2025-06-04T08:30:00.000+01:00',
        timezone: 'Europe/London',
      });

      // London skips 01:00–02:00 that night (Amsterdam skips 02:00–03:00): the block's zone counts.
      const gap = await team.member
        .patch(url, { start_time: '2025-03-30T01:30', end_time: '2025-03-30T02:30' })
        .expect(422);
      expect(gap.body.errors).toEqual({
        start_time: [
          'start_time 2025-03-30T01:30 does not exist in Europe/London: the clocks skip it (daylight saving time).',
        ],
      });
    });

    it('applies the same rules as creating, to the block as it would become', async () => {
      const created = await create(
        blockBody({ project_id: project.id }, '2025-06-05T09:00:00Z'),
      ).expect(201);
      const url = team.url(`/time-blocks/${created.body.id}`);
      const otherClient = await factory.client(team.organization);
      const before = await blockState(t, team.organization.id);

      expect(
        (await team.member.patch(url, { end_time: '2025-06-05T09:00:00Z' }).expect(422)).body
          .errors,
      ).toEqual({ end_time: ['end_time must be after start_time'] });
      expect(
        (await team.member.patch(url, { start_time: '2025-06-04T08:59:59Z' }).expect(422)).body
          .errors,
      ).toEqual({ end_time: ['end_time must be at most 24 hours after start_time'] });
      expect(
        (await team.member.patch(url, { client_id: otherClient.id }).expect(422)).body.errors,
      ).toEqual({ client_id: [`client_id must be the project's client (${client.id}).`] });
      expect((await team.member.patch(url, { title: null }).expect(422)).body.errors).toEqual({
        title: expect.any(Array),
      });
      expect(await blockState(t, team.organization.id)).toEqual(before);

      // Changing the project to another client's project brings that client along.
      const otherProject = await factory.project(team.organization, { client: otherClient });
      const switched = await team.member.patch(url, { project_id: otherProject.id }).expect(200);
      expect(switched.body).toMatchObject({
        project_id: otherProject.id,
        client_id: otherClient.id,
      });
      const cleared = await team.member
        .patch(url, { project_id: null, client_id: null })
        .expect(200);
      expect(cleared.body).toMatchObject({ project_id: null, client_id: null });
    });
  });

  describe('deleting', () => {
    it('soft-deletes: the block disappears from the API, the row stays, marked for sync', async () => {
      const created = await create(
        blockBody({ calendar_id: calendar.id }, '2025-06-10T09:00:00Z'),
      ).expect(201);
      const url = team.url(`/time-blocks/${created.body.id}`);
      await t.dataSource
        .getRepository(TimeBlock)
        .update(
          { id: created.body.id },
          { calendarSyncStatus: 'synced', externalCalendarEventId: 'evt-9' },
        );

      const response = await team.member.delete(url).expect(204);
      expect(response.text).toBe('');

      await team.member.get(url).expect(404);
      const list = await team.member
        .get(team.url('/time-blocks?from=2025-06-10T00:00:00Z&to=2025-06-11T00:00:00Z'))
        .expect(200);
      expect(list.body.data).toEqual([]);
      await team.member.patch(url, { title: 'Back?' }).expect(404);
      await team.member.delete(url).expect(404);

      const row = await storedBlock(t, created.body.id);
      expect(row?.deletedAt).toBeInstanceOf(Date);
      expect(row).toMatchObject({
        calendarSyncStatus: 'pending',
        externalCalendarEventId: 'evt-9',
        syncVersion: 2,
      });
      expect((await blockAudit(t, created.body.id)).map((r) => r.action)).toEqual([
        'time_block.created',
        'time_block.deleted',
      ]);
      expect((await blockAudit(t, created.body.id))[1]).toMatchObject({
        userId: team.member.user.id,
        oldValues: { title: 'Deep work', start_time: '2025-06-10T09:00:00.000Z' },
        newValues: null,
      });
    });
  });

  describe('permissions', () => {
    it('lets members plan only for themselves: another user_id is 403 and stores nothing', async () => {
      const mine = await create(
        blockBody({ user_id: team.member.user.id }, '2025-07-07T09:00:00Z'),
      ).expect(201);
      expect(mine.body.user_id).toBe(team.member.user.id);

      const before = await blockState(t, team.organization.id);
      const refused = await create(
        blockBody({ user_id: team.admin.user.id }, '2025-07-07T10:00:00Z'),
      ).expect(403);
      expect(refused.body).toMatchObject({
        status: 403,
        detail: 'You can only plan time blocks for yourself.',
      });
      expect(await blockState(t, team.organization.id)).toEqual(before);
    });

    it('lets admins and owners plan for any member; the audit row names who did it', async () => {
      const planned = await create(
        blockBody({ user_id: team.member.user.id }, '2025-07-08T09:00:00Z'),
        team.admin,
      ).expect(201);
      expect(planned.body.user_id).toBe(team.member.user.id);
      expect((await blockAudit(t, planned.body.id))[0]).toMatchObject({
        action: 'time_block.created',
        userId: team.admin.user.id,
      });

      const byOwner = await create(
        blockBody({ user_id: team.viewer.user.id }, '2025-07-08T10:00:00Z'),
        team.owner,
      ).expect(201);
      expect(byOwner.body.user_id).toBe(team.viewer.user.id);
    });

    it('refuses viewers every write, with 403 and no change', async () => {
      const block = await factory.timeBlock(team.organization, team.viewer.user);
      const before = await blockState(t, team.organization.id);
      await create(blockBody({}, '2025-07-09T09:00:00Z'), team.viewer).expect(403);
      await team.viewer.patch(team.url(`/time-blocks/${block.id}`), { title: 'Mine?' }).expect(403);
      await team.viewer.delete(team.url(`/time-blocks/${block.id}`)).expect(403);
      await team.viewer
        .post(team.url('/time-blocks/bulk'), { operations: [{ op: 'delete', id: block.id }] })
        .expect(403);
      expect(await blockState(t, team.organization.id)).toEqual(before);
    });

    it('keeps members off colleagues’ blocks (403) and lets admins and owners change them', async () => {
      const colleague = await factory.user();
      await factory.member(team.organization, colleague, 'member');
      const theirs = await factory.timeBlock(team.organization, colleague);
      const url = team.url(`/time-blocks/${theirs.id}`);
      const before = await blockState(t, team.organization.id);

      await team.member.patch(url, { title: 'Hijacked' }).expect(403);
      await team.member.delete(url).expect(403);
      expect(await blockState(t, team.organization.id)).toEqual(before);

      const renamed = await team.admin.patch(url, { title: 'Renamed by admin' }).expect(200);
      expect(renamed.body).toMatchObject({ title: 'Renamed by admin', user_id: colleague.id });
      await team.owner.delete(url).expect(204);
    });

    it('lets admins hand a block to another member, and not members', async () => {
      const block = (await create(blockBody({}, '2025-07-10T09:00:00Z')).expect(201)).body;
      const url = team.url(`/time-blocks/${block.id}`);

      await team.member.patch(url, { user_id: team.admin.user.id }).expect(403);
      const outsider = await factory.user();
      expect(
        (await team.admin.patch(url, { user_id: outsider.id }).expect(422)).body.errors,
      ).toEqual({ user_id: ['user_id is not a member of this organization.'] });

      const handed = await team.admin.patch(url, { user_id: team.viewer.user.id }).expect(200);
      expect(handed.body.user_id).toBe(team.viewer.user.id);
      expect((await blockAudit(t, block.id))[1]).toMatchObject({
        oldValues: { user_id: team.member.user.id },
        newValues: { user_id: team.viewer.user.id },
      });
      // Now it is not the member's any more.
      await team.member.delete(url).expect(403);
    });

    it('answers 404 for another organization’s block, to its admins too, and changes nothing', async () => {
      const elsewhere = await makeTeam(t, factory);
      const theirs = await factory.timeBlock(elsewhere.organization, elsewhere.member.user);
      const before = await blockState(t, elsewhere.organization.id);
      const url = team.url(`/time-blocks/${theirs.id}`);

      await team.owner.get(url).expect(404);
      await team.owner.patch(url, { title: 'Mine now' }).expect(404);
      await team.owner.delete(url).expect(404);
      // And their organization's URL answers 404 to someone who is not a member of it.
      await team.owner.get(elsewhere.url(`/time-blocks/${theirs.id}`)).expect(404);
      expect(await blockState(t, elsewhere.organization.id)).toEqual(before);
    });
  });
});
