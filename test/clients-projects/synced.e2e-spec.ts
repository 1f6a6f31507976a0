import { Client } from '../../src/clients/client.entity';
import { Integration } from '../../src/integrations/integration.entity';
import { Organization } from '../../src/organizations/organization.entity';
import { Project } from '../../src/projects/project.entity';
import { Factory } from '../factories';
import { makeTeam, Team } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import { snapshot } from '../tenancy/routes';
import { auditTrail, blockRow, clientRow, projectRow } from './support';

/*
 * Clients and projects synced from an invoicing provider (Moneybird here): the API shows where
 * they come from, refuses changes to the fields the provider owns (422 naming each), and keeps
 * the local fields (colour, metadata, archive state) editable.
 */
describe('clients and projects synced from invoicing', () => {
  let t: TestApp;
  let factory: Factory;
  let team: Team;
  let moneybird: Integration;
  let external = 0;

  beforeAll(async () => {
    t = await bootApp();
    factory = new Factory(t.dataSource);
    team = await makeTeam(t, factory);
    moneybird = await factory.integration(team.organization, {
      provider: 'moneybird',
      providerType: 'invoicing',
      name: 'Moneybird',
    });
  });
  afterAll(() => t?.close());

  const syncedClient = (
    values: Partial<Client> = {},
    organization: Organization = team.organization,
  ) =>
    factory.client(organization, {
      integrationId: moneybird.id,
      externalId: `contact-${++external}`,
      name: 'Synced Contact BV',
      email: 'invoices@contact.example',
      ...values,
    });
  const syncedProject = async (values: Partial<Omit<Project, 'client'>> = {}) =>
    factory.project(team.organization, {
      client: await syncedClient(),
      integrationId: moneybird.id,
      externalId: `project-${++external}`,
      name: 'Synced project',
      hourlyRate: '110.00',
      ...values,
    });

  it('shows where a synced client comes from and which fields the provider owns', async () => {
    const client = await syncedClient();
    const response = await team.viewer.get(team.url(`/clients/${client.id}`)).expect(200);
    expect(response.body).toMatchObject({
      source: 'invoicing',
      integration_id: moneybird.id,
      external_id: client.externalId,
      read_only_fields: ['name', 'email'],
    });
    const listed = await team.viewer.get(team.url('/clients?q=synced contact')).expect(200);
    expect(listed.body.data).toContainEqual(
      expect.objectContaining({ id: client.id, source: 'invoicing' }),
    );
  });

  it.each([
    ['name', { name: 'Renamed locally' }, ['name']],
    ['email', { email: 'someone@else.example' }, ['email']],
    ['email (cleared)', { email: null }, ['email']],
    ['name and email', { name: 'X', email: 'x@example.test', is_active: false }, ['email', 'name']],
  ])('refuses a change to the client %s with 422 and changes nothing', async (_, body, fields) => {
    const client = await syncedClient();
    const before = await snapshot(t, team.organization.id);
    const response = await team.admin.patch(team.url(`/clients/${client.id}`), body);

    expect(response.status).toBe(422);
    expect(Object.keys(response.body.errors).sort()).toEqual(fields);
    for (const field of fields) {
      expect(response.body.errors[field]).toEqual([
        `${field} is managed by the invoicing provider this client is synced from; change it there.`,
      ]);
    }
    expect(await snapshot(t, team.organization.id)).toEqual(before);
  });

  it('accepts the provider fields unchanged, and edits the local ones', async () => {
    const client = await syncedClient({ metadata: { note: 'old' } });
    const response = await team.admin
      .patch(team.url(`/clients/${client.id}`), {
        name: ' Synced Contact BV ', // the same value, as a whole form would send it
        email: 'invoices@contact.example',
        metadata: { note: 'new' },
        is_active: false,
      })
      .expect(200);
    expect(response.body).toMatchObject({
      name: 'Synced Contact BV',
      metadata: { note: 'new' },
      is_active: false,
      source: 'invoicing',
    });
    expect(await clientRow(t, client.id)).toMatchObject({
      integrationId: moneybird.id,
      externalId: client.externalId,
      isActive: false,
    });
    expect(await auditTrail(t, 'client', client.id)).toEqual([
      {
        action: 'client.updated',
        user_id: team.admin.user.id,
        old_values: { metadata: { note: 'old' }, is_active: true },
        new_values: { metadata: { note: 'new' }, is_active: false },
      },
    ]);
  });

  it.each([
    ['name', { name: 'Local name' }, ['name']],
    ['hourly_rate', { hourly_rate: '99.00' }, ['hourly_rate']],
    ['hourly_rate (cleared)', { hourly_rate: null }, ['hourly_rate']],
    ['client_id (cleared)', { client_id: null }, ['client_id']],
    [
      'name, client_id and hourly_rate',
      { name: 'N', client_id: null, hourly_rate: 1 },
      ['client_id', 'hourly_rate', 'name'],
    ],
  ])('refuses a change to the project %s with 422 and changes nothing', async (_, body, fields) => {
    const project = await syncedProject();
    const before = await snapshot(t, team.organization.id);
    const response = await team.admin.patch(team.url(`/projects/${project.id}`), body);

    expect(response.status).toBe(422);
    expect(Object.keys(response.body.errors).sort()).toEqual(fields);
    expect(await snapshot(t, team.organization.id)).toEqual(before);
  });

  it("refuses moving a synced project to another of the organization's clients", async () => {
    const project = await syncedProject();
    const local = await factory.client(team.organization, { name: 'Local client' });
    const response = await team.admin.patch(team.url(`/projects/${project.id}`), {
      client_id: local.id,
    });
    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual({
      client_id: [
        'client_id is managed by the invoicing provider this project is synced from; change it there.',
      ],
    });
    expect((await projectRow(t, project.id))?.clientId).toBe(project.clientId);
  });

  it('accepts the provider fields unchanged (110 is "110.00"), and edits colour, metadata and archive state', async () => {
    const project = await syncedProject();
    const response = await team.admin
      .patch(team.url(`/projects/${project.id}`), {
        name: 'Synced project',
        client_id: project.clientId,
        hourly_rate: 110,
        color: '#00aa00',
        metadata: { board: 'ops' },
        is_active: false,
      })
      .expect(200);
    expect(response.body).toMatchObject({
      name: 'Synced project',
      client_id: project.clientId,
      hourly_rate: '110.00',
      color: '#00aa00',
      metadata: { board: 'ops' },
      is_active: false,
      source: 'invoicing',
      integration_id: moneybird.id,
      external_id: project.externalId,
      read_only_fields: ['name', 'client_id', 'hourly_rate'],
    });
    expect(await auditTrail(t, 'project', project.id)).toEqual([
      {
        action: 'project.updated',
        user_id: team.admin.user.id,
        old_values: { color: null, metadata: null, is_active: true },
        new_values: { color: '#00aa00', metadata: { board: 'ops' }, is_active: false },
      },
    ]);
  });

  it('lets admins delete synced records, audited with where they came from; blocks stay', async () => {
    const project = await syncedProject();
    const client = await clientRow(t, project.clientId!);
    const block = await factory.timeBlock(team.organization, team.member.user, { project });

    await team.admin.delete(team.url(`/projects/${project.id}`)).expect(204);
    await team.admin.delete(team.url(`/clients/${client!.id}`)).expect(204);

    expect(await blockRow(t, block.id)).toMatchObject({ projectId: null, clientId: null });
    const [projectDeleted] = await auditTrail(t, 'project', project.id);
    expect(projectDeleted).toMatchObject({
      action: 'project.deleted',
      old_values: expect.objectContaining({
        integration_id: moneybird.id,
        external_id: project.externalId,
        time_blocks_detached: 1,
      }),
    });
    const [clientDeleted] = await auditTrail(t, 'client', client!.id);
    expect(clientDeleted).toMatchObject({
      action: 'client.deleted',
      old_values: expect.objectContaining({
        integration_id: moneybird.id,
        external_id: client!.externalId,
        projects_detached: 0,
        time_blocks_detached: 1,
      }),
    });
  });

  it('makes records local again once their integration is removed (the foreign key sets null)', async () => {
    const own = await makeTeam(t, factory);
    const harvest = await factory.integration(own.organization, {
      provider: 'harvest',
      providerType: 'invoicing',
    });
    const client = await factory.client(own.organization, {
      integrationId: harvest.id,
      externalId: 'h-1',
      name: 'From Harvest',
    });
    await own.admin.patch(own.url(`/clients/${client.id}`), { name: 'Mine' }).expect(422);

    await t.dataSource.getRepository(Integration).delete({ id: harvest.id });

    const response = await own.admin
      .patch(own.url(`/clients/${client.id}`), { name: 'Mine' })
      .expect(200);
    expect(response.body).toMatchObject({
      name: 'Mine',
      source: 'local',
      integration_id: null,
      external_id: 'h-1',
      read_only_fields: [],
    });
  });
});
