import { CalendarFeed } from '../../src/ical-feeds/calendar-feed.entity';
import { OrganizationMember } from '../../src/organizations/organization-member.entity';
import { Organization } from '../../src/organizations/organization.entity';
import { User } from '../../src/users/user.entity';
import { Factory } from '../factories';
import { bootApp, TestApp } from '../support/app';
import { actingAs, auditActions, makeTeam } from '../support/actors';

describe('organizations', () => {
  let t: TestApp;
  let factory: Factory;

  beforeAll(async () => {
    t = await bootApp();
    factory = new Factory(t.dataSource);
  });
  afterAll(() => t.close());

  it('creates an organization owned by its creator, with a slug from the name', async () => {
    const ada = await actingAs(t, await factory.user());
    const response = await ada
      .post('/api/v1/organizations', { name: '  Café Müller & Co ', timezone: 'Europe/Amsterdam' })
      .expect(201);
    expect(response.body).toMatchObject({
      name: 'Café Müller & Co',
      slug: 'cafe-muller-co',
      timezone: 'Europe/Amsterdam',
      owner_id: ada.user.id,
      role: 'owner',
      subscription_status: 'trial',
      settings: {},
    });
    const membership = await t.dataSource
      .getRepository(OrganizationMember)
      .findOneByOrFail({ organizationId: response.body.id, userId: ada.user.id });
    expect(membership.role).toBe('owner');
    expect(membership.joinedAt).toBeInstanceOf(Date);
    // The first organization becomes the current one.
    const user = await t.dataSource.getRepository(User).findOneByOrFail({ id: ada.user.id });
    expect(user.currentOrganizationId).toBe(response.body.id);
    expect(await auditActions(t, response.body.id)).toEqual(['organization.created']);

    // Same name again: the next free slug.
    const again = await ada.post('/api/v1/organizations', { name: 'Café Müller & Co' }).expect(201);
    expect(again.body.slug).toBe('cafe-muller-co-2');
  });

  it('refuses a taken or malformed slug with 422', async () => {
    const ada = await actingAs(t, await factory.user());
    await ada.post('/api/v1/organizations', { name: 'One', slug: 'taken-slug' }).expect(201);
    const taken = await ada.post('/api/v1/organizations', { name: 'Two', slug: 'taken-slug' });
    expect(taken.status).toBe(422);
    expect(taken.body.errors).toEqual({ slug: ['slug has already been taken.'] });
    const malformed = await ada.post('/api/v1/organizations', {
      name: 'Three',
      slug: 'Not A Slug',
    });
    expect(malformed.status).toBe(422);
    expect(malformed.body.errors.slug).toBeDefined();
  });

  it('lists only my organizations, with my role, paginated by cursor', async () => {
    const ada = await actingAs(t, await factory.user());
    for (let i = 0; i < 3; i++) await factory.organization({ owner: ada.user, name: `Mine ${i}` });
    const shared = await factory.organization();
    await factory.member(shared, ada.user, 'viewer');
    await factory.organization(); // not mine

    const first = await ada.get('/api/v1/organizations?limit=3').expect(200);
    expect(first.body.data).toHaveLength(3);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const second = await ada
      .get(`/api/v1/organizations?limit=3&cursor=${first.body.next_cursor}`)
      .expect(200);
    expect(second.body).toEqual({
      data: [expect.objectContaining({ id: shared.id, role: 'viewer' })],
      next_cursor: null,
    });

    const bad = await ada.get('/api/v1/organizations?cursor=garbage');
    expect(bad.status).toBe(422);
    expect(bad.body.errors.cursor).toBeDefined();
  });

  it('lets admins update details and settings, and records what changed', async () => {
    const team = await makeTeam(t, factory);
    const response = await team.admin
      .patch(team.url(), {
        name: 'Renamed',
        billing_email: 'billing@example.com',
        settings: { prevent_overlaps: true, default_hourly_rate: '95.00' },
      })
      .expect(200);
    expect(response.body).toMatchObject({
      name: 'Renamed',
      billing_email: 'billing@example.com',
      settings: { prevent_overlaps: true, default_hourly_rate: '95.00' },
      role: 'admin',
    });
    // Settings merge: changing one key keeps the others.
    const merged = await team.admin
      .patch(team.url(), { settings: { prevent_overlaps: false } })
      .expect(200);
    expect(merged.body.settings).toEqual({ prevent_overlaps: false, default_hourly_rate: '95.00' });

    const bad = await team.admin.patch(team.url(), {
      settings: { default_hourly_rate: '-3', colour: 'red' },
    });
    expect(bad.status).toBe(422);
    expect(Object.keys(bad.body.errors).sort()).toEqual([
      'settings.colour',
      'settings.default_hourly_rate',
    ]);

    await team.member.patch(team.url(), { name: 'Nope' }).expect(403);
    const stored = await t.dataSource
      .getRepository(Organization)
      .findOneByOrFail({ id: team.organization.id });
    expect(stored.name).toBe('Renamed');

    const logs = await team.owner
      .get(team.url('/audit-logs?action=organization.updated'))
      .expect(200);
    expect(logs.body.data[1]).toMatchObject({
      user_id: team.admin.user.id,
      old_values: { name: team.organization.name, billing_email: null },
      new_values: { name: 'Renamed', billing_email: 'billing@example.com' },
    });
  });

  it('soft-deletes an organization (owner only); it disappears everywhere', async () => {
    const team = await makeTeam(t, factory);
    await team.admin.delete(team.url()).expect(403);
    await team.owner.delete(team.url()).expect(204);

    const row = await t.dataSource
      .getRepository(Organization)
      .findOne({ where: { id: team.organization.id }, withDeleted: true });
    expect(row?.deletedAt).toBeInstanceOf(Date);
    await team.owner.get(team.url()).expect(404);
    await team.admin.get(team.url('/members')).expect(404);
    const mine = await team.owner.get('/api/v1/organizations').expect(200);
    expect(mine.body.data.map((o: { id: number }) => o.id)).not.toContain(team.organization.id);
    const me = await team.owner.get('/api/v1/me').expect(200);
    expect(me.body.memberships).toEqual([]);
  });

  it('hides organizations from non-members with 404, whatever the id looks like', async () => {
    const team = await makeTeam(t, factory);
    const outsider = await actingAs(t, await factory.user());
    for (const path of [
      team.url(),
      team.url('/members'),
      '/api/v1/organizations/999999',
      '/api/v1/organizations/abc',
    ]) {
      const response = await outsider.get(path);
      expect(response.status).toBe(404);
      expect(response.body).toMatchObject({ status: 404, title: 'Not Found' });
    }
  });
});

