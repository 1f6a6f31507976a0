import { TimeBlock } from '../../src/time-blocks/time-block.entity';
import { User } from '../../src/users/user.entity';
import { Client } from '../../src/clients/client.entity';
import { Project } from '../../src/projects/project.entity';
import { Factory } from '../factories';
import { actingAs, Team } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import { block, figures, Group, reportTeam, sumsByLevel } from './support';

/*
 * Expected figures are worked out by hand in the comments next to each block: seconds from the
 * clock, billed hours as ceil(seconds / 900) quarter-hours per block, amounts as billed hours ×
 * the effective rate.
 */

const summary = '/reports/summary';

describe('reports: summary', () => {
  let t: TestApp;
  let factory: Factory;

  beforeAll(async () => {
    t = await bootApp();
    factory = new Factory(t.dataSource);
  });
  afterAll(() => t?.close());

  describe('rounding and rates', () => {
    it('rounds billed hours up to the next quarter-hour per block, not over the sum', async () => {
      const team = await reportTeam(t, factory);
      const user = team.member.user;
      const org = team.organization;
      const p = (name: string) => factory.project(org, { name, hourlyRate: null });
      await block(factory, org, user, '2025-03-03T09:00:00Z', '2025-03-03T09:01:00Z', {
        project: await p('a 1 min'),
      });
      await block(factory, org, user, '2025-03-03T10:00:00Z', '2025-03-03T10:15:00Z', {
        project: await p('b 15 min'),
      });
      await block(factory, org, user, '2025-03-03T11:00:00Z', '2025-03-03T11:16:00Z', {
        project: await p('c 16 min'),
      });
      await block(factory, org, user, '2025-03-03T12:00:00Z', '2025-03-03T12:59:59Z', {
        project: await p('d 59:59'),
      });
      await block(factory, org, user, '2025-03-03T14:00:00Z', '2025-03-03T15:00:01Z', {
        project: await p('e 60:01'),
      });

      const response = await team.viewer
        .get(team.url(`${summary}?from=2025-03-01&to=2025-04-01&group_by=project`))
        .expect(200);

      const rows = (response.body.groups as Group[]).map((g) => [
        g.key.name,
        g.total_seconds,
        g.billed_hours,
        g.amount,
      ]);
      expect(rows).toEqual([
        ['a 1 min', 60, '0.25', '25.00'], // 1 quarter
        ['b 15 min', 900, '0.25', '25.00'], // exactly 1 quarter
        ['c 16 min', 960, '0.50', '50.00'], // 2 quarters
        ['d 59:59', 3599, '1.00', '100.00'], // 4 quarters
        ['e 60:01', 3601, '1.25', '125.00'], // 5 quarters
      ]);
      // 60 + 900 + 960 + 3599 + 3601 = 9120 s; 1+1+2+4+5 = 13 quarters (rounding the sum would
      // give ceil(9120 / 900) = 11).
      expect(response.body.totals).toEqual(figures(9120, 9120, '3.25', '325.00'));
    });

    it('uses the project rate, else the organization default, and rounds amounts to the cent', async () => {
      const team = await reportTeam(t, factory, { settings: { default_hourly_rate: '100.00' } });
      const user = team.member.user;
      const org = team.organization;
      const own = await factory.project(org, { name: 'Own rate', hourlyRate: '85.50' });
      const inherits = await factory.project(org, { name: 'Inherits', hourlyRate: null });
      const free = await factory.project(org, { name: 'Pro bono', hourlyRate: '0.00' });
      const odd = await factory.project(org, { name: 'Odd cents', hourlyRate: '85.01' });
      // 90 min → 1.50 h × 85.50 = 128.25
      await block(factory, org, user, '2025-03-03T09:00:00Z', '2025-03-03T10:30:00Z', {
        project: own,
      });
      // 30 min → 0.50 h × 100.00 (default) = 50.00
      await block(factory, org, user, '2025-03-03T11:00:00Z', '2025-03-03T11:30:00Z', {
        project: inherits,
      });
      // 60 min → 1.00 h × 0.00: a project rate of zero still wins over the default
      await block(factory, org, user, '2025-03-03T12:00:00Z', '2025-03-03T13:00:00Z', {
        project: free,
      });
      // 15 min → 0.25 h × 85.01 = 21.2525 → 21.25
      await block(factory, org, user, '2025-03-03T14:00:00Z', '2025-03-03T14:15:00Z', {
        project: odd,
      });
      // 45 min, no project → 0.75 h × 100.00 = 75.00
      await block(factory, org, user, '2025-03-03T15:00:00Z', '2025-03-03T15:45:00Z');

      const response = await team.viewer
        .get(team.url(`${summary}?from=2025-03-03&to=2025-03-04&group_by=project`))
        .expect(200);

      expect(
        (response.body.groups as Group[]).map((g) => [g.key.name, g.billed_hours, g.amount]),
      ).toEqual([
        ['Inherits', '0.50', '50.00'],
        ['Odd cents', '0.25', '21.25'],
        ['Own rate', '1.50', '128.25'],
        ['Pro bono', '1.00', '0.00'],
        [null, '0.75', '75.00'],
      ]);
      // 5400 + 1800 + 3600 + 900 + 2700 = 14400 s; 128.25 + 50 + 0 + 21.25 + 75 = 274.50
      expect(response.body.totals).toEqual(figures(14400, 14400, '4.00', '274.50'));
    });

    it('bills nothing without any rate, but still counts billed hours', async () => {
      const team = await reportTeam(t, factory, { settings: {} });
      await block(
        factory,
        team.organization,
        team.member.user,
        '2025-03-03T09:00:00Z',
        '2025-03-03T09:20:00Z',
      );
      const response = await team.viewer
        .get(team.url(`${summary}?from=2025-03-03&to=2025-03-04`))
        .expect(200);
      expect(response.body.totals).toEqual(figures(1200, 1200, '0.50', '0.00'));
      expect(response.body.groups).toEqual([]);
    });

    it('counts non-billable blocks in total seconds only, and filters on is_billable', async () => {
      const team = await reportTeam(t, factory);
      const org = team.organization;
      const user = team.member.user;
      await block(factory, org, user, '2025-03-03T09:00:00Z', '2025-03-03T11:00:00Z', {
        isBillable: false,
      });
      await block(factory, org, user, '2025-03-03T12:00:00Z', '2025-03-03T13:00:00Z');
      const get = (query: string) =>
        team.viewer.get(team.url(`${summary}?from=2025-03-03&to=2025-03-04${query}`)).expect(200);

      expect((await get('')).body.totals).toEqual(figures(10800, 3600, '1.00', '100.00'));
      expect((await get('&is_billable=true')).body.totals).toEqual(
        figures(3600, 3600, '1.00', '100.00'),
      );
      expect((await get('&is_billable=false')).body.totals).toEqual(
        figures(7200, 0, '0.00', '0.00'),
      );
    });
  });

  describe('range', () => {
    it('clips blocks to the range and rounds the part inside it', async () => {
      const team = await reportTeam(t, factory);
      const org = team.organization;
      const user = team.member.user;
      // 23:00–01:00 across the end of the range at midnight
      await block(factory, org, user, '2025-03-14T23:00:00Z', '2025-03-15T01:00:00Z');
      // 22:50–00:10: 70 min before midnight → ceil(4200 / 900) = 5 quarters (the whole block,
      // 80 min, would be 6)
      await block(factory, org, user, '2025-03-13T22:50:00Z', '2025-03-14T00:10:00Z');
      // touching the range from outside (half-open): never counted
      await block(factory, org, user, '2025-03-12T23:00:00Z', '2025-03-13T00:00:00Z');
      await block(factory, org, user, '2025-03-15T00:00:00Z', '2025-03-15T02:00:00Z');

      const first = await team.viewer
        .get(team.url(`${summary}?from=2025-03-13&to=2025-03-14`))
        .expect(200);
      expect(first.body).toMatchObject({
        from: '2025-03-13T00:00:00.000Z',
        to: '2025-03-14T00:00:00.000Z',
        timezone: 'UTC',
        group_by: [],
      });
      expect(first.body.totals).toEqual(figures(4200, 4200, '1.25', '125.00'));

      const second = await team.viewer
        .get(team.url(`${summary}?from=2025-03-14&to=2025-03-15`))
        .expect(200);
      // 10 min (1 quarter) + 23:00–00:00 (4 quarters)
      expect(second.body.totals).toEqual(figures(600 + 3600, 4200, '1.25', '125.00'));
    });

    it('takes instants with offsets as they are and local times in the report zone', async () => {
      const team = await reportTeam(t, factory, { timezone: 'Europe/Amsterdam' });
      await block(
        factory,
        team.organization,
        team.member.user,
        '2025-01-10T07:30:00Z',
        '2025-01-10T09:30:00Z',
      );
      // 08:00 local (CET, +01:00) = 07:00Z … 09:00Z: 1.5 h of the block
      const local = await team.viewer
        .get(team.url(`${summary}?from=2025-01-10T08:00&to=2025-01-10T09:00:00Z`))
        .expect(200);
      expect(local.body).toMatchObject({
        from: '2025-01-10T07:00:00.000Z',
        to: '2025-01-10T09:00:00.000Z',
        timezone: 'Europe/Amsterdam',
      });
      expect(local.body.totals).toEqual(figures(5400, 5400, '1.50', '150.00'));
    });

    it('never counts soft-deleted blocks', async () => {
      const team = await reportTeam(t, factory);
      const kept = await block(
        factory,
        team.organization,
        team.member.user,
        '2025-03-03T09:00:00Z',
        '2025-03-03T10:00:00Z',
      );
      const deleted = await block(
        factory,
        team.organization,
        team.member.user,
        '2025-03-03T11:00:00Z',
        '2025-03-03T13:00:00Z',
      );
      await t.dataSource.getRepository(TimeBlock).softDelete({ id: deleted.id });
      const response = await team.viewer
        .get(team.url(`${summary}?from=2025-03-03&to=2025-03-04&group_by=day`))
        .expect(200);
      expect(response.body.totals).toEqual(figures(3600, 3600, '1.00', '100.00'));
      expect(kept.id).toBeLessThan(deleted.id);
    });
  });

  describe('groups', () => {
    let team: Team;
    let ada: User;
    let grace: User;
    let acme: Client;
    let globex: Client;
    let rocket: Project;
    let website: Project;
    let audit: Project;

    /*
     * Default rate 100.00, UTC. 2025-03-03 and 2025-03-10 and 2025-03-31 are Mondays.
     *   1 Ada   Rocket(120)  Acme   Mon 03-03 09:00–11:00  7200 s   8 q  240.00
     *   2 Ada   Website(—)   Acme   Tue 03-04 09:00–09:30  1800 s   2 q   50.00
     *   3 Grace Audit(90)    Globex Mon 03-03 13:00–14:20  4800 s   6 q  135.00
     *   4 Grace —            —      Mon 03-10 09:00–10:00  3600 s   4 q  100.00
     *   5 Grace Rocket(120)  Acme   Mon 03-31 22:00–Tue 04-01 02:00
     *                                                     14400 s  16 q  480.00
     *   6 Ada   Website      Acme   Wed 03-05 10:00–11:00  3600 s   not billable
     *   7 Ada   Rocket       Acme   Thu 03-06 09:00–10:00  deleted
     * Totals: 35400 s, billable 31800 s, 36 q = 9.00 h, 1005.00.
     */
    beforeAll(async () => {
      team = await reportTeam(t, factory);
      const org = team.organization;
      ada = await factory.user({ name: 'Ada Lovelace' });
      grace = await factory.user({ name: 'Grace Hopper' });
      await factory.member(org, ada, 'member');
      await factory.member(org, grace, 'member');
      acme = await factory.client(org, { name: 'Acme' });
      globex = await factory.client(org, { name: 'Globex' });
      rocket = await factory.project(org, { name: 'Rocket', client: acme, hourlyRate: '120.00' });
      website = await factory.project(org, { name: 'Website', client: acme, hourlyRate: null });
      audit = await factory.project(org, { name: 'Audit', client: globex, hourlyRate: '90.00' });
      await block(factory, org, ada, '2025-03-03T09:00:00Z', '2025-03-03T11:00:00Z', {
        project: rocket,
      });
      await block(factory, org, ada, '2025-03-04T09:00:00Z', '2025-03-04T09:30:00Z', {
        project: website,
      });
      await block(factory, org, grace, '2025-03-03T13:00:00Z', '2025-03-03T14:20:00Z', {
        project: audit,
      });
      await block(factory, org, grace, '2025-03-10T09:00:00Z', '2025-03-10T10:00:00Z');
      await block(factory, org, grace, '2025-03-31T22:00:00Z', '2025-04-01T02:00:00Z', {
        project: rocket,
      });
      await block(factory, org, ada, '2025-03-05T10:00:00Z', '2025-03-05T11:00:00Z', {
        project: website,
        isBillable: false,
      });
      const deleted = await block(
        factory,
        org,
        ada,
        '2025-03-06T09:00:00Z',
        '2025-03-06T10:00:00Z',
        {
          project: rocket,
        },
      );
      await t.dataSource.getRepository(TimeBlock).softDelete({ id: deleted.id });
    });

    const report = async (query: string) =>
      (
        await team.viewer
          .get(team.url(`${summary}?from=2025-03-01&to=2025-04-08${query}`))
          .expect(200)
      ).body as { totals: unknown; groups: Group[]; group_by: string[] };
    const TOTALS = figures(35400, 31800, '9.00', '1005.00');
    const day = (value: string, from: string, to: string) => ({
      dimension: 'day',
      value,
      from,
      to,
    });

    it('by user', async () => {
      const body = await report('&group_by=user');
      expect(body.totals).toEqual(TOTALS);
      expect(body.group_by).toEqual(['user']);
      expect(body.groups).toEqual([
        {
          key: { dimension: 'user', id: ada.id, name: 'Ada Lovelace' },
          // blocks 1, 2, 6
          ...figures(12600, 9000, '2.50', '290.00'),
        },
        {
          key: { dimension: 'user', id: grace.id, name: 'Grace Hopper' },
          // blocks 3, 4, 5
          ...figures(22800, 22800, '6.50', '715.00'),
        },
      ]);
    });

    it('by client, with blocks without a client last', async () => {
      const body = await report('&group_by=client');
      expect(body.totals).toEqual(TOTALS);
      expect(body.groups).toEqual([
        {
          key: { dimension: 'client', id: acme.id, name: 'Acme' },
          ...figures(27000, 23400, '6.50', '770.00'),
        },
        {
          key: { dimension: 'client', id: globex.id, name: 'Globex' },
          ...figures(4800, 4800, '1.50', '135.00'),
        },
        {
          key: { dimension: 'client', id: null, name: null },
          ...figures(3600, 3600, '1.00', '100.00'),
        },
      ]);
    });

    it('by project', async () => {
      const body = await report('&group_by=project');
      expect(body.groups.map((g) => [g.key, g.total_seconds, g.billed_hours, g.amount])).toEqual([
        [{ dimension: 'project', id: audit.id, name: 'Audit' }, 4800, '1.50', '135.00'],
        [{ dimension: 'project', id: rocket.id, name: 'Rocket' }, 21600, '6.00', '720.00'],
        [{ dimension: 'project', id: website.id, name: 'Website' }, 5400, '0.50', '50.00'],
        [{ dimension: 'project', id: null, name: null }, 3600, '1.00', '100.00'],
      ]);
    });

    it('by day, splitting a block across midnight (its 16 quarters 8 + 8 by seconds)', async () => {
      const body = await report('&group_by=day');
      expect(body.totals).toEqual(TOTALS);
      expect(body.groups).toEqual([
        {
          key: day('2025-03-03', '2025-03-03T00:00:00.000Z', '2025-03-04T00:00:00.000Z'),
          ...figures(12000, 12000, '3.50', '375.00'),
        },
        {
          key: day('2025-03-04', '2025-03-04T00:00:00.000Z', '2025-03-05T00:00:00.000Z'),
          ...figures(1800, 1800, '0.50', '50.00'),
        },
        {
          key: day('2025-03-05', '2025-03-05T00:00:00.000Z', '2025-03-06T00:00:00.000Z'),
          ...figures(3600, 0, '0.00', '0.00'),
        },
        {
          key: day('2025-03-10', '2025-03-10T00:00:00.000Z', '2025-03-11T00:00:00.000Z'),
          ...figures(3600, 3600, '1.00', '100.00'),
        },
        {
          key: day('2025-03-31', '2025-03-31T00:00:00.000Z', '2025-04-01T00:00:00.000Z'),
          ...figures(7200, 7200, '2.00', '240.00'),
        },
        {
          key: day('2025-04-01', '2025-04-01T00:00:00.000Z', '2025-04-02T00:00:00.000Z'),
          ...figures(7200, 7200, '2.00', '240.00'),
        },
      ]);
    });

    it('by ISO week, keyed by its Monday', async () => {
      const body = await report('&group_by=week');
      expect(body.totals).toEqual(TOTALS);
      expect(body.groups.map((g) => [g.key, g.total_seconds, g.billed_hours, g.amount])).toEqual([
        [
          {
            dimension: 'week',
            value: '2025-03-03',
            from: '2025-03-03T00:00:00.000Z',
            to: '2025-03-10T00:00:00.000Z',
          },
          17400, // blocks 1, 2, 3, 6
          '4.00',
          '425.00',
        ],
        [
          {
            dimension: 'week',
            value: '2025-03-10',
            from: '2025-03-10T00:00:00.000Z',
            to: '2025-03-17T00:00:00.000Z',
          },
          3600,
          '1.00',
          '100.00',
        ],
        [
          {
            dimension: 'week',
            value: '2025-03-31',
            from: '2025-03-31T00:00:00.000Z',
            to: '2025-04-07T00:00:00.000Z',
          },
          14400, // block 5, whole
          '4.00',
          '480.00',
        ],
      ]);
    });

    it('by month, splitting the block that crosses into April', async () => {
      const body = await report('&group_by=month');
      expect(body.groups).toEqual([
        {
          key: {
            dimension: 'month',
            value: '2025-03',
            from: '2025-03-01T00:00:00.000Z',
            to: '2025-04-01T00:00:00.000Z',
          },
          // blocks 1, 2, 3, 4, 6 and 2 h of 5
          ...figures(28200, 24600, '7.00', '765.00'),
        },
        {
          key: {
            dimension: 'month',
            value: '2025-04',
            from: '2025-04-01T00:00:00.000Z',
            to: '2025-05-01T00:00:00.000Z',
          },
          ...figures(7200, 7200, '2.00', '240.00'),
        },
      ]);
    });

    it('in two levels: client, then project', async () => {
      const body = await report('&group_by=client,project');
      expect(body.group_by).toEqual(['client', 'project']);
      expect(body.groups).toEqual([
        {
          key: { dimension: 'client', id: acme.id, name: 'Acme' },
          ...figures(27000, 23400, '6.50', '770.00'),
          groups: [
            {
              key: { dimension: 'project', id: rocket.id, name: 'Rocket' },
              ...figures(21600, 21600, '6.00', '720.00'),
            },
            {
              key: { dimension: 'project', id: website.id, name: 'Website' },
              ...figures(5400, 1800, '0.50', '50.00'),
            },
          ],
        },
        {
          key: { dimension: 'client', id: globex.id, name: 'Globex' },
          ...figures(4800, 4800, '1.50', '135.00'),
          groups: [
            {
              key: { dimension: 'project', id: audit.id, name: 'Audit' },
              ...figures(4800, 4800, '1.50', '135.00'),
            },
          ],
        },
        {
          key: { dimension: 'client', id: null, name: null },
          ...figures(3600, 3600, '1.00', '100.00'),
          groups: [
            {
              key: { dimension: 'project', id: null, name: null },
              ...figures(3600, 3600, '1.00', '100.00'),
            },
          ],
        },
      ]);
    });

    it('in two levels: user, then week', async () => {
      const body = await report('&group_by=user,week');
      const rows = body.groups.map((g) => [
        g.key.name,
        g.total_seconds,
        g.amount,
        g.groups!.map((w) => [w.key.value, w.total_seconds, w.billed_hours, w.amount]),
      ]);
      expect(rows).toEqual([
        ['Ada Lovelace', 12600, '290.00', [['2025-03-03', 12600, '2.50', '290.00']]],
        [
          'Grace Hopper',
          22800,
          '715.00',
          [
            ['2025-03-03', 4800, '1.50', '135.00'],
            ['2025-03-10', 3600, '1.00', '100.00'],
            ['2025-03-31', 14400, '4.00', '480.00'],
          ],
        ],
      ]);
    });

    it.each([
      'user',
      'client',
      'project',
      'day',
      'week',
      'month',
      'client,project',
      'month,week,day',
      'day,user,project',
      'project,user,client,month,week,day',
    ])('totals are the same and every level adds up, grouped by %s', async (groupBy) => {
      const body = await report(`&group_by=${groupBy}`);
      expect(body.totals).toEqual(TOTALS);
      expect(body.groups.length).toBeGreaterThan(1);
      const levels = sumsByLevel(TOTALS, body.groups);
      for (const level of levels) expect(level.sum).toEqual(level.parent);
    });

    it('filters by member, client and project', async () => {
      const ids = async (query: string) => (await report(query)).totals;
      expect(await ids(`&user_id=${ada.id}`)).toEqual(figures(12600, 9000, '2.50', '290.00'));
      expect(await ids('&user_id=all')).toEqual(TOTALS);
      expect(await ids(`&client_id=${globex.id}`)).toEqual(figures(4800, 4800, '1.50', '135.00'));
      expect(await ids(`&project_id=${rocket.id}`)).toEqual(
        figures(21600, 21600, '6.00', '720.00'),
      );
      expect(await ids(`&project_id=${rocket.id}&user_id=${grace.id}`)).toEqual(
        figures(14400, 14400, '4.00', '480.00'),
      );
      expect(await ids(`&client_id=${acme.id}&is_billable=false`)).toEqual(
        figures(3600, 0, '0.00', '0.00'),
      );
    });

    it("matches nothing for another organization's client, project or member", async () => {
      const other = await reportTeam(t, factory);
      const theirs = await factory.client(other.organization, { name: 'Elsewhere' });
      const theirProject = await factory.project(other.organization, { client: theirs });
      await block(
        factory,
        other.organization,
        other.member.user,
        '2025-03-03T09:00:00Z',
        '2025-03-03T10:00:00Z',
        { project: theirProject },
      );
      const empty = figures(0, 0, '0.00', '0.00');
      for (const query of [
        `&client_id=${theirs.id}`,
        `&project_id=${theirProject.id}`,
        `&user_id=${other.member.user.id}`,
      ]) {
        const body = await report(`${query}&group_by=client`);
        expect({ query, totals: body.totals, groups: body.groups }).toEqual({
          query,
          totals: empty,
          groups: [],
        });
      }
    });
  });

  describe('time zone', () => {
    it("defaults to the organization's and can be overridden", async () => {
      const team = await reportTeam(t, factory, { timezone: 'Europe/Amsterdam' });
      // 23:30Z on Jan 9th is 00:30 on Jan 10th in Amsterdam (CET, +01:00)
      await block(
        factory,
        team.organization,
        team.member.user,
        '2025-01-09T23:30:00Z',
        '2025-01-10T00:30:00Z',
      );
      const local = await team.viewer
        .get(team.url(`${summary}?from=2025-01-09&to=2025-01-11&group_by=day`))
        .expect(200);
      expect(local.body.timezone).toBe('Europe/Amsterdam');
      expect(local.body.from).toBe('2025-01-08T23:00:00.000Z');
      expect(local.body.groups.map((g: Group) => [g.key.value, g.total_seconds])).toEqual([
        ['2025-01-10', 3600],
      ]);

      const utc = await team.viewer
        .get(team.url(`${summary}?from=2025-01-09&to=2025-01-11&group_by=day&timezone=UTC`))
        .expect(200);
      expect(utc.body.timezone).toBe('UTC');
      expect(utc.body.groups.map((g: Group) => [g.key.value, g.total_seconds])).toEqual([
        ['2025-01-09', 1800],
        ['2025-01-10', 1800],
      ]);
    });
  });

  describe('validation and access', () => {
    let team: Team;
    beforeAll(async () => {
      team = await reportTeam(t, factory);
    });

    it.each([
      ['', ['from', 'to']],
      ['from=2025-03-01', ['to']],
      ['from=yesterday&to=2025-03-02', ['from']],
      ['from=2025-02-30&to=2025-03-02', ['from']],
      ['from=2025-03-02&to=2025-03-01', ['to']],
      ['from=2025-03-01&to=2025-03-01', ['to']],
      ['from=2024-01-01&to=2025-01-02', ['to']], // 367 days
      ['from=2025-03-01&to=2025-03-02&timezone=Mars/Olympus', ['timezone']],
      ['from=2025-03-01&to=2025-03-02&timezone=%2B02:00', ['timezone']],
      ['from=2025-03-01&to=2025-03-02&group_by=client,planet', ['group_by']],
      ['from=2025-03-01&to=2025-03-02&group_by=day,day', ['group_by']],
      ['from=2025-03-01&to=2025-03-02&is_billable=maybe', ['is_billable']],
      ['from=2025-03-01&to=2025-03-02&user_id=someone', ['user_id']],
      ['from=2025-03-01&to=2025-03-02&user_id=0', ['user_id']],
      ['from=2025-03-01&to=2025-03-02&client_id=abc', ['client_id']],
      ['from=2025-03-01&to=2025-03-02&project_id=-1', ['project_id']],
      ['from=2025-03-01&to=2025-03-02&limit=10', ['limit']],
    ])('?%s answers 422 naming %j', async (query, fields) => {
      const response = await team.viewer.get(team.url(`${summary}?${query}`));
      expect(response.status).toBe(422);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(Object.keys(response.body.errors).sort()).toEqual(fields);
    });

    it('accepts a range of exactly 366 days', async () => {
      const response = await team.viewer
        .get(team.url(`${summary}?from=2024-01-01&to=2025-01-01`))
        .expect(200);
      expect(response.body.totals).toEqual(figures(0, 0, '0.00', '0.00'));
    });

    it('is open to every role, and answers 404 to outsiders and 401 without a token', async () => {
      const path = team.url(`${summary}?from=2025-03-01&to=2025-03-02`);
      for (const actor of [team.owner, team.admin, team.member, team.viewer]) {
        await actor.get(path).expect(200);
      }
      const outsider = await actingAs(t, await factory.user());
      await factory.organization({ owner: outsider.user });
      const refused = await outsider.get(path);
      expect(refused.status).toBe(404);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      await t.http().get(path).expect(401);
    });
  });
});
