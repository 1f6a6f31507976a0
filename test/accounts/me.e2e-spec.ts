import { User } from '../../src/users/user.entity';
import { Factory } from '../factories';
import { bootApp, TestApp } from '../support/app';
import { actingAs, Actor } from '../support/actors';

describe('me: profile and current organization', () => {
  let t: TestApp;
  let factory: Factory;
  let ada: Actor;

  beforeAll(async () => {
    t = await bootApp();
    factory = new Factory(t.dataSource);
    ada = await actingAs(t, await factory.user({ name: 'Ada' }));
  });
  afterAll(() => t.close());

  it('shows the profile with memberships and roles, without deleted organizations', async () => {
    const acme = await factory.organization({ name: 'Acme', owner: ada.user });
    const other = await factory.organization({ name: 'Beta' });
    await factory.member(other, ada.user, 'viewer');
    const gone = await factory.organization({ name: 'Gone', deletedAt: new Date() });
    await factory.member(gone, ada.user, 'admin');

    const response = await ada.get('/api/v1/me').expect(200);
    expect(response.body).toMatchObject({
      id: ada.user.id,
      name: 'Ada',
      work_days: ['mon', 'tue', 'wed', 'thu', 'fri'],
      work_hours_start: '08:00:00',
      work_hours_end: '18:00:00',
    });
    expect(response.body.memberships).toEqual([
      expect.objectContaining({
        organization: { id: acme.id, name: 'Acme', slug: acme.slug },
        role: 'owner',
      }),
      expect.objectContaining({
        organization: { id: other.id, name: 'Beta', slug: other.slug },
        role: 'viewer',
      }),
    ]);
  });

  it('updates preferences with validation', async () => {
    const response = await ada
      .patch('/api/v1/me', {
        name: 'Ada L.',
        timezone: 'Europe/Amsterdam',
        work_days: ['mon', 'wed'],
        work_hours_start: '09:30',
        work_hours_end: '17:00',
        preferences: { theme: 'dark' },
      })
      .expect(200);
    expect(response.body).toMatchObject({
      name: 'Ada L.',
      timezone: 'Europe/Amsterdam',
      work_days: ['mon', 'wed'],
      work_hours_start: '09:30:00',
      work_hours_end: '17:00:00',
      preferences: { theme: 'dark' },
    });

    const bad = await ada.patch('/api/v1/me', {
      timezone: 'Mars/Olympus',
      work_days: ['mon', 'funday'],
      work_hours_start: '25:00',
    });
    expect(bad.status).toBe(422);
    expect(Object.keys(bad.body.errors).sort()).toEqual([
      'timezone',
      'work_days',
      'work_hours_start',
    ]);

    const backwards = await ada.patch('/api/v1/me', {
      work_hours_start: '18:00',
      work_hours_end: '09:00',
    });
    expect(backwards.status).toBe(422);
    expect(backwards.body.errors).toEqual({
      work_hours_end: ['work_hours_end must be after work_hours_start.'],
    });

    const stored = await t.dataSource.getRepository(User).findOneByOrFail({ id: ada.user.id });
    expect(stored).toMatchObject({ timezone: 'Europe/Amsterdam', workHoursStart: '09:30:00' });
  });

  it('refuses preferences that are too large or too deeply nested, keeping the old ones', async () => {
    await ada.patch('/api/v1/me', { preferences: { theme: 'dark' } }).expect(200);
    let deep: Record<string, unknown> = { leaf: true };
    for (let level = 0; level < 10; level++) deep = { nested: deep };
    for (const preferences of [{ blob: 'x'.repeat(10 * 1024) }, deep, ['dark'], 'dark']) {
      const refused = await ada.patch('/api/v1/me', { preferences });
      expect(refused.status).toBe(422);
      expect(Object.keys(refused.body.errors)).toEqual(['preferences']);
    }
    let nested: Record<string, unknown> = { leaf: true };
    for (let level = 0; level < 7; level++) nested = { nested };
    await ada.patch('/api/v1/me', { preferences: nested }).expect(200);
    const stored = await t.dataSource.getRepository(User).findOneByOrFail({ id: ada.user.id });
    expect(stored.preferences).toEqual(nested);
  });

  it('refuses to change email, password or anything else through PATCH /me', async () => {
    const response = await ada.patch('/api/v1/me', { email: 'evil@example.com', password: 'x' });
    expect(response.status).toBe(422);
    expect(Object.keys(response.body.errors).sort()).toEqual(['email', 'password']);
  });

  it('switches the current organization only to one of mine', async () => {
    const mine = await factory.organization({ owner: ada.user });
    const foreign = await factory.organization();
    const response = await ada
      .put('/api/v1/me/current-organization', { organization_id: mine.id })
      .expect(200);
    expect(response.body.current_organization_id).toBe(mine.id);

    const refused = await ada.put('/api/v1/me/current-organization', {
      organization_id: foreign.id,
    });
    expect(refused.status).toBe(422);
    expect(refused.body.errors.organization_id).toBeDefined();
    const stored = await t.dataSource.getRepository(User).findOneByOrFail({ id: ada.user.id });
    expect(stored.currentOrganizationId).toBe(mine.id);
  });
});
