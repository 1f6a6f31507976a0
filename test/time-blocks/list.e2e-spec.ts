import { Membership } from '../../src/auth/authenticated-user';
import { Client } from '../../src/clients/client.entity';
import { TenantScope } from '../../src/common/tenancy/tenant-scope';
import { TimeBlock } from '../../src/time-blocks/time-block.entity';
import { ListTimeBlocksQueryDto } from '../../src/time-blocks/dto/list-time-blocks.dto';
import { timeBlockListQuery } from '../../src/time-blocks/time-block-list';
import { TimeBlocksService } from '../../src/time-blocks/time-blocks.service';
import { User } from '../../src/users/user.entity';
import { Factory } from '../factories';
import { Actor, makeTeam, Team } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import { databaseKind } from '../support/database';
import { HOUR_MS } from './support';

/*
 * The calendar view: `GET …/time-blocks?from=&to=` answers the blocks overlapping the range, in
 * start order, page by page — and does so from the (organization_id, user_id, start_time,
 * end_time) index, which the last tests prove with each database's query plan.
 */
describe('listing time blocks', () => {
  let t: TestApp;
  let factory: Factory;
  let team: Team;

  beforeAll(async () => {
    t = await bootApp();
    factory = new Factory(t.dataSource);
    team = await makeTeam(t, factory);
  });
  afterAll(() => t?.close());

  const at = (iso: string) => new Date(iso);
  const block = (
    user: User,
    start: string,
    end: string,
    values: Omit<Partial<TimeBlock>, 'calendar' | 'client' | 'project'> = {},
  ) =>
    factory.timeBlock(team.organization, user, {
      startTime: at(start),
      endTime: at(end),
      ...values,
    });
  const list = (actor: Actor, query: string) => actor.get(team.url(`/time-blocks?${query}`));
  const ids = (response: { body: { data: { id: number }[] } }) =>
    response.body.data.map((item) => item.id);
  const range = (from: string, to: string) =>
    `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;

  describe('the range', () => {
    it('requires from and to, with offsets, to after from, at most 93 days apart', async () => {
      expect((await list(team.member, '').expect(422)).body.errors).toEqual({
        from: expect.any(Array),
        to: expect.any(Array),
      });
      expect(
        (await list(team.member, 'from=2025-01-01T00:00:00&to=2025-01-02T00:00:00').expect(422))
          .body.errors,
      ).toEqual({ from: expect.any(Array), to: expect.any(Array) });
      expect(
        (await list(team.member, range('2025-01-02T00:00:00Z', '2025-01-01T00:00:00Z')).expect(422))
          .body.errors,
      ).toEqual({ to: ['to must be after from'] });
      expect(
        (await list(team.member, range('2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z')).expect(422))
          .body.errors,
      ).toEqual({ to: ['to must be after from'] });

      // 93 days is the longest range; one second more is refused.
      await list(team.member, range('2025-01-01T00:00:00Z', '2025-04-04T00:00:00Z')).expect(200);
      expect(
        (await list(team.member, range('2025-01-01T00:00:00Z', '2025-04-04T00:00:01Z')).expect(422))
          .body.errors,
      ).toEqual({ to: ['to must be at most 93 days after from'] });
      // Offsets count: this is 93 days and one hour.
      await list(team.member, range('2025-01-01T00:00:00+01:00', '2025-04-04T00:00:00Z')).expect(
        422,
      );
    });

    it('answers blocks overlapping [from, to): back-to-back blocks never overlap a range they only touch', async () => {
      const me = team.member.user;
      const nine = await block(me, '2025-02-03T09:00:00Z', '2025-02-03T10:00:00Z');
      const ten = await block(me, '2025-02-03T10:00:00Z', '2025-02-03T11:00:00Z');
      // Started the evening before, still running in the range.
      const overnight = await block(me, '2025-02-02T22:00:00Z', '2025-02-03T06:00:00Z');

      const r = async (from: string, to: string) => ids(await list(team.member, range(from, to)));
      expect(await r('2025-02-03T10:00:00Z', '2025-02-03T11:00:00Z')).toEqual([ten.id]);
      expect(await r('2025-02-03T09:00:00Z', '2025-02-03T10:00:00Z')).toEqual([nine.id]);
      expect(await r('2025-02-03T09:30:00Z', '2025-02-03T10:30:00Z')).toEqual([nine.id, ten.id]);
      expect(await r('2025-02-03T11:00:00Z', '2025-02-03T12:00:00Z')).toEqual([]);
      expect(await r('2025-02-03T00:00:00Z', '2025-02-04T00:00:00Z')).toEqual([
        overnight.id,
        nine.id,
        ten.id,
      ]);
      // Offsets count: 00:00–10:00 in Amsterdam (+01:00) ends at 09:00Z, where `nine` starts.
      expect(await r('2025-02-03T00:00:00+01:00', '2025-02-03T10:00:00+01:00')).toEqual([
        overnight.id,
      ]);
      expect(await r('2025-02-03T00:00:00+01:00', '2025-02-03T10:01:00+01:00')).toEqual([
        overnight.id,
        nine.id,
      ]);
    });

    it('leaves out deleted blocks and other organizations’ blocks', async () => {
      const me = team.member.user;
      const kept = await block(me, '2025-02-10T09:00:00Z', '2025-02-10T10:00:00Z');
      const deleted = await block(me, '2025-02-10T10:00:00Z', '2025-02-10T11:00:00Z');
      await team.member.delete(team.url(`/time-blocks/${deleted.id}`)).expect(204);
      const elsewhere = await makeTeam(t, factory);
      await factory.timeBlock(elsewhere.organization, me, {
        startTime: at('2025-02-10T09:00:00Z'),
        endTime: at('2025-02-10T10:00:00Z'),
      });

      const response = await list(
        team.member,
        range('2025-02-10T00:00:00Z', '2025-02-11T00:00:00Z'),
      ).expect(200);
      expect(ids(response)).toEqual([kept.id]);
    });
  });

  describe('whose blocks', () => {
    let colleague: User;
    let mine: TimeBlock;
    let theirs: TimeBlock;
    let admins: TimeBlock;
    const day = range('2025-02-17T00:00:00Z', '2025-02-18T00:00:00Z');

    beforeAll(async () => {
      colleague = await factory.user();
      await factory.member(team.organization, colleague, 'member');
      mine = await block(team.member.user, '2025-02-17T09:00:00Z', '2025-02-17T10:00:00Z');
      theirs = await block(colleague, '2025-02-17T09:00:00Z', '2025-02-17T10:00:00Z');
      admins = await block(team.admin.user, '2025-02-17T08:00:00Z', '2025-02-17T09:00:00Z');
    });

    it('answers your own blocks by default', async () => {
      expect(ids(await list(team.member, day).expect(200))).toEqual([mine.id]);
      expect(ids(await list(team.admin, day).expect(200))).toEqual([admins.id]);
    });

    it('answers a colleague’s blocks, or everyone’s (in start order, ties by id), to every role', async () => {
      for (const actor of [team.viewer, team.member, team.admin, team.owner]) {
        expect(ids(await list(actor, `${day}&user_id=${colleague.id}`).expect(200))).toEqual([
          theirs.id,
        ]);
        expect(ids(await list(actor, `${day}&user_id=all`).expect(200))).toEqual([
          admins.id,
          ...[mine.id, theirs.id].sort((a, b) => a - b),
        ]);
      }
    });

    it('finds nothing for someone who is not a member, and refuses a user_id that is no id', async () => {
      const stranger = await makeTeam(t, factory);
      await factory.timeBlock(stranger.organization, stranger.member.user, {
        startTime: at('2025-02-17T09:00:00Z'),
        endTime: at('2025-02-17T10:00:00Z'),
      });
      expect(
        (await list(team.admin, `${day}&user_id=${stranger.member.user.id}`).expect(200)).body,
      ).toEqual({ data: [], next_cursor: null });
      expect((await list(team.admin, `${day}&user_id=everyone`).expect(422)).body.errors).toEqual({
        user_id: ['user_id must be a member’s id or all'],
      });
    });
  });

  describe('filters', () => {
    it('narrows by client, project, billability and calendar sync status', async () => {
      const client = await factory.client(team.organization);
      const project = await factory.project(team.organization, { client });
      const me = team.member.user;
      const billable = await block(me, '2025-03-03T09:00:00Z', '2025-03-03T10:00:00Z', {
        clientId: client.id,
        projectId: project.id,
        isBillable: true,
        calendarSyncStatus: 'pending',
      });
      const clientOnly = await block(me, '2025-03-03T10:00:00Z', '2025-03-03T11:00:00Z', {
        clientId: client.id,
        isBillable: false,
        calendarSyncStatus: 'error',
      });
      const internal = await block(me, '2025-03-03T11:00:00Z', '2025-03-03T12:00:00Z', {
        isBillable: false,
        calendarSyncStatus: 'disabled',
      });
      const day = range('2025-03-03T00:00:00Z', '2025-03-04T00:00:00Z');
      const r = async (filter: string) =>
        ids(await list(team.member, `${day}&${filter}`).expect(200));

      expect(await r(`client_id=${client.id}`)).toEqual([billable.id, clientOnly.id]);
      expect(await r(`project_id=${project.id}`)).toEqual([billable.id]);
      expect(await r('is_billable=true')).toEqual([billable.id]);
      expect(await r('is_billable=false')).toEqual([clientOnly.id, internal.id]);
      expect(await r('calendar_sync_status=error')).toEqual([clientOnly.id]);
      expect(await r(`client_id=${client.id}&is_billable=false`)).toEqual([clientOnly.id]);

      const refused = await list(
        team.member,
        `${day}&is_billable=maybe&calendar_sync_status=late`,
      ).expect(422);
      expect(Object.keys(refused.body.errors).sort()).toEqual([
        'calendar_sync_status',
        'is_billable',
      ]);
    });
  });

  describe('pages', () => {
    it('walks every block once, in start order, with an opaque cursor', async () => {
      const walker = await factory.user();
      await factory.member(team.organization, walker, 'member');
      const created: TimeBlock[] = [];
      // Seven blocks, two of them starting at the same moment (ordered by id).
      for (const hour of [9, 8, 12, 10, 10, 11, 7]) {
        const start = Date.UTC(2025, 2, 10, hour);
        created.push(
          await factory.timeBlock(team.organization, walker, {
            startTime: new Date(start),
            endTime: new Date(start + HOUR_MS / 2),
          }),
        );
      }
      const expected = [...created]
        .sort((a, b) => a.startTime.getTime() - b.startTime.getTime() || a.id - b.id)
        .map((b) => b.id);

      const seen: number[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string =
          `${range('2025-03-10T00:00:00Z', '2025-03-11T00:00:00Z')}&user_id=${walker.id}&limit=3` +
          (cursor ? `&cursor=${cursor}` : '');
        const page: { body: { data: { id: number }[]; next_cursor: string | null } } = await list(
          team.member,
          query,
        ).expect(200);
        expect(page.body.data.length).toBeLessThanOrEqual(3);
        seen.push(...ids(page));
        cursor = page.body.next_cursor;
        pages++;
      } while (cursor);

      expect(pages).toBe(3);
      expect(seen).toEqual(expected);
      expect(
        (
          await list(
            team.member,
            `${range('2025-03-10T00:00:00Z', '2025-03-11T00:00:00Z')}&cursor=nonsense`,
          ).expect(422)
        ).body.errors,
      ).toEqual({ cursor: ['cursor is not a valid pagination cursor.'] });
      // Well-formed cursors that no page could have handed out: not a time, or not an id.
      for (const values of [
        ['soon', 1],
        ['2025-03-10T09:00:00.000Z', '1'],
      ]) {
        const cursor = Buffer.from(JSON.stringify(values)).toString('base64url');
        expect(
          (
            await list(
              team.member,
              `${range('2025-03-10T00:00:00Z', '2025-03-11T00:00:00Z')}&cursor=${cursor}`,
            ).expect(422)
          ).body.errors,
        ).toEqual({ cursor: ['cursor is not a valid pagination cursor.'] });
      }
    });
  });

  describe('query plan', () => {
    /*
     * A realistic table: a year of working days for several members of two organizations, so the
     * optimizer chooses between real alternatives (the user_id foreign-key index, a scan) rather
     * than scanning a table of ten rows. The SQL is the service's own query builder's.
     */
    let planTeam: Team;
    let members: User[];
    let client: Client;

    beforeAll(async () => {
      planTeam = await makeTeam(t, factory);
      const other = await makeTeam(t, factory);
      members = [planTeam.member.user, planTeam.admin.user, planTeam.owner.user];
      client = await factory.client(planTeam.organization);
      const rows: {
        organizationId: number;
        userId: number;
        title: string;
        clientId: number | null;
        startTime: Date;
        endTime: Date;
        timezone: string;
      }[] = [];
      for (const [organization, users] of [
        [planTeam.organization, members],
        [other.organization, [other.member.user, other.admin.user]],
      ] as const) {
        for (const user of users) {
          for (let day = 0; day < 250; day++) {
            for (const hour of [9, 13]) {
              const start = Date.UTC(2024, 0, 1 + day, hour);
              rows.push({
                organizationId: organization.id,
                userId: user.id,
                title: 'Planned',
                clientId: organization === planTeam.organization && hour === 13 ? client.id : null,
                startTime: new Date(start),
                endTime: new Date(start + 3 * HOUR_MS),
                timezone: 'UTC',
              });
            }
          }
        }
      }
      const repository = t.dataSource.getRepository(TimeBlock);
      for (let i = 0; i < rows.length; i += 200) {
        await repository.insert(rows.slice(i, i + 200));
      }
      // Statistics as a table in use has them (InnoDB and SQLite gather them on their own).
      if (databaseKind() === 'mysql') await t.dataSource.query('ANALYZE TABLE time_blocks');
    });

    const membership = (): Membership => ({
      organizationId: planTeam.organization.id,
      userId: planTeam.member.user.id,
      role: 'member',
      scope: new TenantScope(planTeam.organization.id),
    });

    /** The SQL the list endpoint runs for this query, first page or after a cursor. */
    async function listSql(query: Partial<ListTimeBlocksQueryDto>, cursor = false) {
      const service = t.app.get(TimeBlocksService);
      const dto = {
        from: '2024-06-03T00:00:00Z',
        to: '2024-06-10T00:00:00Z',
        limit: 5,
        ...query,
      } as ListTimeBlocksQueryDto;
      const page = cursor ? await service.list(membership(), dto) : null;
      if (page) expect(page.next_cursor).not.toBeNull();
      const withCursor = { ...dto, cursor: page?.next_cursor ?? undefined };
      const [sql, parameters] = timeBlockListQuery(t.dataSource, membership(), withCursor);
      expect((await t.dataSource.query(sql, parameters)).length).toBeGreaterThan(0);
      return [sql, parameters] as const;
    }

    async function plan(query: Partial<ListTimeBlocksQueryDto>, cursor = false) {
      const [sql, parameters] = await listSql(query, cursor);
      expect(sql).toMatch(/ORDER BY/);
      const explain = databaseKind() === 'mysql' ? 'EXPLAIN' : 'EXPLAIN QUERY PLAN';
      return t.dataSource.query(`${explain} ${sql}`, parameters) as Promise<
        Record<string, unknown>[]
      >;
    }

    const mysql = databaseKind() === 'mysql';
    const mysqlPlan = (rows: Record<string, unknown>[]) =>
      rows.map((row) => ({ table: row.table, key: row.key, type: row.type }));
    const sqlitePlan = (rows: Record<string, unknown>[]) => rows.map((row) => String(row.detail));
    const SQLITE_MEMBER_RANGE =
      'SEARCH block USING INDEX idx_org_user_time (organization_id=? AND user_id=? AND start_time>? AND start_time<?)';

    it('reads one member’s range as a range scan of idx_org_user_time, on the first page and after a cursor', async () => {
      for (const cursor of [false, true]) {
        const rows = await plan({}, cursor);
        if (mysql) {
          expect(mysqlPlan(rows)).toEqual([
            { table: 'block', key: 'idx_org_user_time', type: 'range' },
          ]);
          // At least organization_id (8 bytes), user_id (8) and start_time (DATETIME, 5) bound it.
          expect(Number(rows[0].key_len)).toBeGreaterThanOrEqual(21);
        } else {
          expect(sqlitePlan(rows)).toContain(SQLITE_MEMBER_RANGE);
        }
      }
    });

    it('keeps the index when filters are added', async () => {
      const rows = await plan({ client_id: client.id, is_billable: true });
      if (mysql) {
        expect(mysqlPlan(rows)).toEqual([
          { table: 'block', key: 'idx_org_user_time', type: 'range' },
        ]);
      } else {
        expect(sqlitePlan(rows)).toContain(SQLITE_MEMBER_RANGE);
      }
    });

    it('reads everyone’s blocks (user_id=all) through idx_org_user_time by organization', async () => {
      const rows = await plan({ user_id: 'all' });
      if (mysql) {
        expect(rows).toEqual([
          expect.objectContaining({ table: 'block', key: 'idx_org_user_time' }),
        ]);
        expect(['ref', 'range']).toContain(rows[0].type);
      } else {
        expect(sqlitePlan(rows)).toContainEqual(
          expect.stringMatching(/^SEARCH block USING INDEX idx_org_user_time \(organization_id=\?/),
        );
      }
    });
  });
});