describe('members and ownership', () => {
  let t: TestApp;
  let factory: Factory;

  beforeAll(async () => {
    t = await bootApp();
    factory = new Factory(t.dataSource);
  });
  afterAll(() => t.close());

  const roleOf = async (organizationId: number, userId: number) =>
    (await t.dataSource.getRepository(OrganizationMember).findOneBy({ organizationId, userId }))
      ?.role ?? null;

  it('lists members with their roles to every member', async () => {
    const team = await makeTeam(t, factory);
    const response = await team.viewer.get(team.url('/members')).expect(200);
    expect(response.body.data.map((m: { role: string }) => m.role)).toEqual([
      'owner',
      'admin',
      'member',
      'viewer',
    ]);
    expect(response.body.data[0]).toMatchObject({
      user_id: team.owner.user.id,
      email: team.owner.user.email,
    });
  });

  it('lets admins change roles below their own, never the owner’s', async () => {
    const team = await makeTeam(t, factory);
    const id = team.organization.id;
    await team.admin
      .patch(team.url(`/members/${team.member.user.id}`), { role: 'viewer' })
      .expect(200);
    expect(await roleOf(id, team.member.user.id)).toBe('viewer');

    // An admin cannot grant owner, edit another admin, or touch the owner.
    const grantOwner = await team.admin.patch(team.url(`/members/${team.viewer.user.id}`), {
      role: 'owner',
    });
    expect(grantOwner.status).toBe(422);
    const otherAdmin = await actingAs(t, await factory.user());
    await factory.member(team.organization, otherAdmin.user, 'admin');
    await team.admin
      .patch(team.url(`/members/${otherAdmin.user.id}`), { role: 'member' })
      .expect(403);
    await team.admin
      .patch(team.url(`/members/${team.owner.user.id}`), { role: 'member' })
      .expect(403);
    await team.owner
      .patch(team.url(`/members/${team.owner.user.id}`), { role: 'admin' })
      .expect(403);
    // The owner can change an admin.
    await team.owner
      .patch(team.url(`/members/${otherAdmin.user.id}`), { role: 'member' })
      .expect(200);
    // Members cannot change roles at all.
    await team.member
      .patch(team.url(`/members/${team.viewer.user.id}`), { role: 'member' })
      .expect(403);

    expect(await roleOf(id, team.owner.user.id)).toBe('owner');
    expect(await roleOf(id, otherAdmin.user.id)).toBe('member');
    const logs = await team.owner
      .get(team.url('/audit-logs?action=member.role_changed'))
      .expect(200);
    expect(logs.body.data).toHaveLength(2);
    expect(logs.body.data[1]).toMatchObject({
      auditable_type: 'user',
      auditable_id: team.member.user.id,
      old_values: { role: 'member' },
      new_values: { role: 'viewer' },
    });
  });

  it('lets anyone leave, admins remove members, and nobody remove the owner', async () => {
    const team = await makeTeam(t, factory);
    const id = team.organization.id;
    await team.viewer.post(team.url('/ical-feed')).expect(201);
    await team.viewer.delete(team.url(`/members/${team.viewer.user.id}`)).expect(204);
    expect(await roleOf(id, team.viewer.user.id)).toBeNull();
    await team.viewer.get(team.url()).expect(404);
    // Their secret calendar feed went with the membership.
    expect(
      await t.dataSource
        .getRepository(CalendarFeed)
        .countBy({ organizationId: id, userId: team.viewer.user.id }),
    ).toBe(0);

    await team.member.delete(team.url(`/members/${team.admin.user.id}`)).expect(403);
    await team.admin.delete(team.url(`/members/${team.member.user.id}`)).expect(204);
    expect(await roleOf(id, team.member.user.id)).toBeNull();

    await team.admin.delete(team.url(`/members/${team.owner.user.id}`)).expect(403);
    const ownerLeaves = await team.owner.delete(team.url(`/members/${team.owner.user.id}`));
    expect(ownerLeaves.status).toBe(409);
    expect(ownerLeaves.body.detail).toMatch(/transfer ownership/);
    await team.admin.delete(team.url('/members/999999')).expect(404);
    expect(await auditActions(t, id)).toEqual([
      'calendar_feed.created',
      'member.left',
      'member.removed',
    ]);
  });

  it('transfers ownership to a member; the old owner becomes admin; one owner always', async () => {
    const team = await makeTeam(t, factory);
    const id = team.organization.id;
    const outsider = await factory.user();
    await team.admin
      .post(team.url('/transfer-ownership'), { user_id: team.member.user.id })
      .expect(403);
    const notMember = await team.owner.post(team.url('/transfer-ownership'), {
      user_id: outsider.id,
    });
    expect(notMember.status).toBe(422);

    const response = await team.owner
      .post(team.url('/transfer-ownership'), { user_id: team.member.user.id })
      .expect(200);
    expect(response.body.owner_id).toBe(team.member.user.id);
    expect(await roleOf(id, team.member.user.id)).toBe('owner');
    expect(await roleOf(id, team.owner.user.id)).toBe('admin');
    const owners = await t.dataSource
      .getRepository(OrganizationMember)
      .countBy({ organizationId: id, role: 'owner' });
    expect(owners).toBe(1);
    // The former owner has lost owner powers.
    await team.owner.delete(team.url()).expect(403);
    expect(await auditActions(t, id)).toContain('organization.ownership_transferred');
  });
});
