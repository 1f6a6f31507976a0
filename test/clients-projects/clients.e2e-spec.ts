import { Factory } from '../factories';
import { auditActions, makeTeam, Team } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import { snapshot } from '../tenancy/routes';
import { auditTrail, blockRow, clientRow, projectRow, queryString } from './support';

/*
 * Clients as an organization's admins manage them and every member reads them: create, list
 * (by name, filtered, paginated), show, update, archive and delete — with the time blocks and
 * projects that point at a deleted client kept, and an audit row for every change.
 */
describe('clients', () => {
  let t: TestApp;
  let factory: Factory;
  let team: Team;

  beforeAll(async () => {
    t = await bootApp();
    factory = new Factory(t.dataSource);
    team = await makeTeam(t, factory);
  });
  afterAll(() => t?.close());

  /** A fresh team, for tests that count or list everything in an organization. */
  const freshTeam = () => makeTeam(t, factory);

  describe('creating', () => {
    it('creates a local client and records it in the audit trail', async () => {
      const response = await team.admin
        .post(team.url('/clients'), {
          name: '  Acme Corporation ',
          email: ' billing@acme.example ',
          metadata: { reference: 'PO-1042', tags: ['retainer'] },
        })
        .expect(201);

      expect(response.body).toEqual({
        id: expect.any(Number),
        name: 'Acme Corporation',
        email: 'billing@acme.example',
        metadata: { reference: 'PO-1042', tags: ['retainer'] },
        is_active: true,
        source: 'local',
        integration_id: null,
        external_id: null,
        read_only_fields: [],
        created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        updated_at: expect.any(String),
      });
      const stored = await clientRow(t, response.body.id);
      expect(stored).toMatchObject({
        organizationId: team.organization.id,
        name: 'Acme Corporation',
        integrationId: null,
        isActive: true,
      });
      expect(await auditTrail(t, 'client', response.body.id)).toEqual([
        {
          action: 'client.created',
          user_id: team.admin.user.id,
          old_values: null,
          new_values: {
            name: 'Acme Corporation',
            email: 'billing@acme.example',
            metadata: { reference: 'PO-1042', tags: ['retainer'] },
            is_active: true,
          },
        },
      ]);

      const shown = await team.viewer.get(team.url(`/clients/${response.body.id}`)).expect(200);
      expect(shown.body).toEqual(response.body);
    });

    it('needs only a name; the owner may create too, archived from the start if asked', async () => {
      const minimal = await team.owner.post(team.url('/clients'), { name: 'Minimal' }).expect(201);
      expect(minimal.body).toMatchObject({ name: 'Minimal', email: null, metadata: {} });

      const archived = await team.owner
        .post(team.url('/clients'), { name: 'Old client', email: null, is_active: false })
        .expect(201);
      expect(archived.body).toMatchObject({ is_active: false, email: null });
    });

    it.each([
      ['a missing name', {}, ['name']],
      ['a blank name', { name: '   ' }, ['name']],
      ['a null name', { name: null }, ['name']],
      ['a name over 255 characters', { name: 'x'.repeat(256) }, ['name']],
      ['a malformed email', { name: 'A', email: 'not-an-email' }, ['email']],
      ['metadata that is an array', { name: 'A', metadata: ['a'] }, ['metadata']],
      ['metadata that is a string', { name: 'A', metadata: 'note' }, ['metadata']],
      [
        'metadata over 10 KB serialized',
        { name: 'A', metadata: { blob: 'x'.repeat(10 * 1024) } },
        ['metadata'],
      ],
      [
        'metadata nested deeper than 8 levels',
        { name: 'A', metadata: { a: { b: { c: { d: { e: { f: { g: { h: { i: 1 } } } } } } } } } },
        ['metadata'],
      ],
      ['is_active that is not a boolean', { name: 'A', is_active: 'yes' }, ['is_active']],
      ['a null is_active', { name: 'A', is_active: null }, ['is_active']],
      [
        'an integration_id (set by the sync only)',
        { name: 'A', integration_id: 1 },
        ['integration_id'],
      ],
      ['an external_id', { name: 'A', external_id: 'C-1' }, ['external_id']],
      [
        'the tenant and timestamps',
        { name: 'A', organization_id: 1, created_at: '2000-01-01T00:00:00Z' },
        ['created_at', 'organization_id'],
      ],
      [
        'several problems at once',
        { name: '', email: 'x', color: '#fff' },
        ['color', 'email', 'name'],
      ],
    ])('refuses %s with 422 naming the fields, and writes nothing', async (_, body, fields) => {
      const before = await snapshot(t, team.organization.id);
      const response = await team.admin.post(team.url('/clients'), body);

      expect(response.status).toBe(422);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(Object.keys(response.body.errors).sort()).toEqual(fields);
      expect(await snapshot(t, team.organization.id)).toEqual(before);
    });

    it('accepts metadata of exactly 10 KB serialized', async () => {
      // {"b":"…"} is 8 characters around the string.
      const metadata = { b: 'x'.repeat(10 * 1024 - 8) };
      expect(Buffer.byteLength(JSON.stringify(metadata))).toBe(10 * 1024);
      await team.admin.post(team.url('/clients'), { name: 'Big', metadata }).expect(201);
    });
  });

  describe('listing', () => {
    it('lists by name (then id), including archived clients unless is_active narrows it', async () => {
      const own = await freshTeam();
      const org = own.organization;
      const zulu = await factory.client(org, { name: 'Zulu Works' });
      const alpha = await factory.client(org, { name: 'Alpha Labs', email: 'ops@alpha.example' });
      const mid = await factory.client(org, { name: 'Mike & Sons', isActive: false });
      const unknown = await factory.client(org, { name: 'November', isActive: null });
      await factory.client(await factory.organization(), { name: 'Another tenant' });

      const all = await own.member.get(own.url('/clients')).expect(200);
      expect(all.body.data.map((c: { id: number }) => c.id)).toEqual([
        alpha.id,
        mid.id,
        unknown.id,
        zulu.id,
      ]);
      expect(all.body.next_cursor).toBeNull();

      // Pickers: active only (a NULL is_active counts as active, the column's default).
      const active = await own.viewer.get(own.url('/clients?is_active=true')).expect(200);
      expect(active.body.data.map((c: { name: string }) => c.name)).toEqual([
        'Alpha Labs',
        'November',
        'Zulu Works',
      ]);
      expect(active.body.data[1].is_active).toBe(true);

      const archived = await own.viewer.get(own.url('/clients?is_active=false')).expect(200);
      expect(archived.body.data.map((c: { name: string }) => c.name)).toEqual(['Mike & Sons']);
    });

    it('searches name and email case-insensitively, with % and _ taken literally', async () => {
      const own = await freshTeam();
      const org = own.organization;
      await factory.client(org, { name: 'ACME Corporation' });
      await factory.client(org, { name: 'Globex', email: 'Finance@ACME-Partners.example' });
      await factory.client(org, { name: '100% Design' });
      await factory.client(org, { name: '1000 Designs' });
      await factory.client(org, { name: 'snake_case Ltd' });
      await factory.client(org, { name: 'snakeXcase Ltd' });
      await factory.client(org, { name: 'Bang! Studio' });

      const names = async (q: string, extra = {}) => {
        const response = await own.viewer
          .get(own.url(`/clients${queryString({ q, ...extra })}`))
          .expect(200);
        return response.body.data.map((c: { name: string }) => c.name);
      };
      expect(await names('acme')).toEqual(['ACME Corporation', 'Globex']);
      expect(await names('  CORP ')).toEqual(['ACME Corporation']);
      expect(await names('100%')).toEqual(['100% Design']);
      expect(await names('snake_')).toEqual(['snake_case Ltd']);
      expect(await names('g!')).toEqual(['Bang! Studio']);
      expect(await names('nothing like it')).toEqual([]);
      expect(await names('acme', { is_active: false })).toEqual([]);
    });

    it('paginates by cursor, 1–100 per page', async () => {
      const own = await freshTeam();
      // Equal names: the id breaks the tie, so no row is skipped or repeated across pages.
      const ids: number[] = [];
      for (let i = 0; i < 5; i++) {
        ids.push((await factory.client(own.organization, { name: 'Same name' })).id);
      }
      const seen: number[] = [];
      let cursor: string | undefined;
      do {
        const page = await own.member
          .get(own.url(`/clients${queryString({ limit: 2, cursor })}`))
          .expect(200);
        expect(page.body.data.length).toBeLessThanOrEqual(2);
        seen.push(...page.body.data.map((c: { id: number }) => c.id));
        cursor = page.body.next_cursor ?? undefined;
      } while (cursor);
      expect(seen).toEqual(ids);

      for (const query of ['limit=0', 'limit=101', 'cursor=garbage', 'is_active=yes']) {
        const bad = await own.member.get(own.url(`/clients?${query}`));
        expect({ query, status: bad.status }).toEqual({ query, status: 422 });
        expect(Object.keys(bad.body.errors)).toEqual([query.split('=')[0]]);
      }
      const unknown = await own.member.get(own.url('/clients?organization_id=1'));
      expect(unknown.status).toBe(422);
      expect(Object.keys(unknown.body.errors)).toEqual(['organization_id']);
    });
  });

  describe('showing', () => {
    it("answers 404 for unknown ids, malformed ids and another organization's clients", async () => {
      const foreign = await factory.client(await factory.organization(), { name: 'Foreign' });
      for (const id of [foreign.id, 99_999_999, 'abc', '0']) {
        const response = await team.viewer.get(team.url(`/clients/${id}`));
        expect({ id, status: response.status }).toEqual({ id, status: 404 });
        expect(response.body).toMatchObject({ status: 404, detail: 'Client not found.' });
        expect(response.text).not.toContain('Foreign');
      }
    });
  });

  describe('updating', () => {
    it('changes only the fields sent and audits exactly what changed', async () => {
      const client = await factory.client(team.organization, {
        name: 'Before',
        email: 'old@example.test',
        metadata: { a: 1, b: 2 },
      });
      const response = await team.admin
        .patch(team.url(`/clients/${client.id}`), {
          name: 'After',
          email: 'old@example.test',
          metadata: { b: 3 },
        })
        .expect(200);
      expect(response.body).toMatchObject({
        id: client.id,
        name: 'After',
        email: 'old@example.test',
        metadata: { b: 3 }, // replaced, not merged
        is_active: true,
      });
      expect(await auditTrail(t, 'client', client.id)).toEqual([
        {
          action: 'client.updated',
          user_id: team.admin.user.id,
          old_values: { name: 'Before', metadata: { a: 1, b: 2 } },
          new_values: { name: 'After', metadata: { b: 3 } },
        },
      ]);

      // Null clears the nullable fields.
      const cleared = await team.owner
        .patch(team.url(`/clients/${client.id}`), { email: null, metadata: null })
        .expect(200);
      expect(cleared.body).toMatchObject({ email: null, metadata: {} });
      expect(await clientRow(t, client.id)).toMatchObject({ email: null, metadata: null });
    });

    it('writes no audit row for a change that changes nothing', async () => {
      const client = await factory.client(team.organization, { name: 'Stable' });
      await team.admin.patch(team.url(`/clients/${client.id}`), { name: 'Stable' }).expect(200);
      await team.admin.patch(team.url(`/clients/${client.id}`), {}).expect(200);
      expect(await auditTrail(t, 'client', client.id)).toEqual([]);
    });

    it.each([
      ['a null name', { name: null }, ['name']],
      ['an empty name', { name: '' }, ['name']],
      ['a null is_active', { is_active: null }, ['is_active']],
      ['a malformed email', { email: 'nope' }, ['email']],
      ['an integration_id', { integration_id: 7 }, ['integration_id']],
      ['a new id', { id: 12345 }, ['id']],
    ])('refuses %s with 422 and leaves the client as it was', async (_, body, fields) => {
      const client = await factory.client(team.organization, { name: 'Untouched' });
      const before = await snapshot(t, team.organization.id);
      const response = await team.admin.patch(team.url(`/clients/${client.id}`), body);

      expect(response.status).toBe(422);
      expect(Object.keys(response.body.errors).sort()).toEqual(fields);
      expect(await snapshot(t, team.organization.id)).toEqual(before);
    });

    it('archives: hidden from pickers, still on its time blocks; and restores', async () => {
      const own = await freshTeam();
      const client = await factory.client(own.organization, { name: 'Seasonal' });
      const block = await factory.timeBlock(own.organization, own.member.user, { client });

      const archived = await own.admin
        .patch(own.url(`/clients/${client.id}`), { is_active: false })
        .expect(200);
      expect(archived.body.is_active).toBe(false);
      const picker = await own.member.get(own.url('/clients?is_active=true')).expect(200);
      expect(picker.body.data).toEqual([]);
      const everything = await own.member.get(own.url('/clients')).expect(200);
      expect(everything.body.data.map((c: { id: number }) => c.id)).toEqual([client.id]);
      expect((await blockRow(t, block.id)).clientId).toBe(client.id);
      await own.member.get(own.url(`/clients/${client.id}`)).expect(200);

      await own.admin.patch(own.url(`/clients/${client.id}`), { is_active: true }).expect(200);
      const again = await own.member.get(own.url('/clients?is_active=true')).expect(200);
      expect(again.body.data.map((c: { id: number }) => c.id)).toEqual([client.id]);
      expect((await auditTrail(t, 'client', client.id)).map((row) => row.new_values)).toEqual([
        { is_active: false },
        { is_active: true },
      ]);
    });

    it("answers 404 for another organization's client and changes nothing", async () => {
      const otherOrg = await factory.organization();
      const foreign = await factory.client(otherOrg, { name: 'Foreign' });
      const before = await snapshot(t, otherOrg.id);
      await team.admin.patch(team.url(`/clients/${foreign.id}`), { name: 'Mine now' }).expect(404);
      await team.admin.delete(team.url(`/clients/${foreign.id}`)).expect(404);
      expect(await snapshot(t, otherOrg.id)).toEqual(before);
    });
  });

  describe('deleting', () => {
    it('deletes the client; its projects and time blocks stay, without it', async () => {
      const org = team.organization;
      const client = await factory.client(org, { name: 'Leaving' });
      const project = await factory.project(org, { client, name: 'Their project' });
      const block = await factory.timeBlock(org, team.member.user, { client, project });
      const trashed = await factory.timeBlock(org, team.member.user, {
        client,
        deletedAt: new Date(),
      });
      const unrelated = await factory.timeBlock(org, team.member.user, {
        client: await factory.client(org),
      });

      await team.admin.delete(team.url(`/clients/${client.id}`)).expect(204);

      expect(await clientRow(t, client.id)).toBeNull();
      await team.admin.get(team.url(`/clients/${client.id}`)).expect(404);
      expect(await projectRow(t, project.id)).toMatchObject({
        clientId: null,
        name: 'Their project',
      });
      expect(await blockRow(t, block.id)).toMatchObject({ clientId: null, projectId: project.id });
      expect(await blockRow(t, trashed.id)).toMatchObject({ clientId: null });
      expect((await blockRow(t, unrelated.id)).clientId).toEqual(expect.any(Number));
      expect(await auditTrail(t, 'client', client.id)).toEqual([
        {
          action: 'client.deleted',
          user_id: team.admin.user.id,
          old_values: {
            name: 'Leaving',
            email: null,
            metadata: null,
            is_active: true,
            integration_id: null,
            external_id: null,
            projects_detached: 1,
            time_blocks_detached: 2,
          },
          new_values: null,
        },
      ]);

      // Gone is gone: a second delete is a 404 and records nothing.
      await team.admin.delete(team.url(`/clients/${client.id}`)).expect(404);
      expect(await auditTrail(t, 'client', client.id)).toHaveLength(1);
    });
  });

  describe('roles', () => {
    it('lets every member read, and only admins and owners write', async () => {
      const own = await freshTeam();
      const client = await factory.client(own.organization, { name: 'Shared' });
      for (const actor of [own.owner, own.admin, own.member, own.viewer]) {
        await actor.get(own.url('/clients')).expect(200);
        await actor.get(own.url(`/clients/${client.id}`)).expect(200);
      }

      for (const [role, actor] of [
        ['member', own.member],
        ['viewer', own.viewer],
      ] as const) {
        const before = await snapshot(t, own.organization.id);
        const attempts = [
          await actor.post(own.url('/clients'), { name: 'Sneaky' }),
          await actor.patch(own.url(`/clients/${client.id}`), { name: 'Sneaky' }),
          await actor.delete(own.url(`/clients/${client.id}`)),
        ];
        expect({ role, statuses: attempts.map((r) => r.status) }).toEqual({
          role,
          statuses: [403, 403, 403],
        });
        expect(await snapshot(t, own.organization.id)).toEqual(before);
      }

      const created = await own.owner.post(own.url('/clients'), { name: 'By owner' }).expect(201);
      await own.admin
        .patch(own.url(`/clients/${created.body.id}`), { name: 'By admin' })
        .expect(200);
      await own.admin.delete(own.url(`/clients/${created.body.id}`)).expect(204);
      expect(await auditActions(t, own.organization.id)).toEqual([
        'client.created',
        'client.updated',
        'client.deleted',
      ]);
    });
  });
});
