import { Factory } from '../factories';
import { auditActions, makeTeam, Team } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import { snapshot } from '../tenancy/routes';
import { auditTrail, blockRow, projectRow, queryString } from './support';

/*
 * Projects: optionally under a client of the same organization, with a colour, a decimal hourly
 * rate and metadata; listed by name with filters, archived and deleted without losing the time
 * blocks that point at them.
 */
describe('projects', () => {
  let t: TestApp;
  let factory: Factory;
  let team: Team;

  beforeAll(async () => {
    t = await bootApp();
    factory = new Factory(t.dataSource);
    team = await makeTeam(t, factory);
  });
  afterAll(() => t?.close());

  const freshTeam = () => makeTeam(t, factory);

  describe('creating', () => {
    it('creates a local project under a client of the organization, and audits it', async () => {
      const client = await factory.client(team.organization, { name: 'Acme' });
      const response = await team.admin
        .post(team.url('/projects'), {
          name: ' Website relaunch ',
          client_id: client.id,
          color: '#1A2B3C',
          hourly_rate: '95.5',
          metadata: { budget_hours: 120 },
        })
        .expect(201);

      expect(response.body).toEqual({
        id: expect.any(Number),
        name: 'Website relaunch',
        client_id: client.id,
        color: '#1a2b3c',
        hourly_rate: '95.50',
        metadata: { budget_hours: 120 },
        is_active: true,
        source: 'local',
        integration_id: null,
        external_id: null,
        read_only_fields: [],
        created_at: expect.any(String),
        updated_at: expect.any(String),
      });
      expect(await projectRow(t, response.body.id)).toMatchObject({
        organizationId: team.organization.id,
        clientId: client.id,
        hourlyRate: '95.50',
      });
      expect(await auditTrail(t, 'project', response.body.id)).toEqual([
        {
          action: 'project.created',
          user_id: team.admin.user.id,
          old_values: null,
          new_values: {
            name: 'Website relaunch',
            client_id: client.id,
            color: '#1a2b3c',
            hourly_rate: '95.50',
            metadata: { budget_hours: 120 },
            is_active: true,
          },
        },
      ]);
      const shown = await team.viewer.get(team.url(`/projects/${response.body.id}`)).expect(200);
      expect(shown.body).toEqual(response.body);
    });

    it('needs only a name: no client, no colour, no rate', async () => {
      const response = await team.owner
        .post(team.url('/projects'), { name: 'Internal', client_id: null, hourly_rate: null })
        .expect(201);
      expect(response.body).toMatchObject({
        client_id: null,
        color: null,
        hourly_rate: null,
        metadata: {},
      });
    });

    it.each([
      ['85', '85.00'],
      ['85.5', '85.50'],
      ['0', '0.00'],
      ['007.25', '7.25'],
      ['99999999.99', '99999999.99'],
      [85, '85.00'],
      [85.5, '85.50'],
      [0.1, '0.10'],
      [0, '0.00'],
      [1234.56, '1234.56'],
    ])('stores the hourly rate %p as the decimal string %p', async (sent, stored) => {
      const response = await team.admin
        .post(team.url('/projects'), { name: 'Rated', hourly_rate: sent })
        .expect(201);
      expect(response.body.hourly_rate).toBe(stored);
      expect((await projectRow(t, response.body.id))?.hourlyRate).toBe(stored);
    });

    it.each([
      ['a negative string', { hourly_rate: '-1' }, ['hourly_rate']],
      ['a negative number', { hourly_rate: -0.5 }, ['hourly_rate']],
      ['three decimals', { hourly_rate: '1.234' }, ['hourly_rate']],
      ['a number with three decimals', { hourly_rate: 85.555 }, ['hourly_rate']],
      ['an exponent', { hourly_rate: '1e3' }, ['hourly_rate']],
      ['too many digits', { hourly_rate: '123456789' }, ['hourly_rate']],
      ['a huge number', { hourly_rate: 1e21 }, ['hourly_rate']],
      ['text', { hourly_rate: 'lots' }, ['hourly_rate']],
      ['a boolean', { hourly_rate: true }, ['hourly_rate']],
      ['a colour name', { color: 'red' }, ['color']],
      ['a short hex colour', { color: '#abc' }, ['color']],
      ['a non-hex colour', { color: '#12345g' }, ['color']],
      ['a client_id string', { client_id: '1' }, ['client_id']],
      ['a client_id of zero', { client_id: 0 }, ['client_id']],
      ['an array of metadata', { metadata: [1] }, ['metadata']],
      ['an unknown field', { billable: true }, ['billable']],
      ['an integration_id', { integration_id: 1 }, ['integration_id']],
    ])('refuses %s with 422 naming the field, and writes nothing', async (_, extra, fields) => {
      const before = await snapshot(t, team.organization.id);
      const response = await team.admin.post(team.url('/projects'), { name: 'Bad', ...extra });

      expect(response.status).toBe(422);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(Object.keys(response.body.errors).sort()).toEqual(fields);
      expect(await snapshot(t, team.organization.id)).toEqual(before);
    });

    it("refuses another organization's client, or one that does not exist, with 422 on client_id", async () => {
      const foreign = await factory.client(await factory.organization(), { name: 'Foreign' });
      for (const clientId of [foreign.id, 99_999_999]) {
        const before = await snapshot(t, team.organization.id);
        const response = await team.admin.post(team.url('/projects'), {
          name: 'Misfiled',
          client_id: clientId,
        });
        expect(response.status).toBe(422);
        expect(response.body.errors).toEqual({
          client_id: ['client_id does not exist in this organization.'],
        });
        expect(response.text).not.toContain('Foreign');
        expect(await snapshot(t, team.organization.id)).toEqual(before);
      }
    });

    it('accepts an archived client of the organization (archiving hides, it does not forbid)', async () => {
      const archived = await factory.client(team.organization, { isActive: false });
      const response = await team.admin
        .post(team.url('/projects'), { name: 'Late work', client_id: archived.id })
        .expect(201);
      expect(response.body.client_id).toBe(archived.id);
    });
  });

  describe('listing', () => {
    it('lists by name, filtered by client, archive state and search, paginated', async () => {
      const own = await freshTeam();
      const org = own.organization;
      const acme = await factory.client(org, { name: 'Acme' });
      const globex = await factory.client(org, { name: 'Globex' });
      const web = await factory.project(org, { client: acme, name: 'Website' });
      const app = await factory.project(org, { client: acme, name: 'App_v2', isActive: false });
      const audit = await factory.project(org, { client: globex, name: 'Audit 100%' });
      const internal = await factory.project(org, { name: 'Internal admin' });
      const foreignClient = await factory.client(await factory.organization());
      await factory.project(await factory.organization(), { name: 'Another tenant' });

      const ids = async (query: Record<string, string | number | boolean | undefined>) => {
        const response = await own.viewer
          .get(own.url(`/projects${queryString(query)}`))
          .expect(200);
        expect(response.body.next_cursor).toBeNull();
        return response.body.data.map((p: { id: number }) => p.id);
      };
      expect(await ids({})).toEqual([app.id, audit.id, internal.id, web.id]);
      expect(await ids({ client_id: acme.id })).toEqual([app.id, web.id]);
      expect(await ids({ client_id: acme.id, is_active: true })).toEqual([web.id]);
      expect(await ids({ is_active: false })).toEqual([app.id]);
      expect(await ids({ q: 'ADMIN' })).toEqual([internal.id]);
      expect(await ids({ q: 'app_' })).toEqual([app.id]);
      expect(await ids({ q: '100%' })).toEqual([audit.id]);
      expect(await ids({ q: '0%' })).toEqual([audit.id]);
      expect(await ids({ client_id: foreignClient.id })).toEqual([]);

      const first = await own.member.get(own.url('/projects?limit=3')).expect(200);
      expect(first.body.data.map((p: { id: number }) => p.id)).toEqual([
        app.id,
        audit.id,
        internal.id,
      ]);
      const second = await own.member
        .get(own.url(`/projects?limit=3&cursor=${first.body.next_cursor}`))
        .expect(200);
      expect(second.body).toEqual({
        data: [expect.objectContaining({ id: web.id, hourly_rate: '85.00' })],
        next_cursor: null,
      });

      for (const query of ['client_id=abc', 'client_id=-1', 'is_active=1', 'limit=500']) {
        const bad = await own.member.get(own.url(`/projects?${query}`));
        expect({ query, status: bad.status }).toEqual({ query, status: 422 });
        expect(Object.keys(bad.body.errors)).toEqual([query.split('=')[0]]);
      }
    });
  });

  describe('updating', () => {
    it('moves a project to another client, clears client and rate, and audits the diff', async () => {
      const acme = await factory.client(team.organization, { name: 'Acme' });
      const globex = await factory.client(team.organization, { name: 'Globex' });
      const project = await factory.project(team.organization, { client: acme, color: '#000000' });

      const moved = await team.admin
        .patch(team.url(`/projects/${project.id}`), {
          client_id: globex.id,
          hourly_rate: 120,
          color: '#FFFFFF',
        })
        .expect(200);
      expect(moved.body).toMatchObject({
        client_id: globex.id,
        hourly_rate: '120.00',
        color: '#ffffff',
      });

      const cleared = await team.admin
        .patch(team.url(`/projects/${project.id}`), {
          client_id: null,
          hourly_rate: null,
          color: null,
        })
        .expect(200);
      expect(cleared.body).toMatchObject({ client_id: null, hourly_rate: null, color: null });
      expect(await projectRow(t, project.id)).toMatchObject({
        clientId: null,
        hourlyRate: null,
        color: null,
      });

      expect(await auditTrail(t, 'project', project.id)).toEqual([
        {
          action: 'project.updated',
          user_id: team.admin.user.id,
          old_values: { client_id: acme.id, color: '#000000', hourly_rate: '85.00' },
          new_values: { client_id: globex.id, color: '#ffffff', hourly_rate: '120.00' },
        },
        {
          action: 'project.updated',
          user_id: team.admin.user.id,
          old_values: { client_id: globex.id, color: '#ffffff', hourly_rate: '120.00' },
          new_values: { client_id: null, color: null, hourly_rate: null },
        },
      ]);
    });

    it('writes no audit row when the same values are sent (85 is "85.00")', async () => {
      const project = await factory.project(team.organization, { name: 'Same', color: '#abcdef' });
      await team.admin
        .patch(team.url(`/projects/${project.id}`), {
          name: 'Same',
          hourly_rate: 85,
          color: '#ABCDEF',
          client_id: null,
        })
        .expect(200);
      expect(await auditTrail(t, 'project', project.id)).toEqual([]);
    });

    it("refuses another organization's client_id with 422 and leaves the project as it was", async () => {
      const project = await factory.project(team.organization, { name: 'Stays' });
      const foreign = await factory.client(await factory.organization());
      const before = await snapshot(t, team.organization.id);
      const response = await team.admin.patch(team.url(`/projects/${project.id}`), {
        name: 'Renamed',
        client_id: foreign.id,
      });
      expect(response.status).toBe(422);
      expect(Object.keys(response.body.errors)).toEqual(['client_id']);
      expect(await snapshot(t, team.organization.id)).toEqual(before);
    });

    it.each([
      ['a null name', { name: null }, ['name']],
      ['a null is_active', { is_active: null }, ['is_active']],
      [
        'a bad rate and a bad colour',
        { hourly_rate: '-5', color: 'blue' },
        ['color', 'hourly_rate'],
      ],
      ['the tenant', { organization_id: 1 }, ['organization_id']],
      ['an external_id', { external_id: 'P-1' }, ['external_id']],
    ])('refuses %s with 422 and changes nothing', async (_, body, fields) => {
      const project = await factory.project(team.organization);
      const before = await snapshot(t, team.organization.id);
      const response = await team.admin.patch(team.url(`/projects/${project.id}`), body);
      expect(response.status).toBe(422);
      expect(Object.keys(response.body.errors).sort()).toEqual(fields);
      expect(await snapshot(t, team.organization.id)).toEqual(before);
    });

    it('archives: hidden from pickers, kept on its blocks, still shown and listed without the filter', async () => {
      const own = await freshTeam();
      const project = await factory.project(own.organization, { name: 'Wound down' });
      const block = await factory.timeBlock(own.organization, own.member.user, { project });
      await own.admin.patch(own.url(`/projects/${project.id}`), { is_active: false }).expect(200);

      const picker = await own.member.get(own.url('/projects?is_active=true')).expect(200);
      expect(picker.body.data).toEqual([]);
      const all = await own.member.get(own.url('/projects')).expect(200);
      expect(all.body.data).toEqual([
        expect.objectContaining({ id: project.id, is_active: false }),
      ]);
      expect((await blockRow(t, block.id)).projectId).toBe(project.id);
    });
  });

  describe('deleting', () => {
    it("keeps the project's time blocks, without the project but with their client", async () => {
      const org = team.organization;
      const client = await factory.client(org);
      const project = await factory.project(org, { client, name: 'Ending' });
      const block = await factory.timeBlock(org, team.member.user, { project });
      const trashed = await factory.timeBlock(org, team.admin.user, {
        project,
        deletedAt: new Date(),
      });

      await team.owner.delete(team.url(`/projects/${project.id}`)).expect(204);

      expect(await projectRow(t, project.id)).toBeNull();
      await team.viewer.get(team.url(`/projects/${project.id}`)).expect(404);
      expect(await blockRow(t, block.id)).toMatchObject({ projectId: null, clientId: client.id });
      expect(await blockRow(t, trashed.id)).toMatchObject({ projectId: null });
      expect(await auditTrail(t, 'project', project.id)).toEqual([
        {
          action: 'project.deleted',
          user_id: team.owner.user.id,
          old_values: {
            name: 'Ending',
            client_id: client.id,
            color: null,
            hourly_rate: '85.00',
            metadata: null,
            is_active: true,
            integration_id: null,
            external_id: null,
            time_blocks_detached: 2,
          },
          new_values: null,
        },
      ]);
    });
  });

  describe('roles', () => {
    it('lets every member read, and refuses writes by members and viewers with 403', async () => {
      const own = await freshTeam();
      const project = await factory.project(own.organization);
      for (const actor of [own.owner, own.admin, own.member, own.viewer]) {
        await actor.get(own.url('/projects')).expect(200);
        await actor.get(own.url(`/projects/${project.id}`)).expect(200);
      }
      for (const actor of [own.member, own.viewer]) {
        const before = await snapshot(t, own.organization.id);
        const statuses = [
          (await actor.post(own.url('/projects'), { name: 'Sneaky' })).status,
          (await actor.patch(own.url(`/projects/${project.id}`), { hourly_rate: '1.00' })).status,
          (await actor.delete(own.url(`/projects/${project.id}`))).status,
        ];
        expect(statuses).toEqual([403, 403, 403]);
        expect(await snapshot(t, own.organization.id)).toEqual(before);
      }
      const created = await own.admin.post(own.url('/projects'), { name: 'Real' }).expect(201);
      await own.owner.delete(own.url(`/projects/${created.body.id}`)).expect(204);
      expect(await auditActions(t, own.organization.id)).toEqual([
        'project.created',
        'project.deleted',
      ]);
    });
  });
});
