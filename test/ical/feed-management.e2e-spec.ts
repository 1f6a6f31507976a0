import { createHash } from 'node:crypto';
import { CalendarFeed } from '../../src/ical-feeds/calendar-feed.entity';
import { OrganizationMember } from '../../src/organizations/organization-member.entity';
import { Organization } from '../../src/organizations/organization.entity';
import { User } from '../../src/users/user.entity';
import { Factory } from '../factories';
import { actingAs, Actor, auditActions, makeTeam } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import { HOUR_MS, issueFeed, parseFeed, uidOf } from './support';

/*
 * Managing one's own feed (GET/POST/DELETE …/ical-feed) and what the public URL answers as the
 * feed is rotated, deleted, or outlives its owner's membership or its organization.
 */

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

describe('calendar feed management', () => {
  let t: TestApp;
  let factory: Factory;

  /** Raw rows, ids as numbers (mysql2 reads BIGINT as strings). */
  const rowsOf = async (table: string, organizationId: number) => {
    const rows: Record<string, unknown>[] = await t.dataSource.query(
      `SELECT * FROM ${table} WHERE organization_id = ? ORDER BY id`,
      [organizationId],
    );
    return rows.map((row) =>
      Object.fromEntries(
        Object.entries(row).map(([key, value]) => [
          key,
          /(^|_)id$/.test(key) && value !== null ? Number(value) : value,
        ]),
      ),
    );
  };
  const feedRows = (organizationId: number) => rowsOf('calendar_feeds', organizationId);

  const expectProblem404 = async (path: string) => {
    const response = await t.http().get(path).expect(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 404 });
  };

  beforeAll(async () => {
    t = await bootApp();
    factory = new Factory(t.dataSource);
  });
  afterAll(() => t?.close());

  it('shows that there is no feed yet', async () => {
    const team = await makeTeam(t, factory);
    const response = await team.member.get(team.url('/ical-feed')).expect(200);
    expect(response.body).toEqual({ exists: false, created_at: null, last_accessed_at: null });
  });

  it('creates a feed: the token and URL once, only the SHA-256 digest stored, audited without it', async () => {
    const team = await makeTeam(t, factory);
    const response = await team.member.post(team.url('/ical-feed')).expect(201);
    const { token, url } = response.body as { token: string; url: string };
    expect(Object.keys(response.body).sort()).toEqual(['token', 'url']);
    expect(token).toMatch(/^cal_[A-Za-z0-9_-]{43}$/);
    expect(url).toBe(`http://localhost:3000/ical/${token}.ics`);

    const rows = await feedRows(team.organization.id);
    expect(rows).toEqual([
      expect.objectContaining({
        user_id: team.member.user.id,
        token_hash: sha256(token),
        last_accessed_at: null,
      }),
    ]);
    expect(JSON.stringify(rows)).not.toContain(token.slice(4));

    const audit = await rowsOf('audit_logs', team.organization.id);
    expect(audit).toEqual([
      expect.objectContaining({
        action: 'calendar_feed.created',
        user_id: team.member.user.id,
        auditable_type: 'calendar_feed',
        auditable_id: rows[0].id,
      }),
    ]);
    expect(JSON.stringify(audit)).not.toContain(token.slice(4));
    expect(JSON.stringify(audit)).not.toContain(sha256(token));

    const shown = await team.member.get(team.url('/ical-feed')).expect(200);
    expect(shown.body).toEqual({
      exists: true,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/),
      last_accessed_at: null,
    });
    expect(shown.text).not.toContain(token.slice(4));
    expect(shown.text).not.toContain('/ical/');

    await t.http().get(new URL(url).pathname).expect(200);
  });

  it('lets every role manage a feed of its own, one each, each serving only its own blocks', async () => {
    const team = await makeTeam(t, factory);
    const roles = ['owner', 'admin', 'member', 'viewer'] as const;
    const paths: Record<string, string> = {};
    const blockIds: Record<string, number> = {};
    for (const role of roles) {
      const actor: Actor = team[role];
      const block = await factory.timeBlock(team.organization, actor.user, {
        title: `${role}'s block`,
        startTime: new Date(Date.now() + HOUR_MS),
        endTime: new Date(Date.now() + 2 * HOUR_MS),
      });
      blockIds[role] = block.id;
      paths[role] = (await issueFeed(actor, team)).path;
    }
    expect((await feedRows(team.organization.id)).map((row) => Number(row.user_id))).toEqual(
      roles.map((role) => team[role].user.id),
    );
    for (const role of roles) {
      const feed = parseFeed((await t.http().get(paths[role]).expect(200)).text);
      expect(feed.uids).toEqual([uidOf(blockIds[role])]);
    }

    // The admin deleting their own feed leaves everyone else's alone.
    await team.admin.delete(team.url('/ical-feed')).expect(204);
    await expectProblem404(paths.admin);
    for (const role of ['owner', 'member', 'viewer']) await t.http().get(paths[role]).expect(200);
  });

  it('gives a user in two organizations two feeds, each serving that organization only', async () => {
    const team = await makeTeam(t, factory);
    const other = await factory.organization({ name: 'Second Org' });
    await factory.member(other, team.member.user, 'viewer');
    const here = await factory.timeBlock(team.organization, team.member.user, {
      startTime: new Date(Date.now() + HOUR_MS),
      endTime: new Date(Date.now() + 2 * HOUR_MS),
    });
    const there = await factory.timeBlock(other, team.member.user, {
      startTime: new Date(Date.now() + 3 * HOUR_MS),
      endTime: new Date(Date.now() + 4 * HOUR_MS),
    });

    const first = await issueFeed(team.member, team);
    const second = await issueFeed(team.member, {
      url: (path = '') => `/api/v1/organizations/${other.id}${path}`,
    });
    expect(second.token).not.toBe(first.token);
    expect(parseFeed((await t.http().get(first.path).expect(200)).text).uids).toEqual([
      uidOf(here.id),
    ]);
    const secondFeed = parseFeed((await t.http().get(second.path).expect(200)).text);
    expect(secondFeed.uids).toEqual([uidOf(there.id)]);
    expect(secondFeed.calendar.getFirstPropertyValue('x-wr-calname')).toBe(
      `Second Org — ${team.member.user.name}`,
    );
  });

  it('rotates: a new token, the old URL dies at once, one row, audited as rotated', async () => {
    const team = await makeTeam(t, factory);
    const first = await issueFeed(team.member, team);
    await t.http().get(first.path).expect(200);
    expect((await team.member.get(team.url('/ical-feed'))).body.last_accessed_at).not.toBeNull();
    const [before] = await feedRows(team.organization.id);

    const second = await issueFeed(team.member, team);
    expect(second.token).not.toBe(first.token);
    await expectProblem404(first.path);
    await t.http().get(second.path).expect(200);

    const rows = await feedRows(team.organization.id);
    expect(rows).toEqual([
      expect.objectContaining({ id: before.id, token_hash: sha256(second.token) }),
    ]);
    expect(await auditActions(t, team.organization.id)).toEqual([
      'calendar_feed.created',
      'calendar_feed.rotated',
    ]);
    const shown = await team.member.get(team.url('/ical-feed')).expect(200);
    expect(shown.text).not.toContain(second.token.slice(4));
  });

  it('deletes: 204, the URL dies, deleting again is a no-op', async () => {
    const team = await makeTeam(t, factory);
    const { path } = await issueFeed(team.member, team);
    await t.http().get(path).expect(200);

    const response = await team.member.delete(team.url('/ical-feed')).expect(204);
    expect(response.text).toBe('');
    await expectProblem404(path);
    expect(await feedRows(team.organization.id)).toEqual([]);
    expect((await team.member.get(team.url('/ical-feed'))).body).toEqual({
      exists: false,
      created_at: null,
      last_accessed_at: null,
    });

    await team.member.delete(team.url('/ical-feed')).expect(204);
    expect(await auditActions(t, team.organization.id)).toEqual([
      'calendar_feed.created',
      'calendar_feed.deleted',
    ]);
  });

  it('gives two simultaneous first requests one feed, whose URL is the later token', async () => {
    const team = await makeTeam(t, factory);
    const responses = await Promise.all([
      team.member.post(team.url('/ical-feed')),
      team.member.post(team.url('/ical-feed')),
    ]);
    expect(responses.map((response) => response.status)).toEqual([201, 201]);
    const rows = await feedRows(team.organization.id);
    expect(rows).toHaveLength(1);
    const statuses = await Promise.all(
      responses.map(async (response) => {
        const path = new URL(response.body.url as string).pathname;
        return (await t.http().get(path)).status;
      }),
    );
    expect(statuses.sort()).toEqual([200, 404]);
    expect((await auditActions(t, team.organization.id)).sort()).toEqual([
      'calendar_feed.created',
      'calendar_feed.rotated',
    ]);
  });

  it('records a read at most once a minute', async () => {
    const team = await makeTeam(t, factory);
    const { path } = await issueFeed(team.member, team);
    const repository = t.dataSource.getRepository(CalendarFeed);
    const feedOf = () => repository.findOneByOrFail({ userId: team.member.user.id });

    await t.http().get(path).expect(200);
    const firstRead = (await feedOf()).lastAccessedAt;
    expect(firstRead).toBeInstanceOf(Date);
    expect(Math.abs(firstRead!.getTime() - Date.now())).toBeLessThan(60_000);
    const { updatedAt } = await feedOf();

    // Read 30 s ago: not written again.
    const recent = new Date(Math.floor(Date.now() / 1000) * 1000 - 30_000);
    await repository.update({ userId: team.member.user.id }, { lastAccessedAt: recent });
    await t.http().get(path).expect(200);
    expect((await feedOf()).lastAccessedAt).toEqual(recent);

    // Read two minutes ago: written again, and updated_at (the token's age) is left alone.
    const stale = new Date(recent.getTime() - 90_000);
    await repository.update({ userId: team.member.user.id }, { lastAccessedAt: stale });
    await t.http().get(path).expect(200);
    const touched = await feedOf();
    expect(touched.lastAccessedAt!.getTime()).toBeGreaterThan(recent.getTime());
    expect(touched.updatedAt).toEqual(updatedAt);
    expect((await team.member.get(team.url('/ical-feed'))).body.last_accessed_at).toBe(
      touched.lastAccessedAt!.toISOString(),
    );
  });

  it('answers 404 for unknown and malformed tokens, and under /api/v1', async () => {
    const team = await makeTeam(t, factory);
    const { token, path } = await issueFeed(team.member, team);
    await expectProblem404(`/ical/cal_${'A'.repeat(43)}.ics`);
    await expectProblem404('/ical/not-a-token.ics');
    // Without the extension no route matches at all (as for any unknown path outside /api/v1).
    await t.http().get(`/ical/${token}`).expect(404);
    await expectProblem404(`/ical/${token}.ics.ics`);
    await expectProblem404(`/api/v1${path}`);
    // The real URL, meanwhile, works.
    await t.http().get(path).expect(200);
  });

  it('answers 404 once the owner has left, and keeps the old URL dead if they come back', async () => {
    const team = await makeTeam(t, factory);
    const { path } = await issueFeed(team.member, team);
    await t.http().get(path).expect(200);

    await team.member.delete(team.url(`/members/${team.member.user.id}`)).expect(204);
    await expectProblem404(path);

    // Issued ten minutes ago; the member rejoins now.
    await t.dataSource
      .getRepository(CalendarFeed)
      .update(
        { userId: team.member.user.id },
        { updatedAt: new Date(Math.floor(Date.now() / 1000) * 1000 - 600_000) },
      );
    await factory.member(team.organization, team.member.user, 'member');
    await expectProblem404(path);

    // A feed issued after rejoining works.
    const fresh = await issueFeed(team.member, team);
    await t.http().get(fresh.path).expect(200);
  });

  it('answers 404 once the organization is soft-deleted', async () => {
    const team = await makeTeam(t, factory);
    const { path } = await issueFeed(team.member, team);
    await t.http().get(path).expect(200);
    await t.dataSource.getRepository(Organization).softDelete({ id: team.organization.id });
    await expectProblem404(path);
  });

  it('goes with its user and its organization when they are really deleted', async () => {
    const team = await makeTeam(t, factory);
    await issueFeed(team.member, team);
    await issueFeed(team.viewer, team);
    await t.dataSource.getRepository(User).delete({ id: team.member.user.id });
    expect((await feedRows(team.organization.id)).map((row) => Number(row.user_id))).toEqual([
      team.viewer.user.id,
    ]);
    await t.dataSource.getRepository(Organization).delete({ id: team.organization.id });
    expect(await feedRows(team.organization.id)).toEqual([]);
  });

  it('is managed by members only: 404 to outsiders, 401 without a token', async () => {
    const team = await makeTeam(t, factory);
    const outsider = await actingAs(t, await factory.user());
    await outsider.get(team.url('/ical-feed')).expect(404);
    await outsider.post(team.url('/ical-feed')).expect(404);
    await outsider.delete(team.url('/ical-feed')).expect(404);
    await t.http().post(team.url('/ical-feed')).expect(401);
    expect(await feedRows(team.organization.id)).toEqual([]);
    expect(
      await t.dataSource
        .getRepository(OrganizationMember)
        .countBy({ organizationId: team.organization.id, userId: outsider.user.id }),
    ).toBe(0);
  });

  it('documents the public feed outside /api/v1 and the management routes with their permission', async () => {
    const document = (await t.http().get('/docs-json').expect(200)).body as {
      paths: Record<string, Record<string, { 'x-permission'?: string; security?: unknown[] }>>;
    };
    const management = document.paths['/api/v1/organizations/{organizationId}/ical-feed'];
    expect(Object.keys(management).sort()).toEqual(['delete', 'get', 'post']);
    for (const operation of Object.values(management)) {
      expect(operation['x-permission']).toBe('calendar-feed:manage:own');
    }
    const file = document.paths['/ical/{token}.ics'];
    expect(Object.keys(file)).toEqual(['get']);
    expect(file.get.security ?? []).toEqual([]);
  });
});
