import { Client } from '../../src/clients/client.entity';
import { Integration } from '../../src/integrations/integration.entity';
import { Project } from '../../src/projects/project.entity';
import { Factory } from '../factories';
import { MoneybirdEmulator, moneybirdFaults, startMoneybirdEmulator } from '../emulators/moneybird';
import { makeTeam, Team } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import { databaseKind } from '../support/database';
import { storeTokens } from '../support/secrets';

/*
 * Importing a Moneybird administration's contacts and projects (POST …/integrations/:id/import):
 * linked by name to local ones on the first import, archived upstream is inactive here, the
 * provider's fields read-only, and a second import updates rather than duplicates.
 */

describe(`importing clients and projects from invoicing (${databaseKind()})`, () => {
  const ANN = 'ann@acme.test';
  let t: TestApp;
  let mb: MoneybirdEmulator;
  let factory: Factory;
  let team: Team;
  let adm: string;
  let integration: Integration;

  beforeAll(async () => {
    mb = await startMoneybirdEmulator();
    adm = mb.addAdministration({ name: 'Acme BV', members: [ANN] }).id;
    t = await bootApp({
      env: mb.danwelEnv(),
    });
    factory = new Factory(t.dataSource);
    team = await makeTeam(t, factory);
    const tokens = mb.issueTokens({ email: ANN });
    integration = await factory.integration(team.organization, {
      connectedBy: team.admin.user,
      provider: 'moneybird',
      providerType: 'invoicing',
      providerAccountId: null,
    });
    await storeTokens(t, integration.id, {
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token,
    });
  });

  afterAll(async () => {
    await t?.close();
    await mb?.stop();
  });

  const importUrl = () => team.url(`/integrations/${integration.id}/import`);
  const clients = () =>
    t.dataSource.manager.find(Client, {
      where: { organizationId: team.organization.id },
      order: { id: 'ASC' },
    });
  const projects = () =>
    t.dataSource.manager.find(Project, {
      where: { organizationId: team.organization.id },
      order: { id: 'ASC' },
    });

  it('needs an account chosen first, and admins', async () => {
    expect((await team.admin.post(importUrl())).status).toBe(409);
    await t.dataSource.manager.update(Integration, integration.id, { providerAccountId: adm });
    expect((await team.member.post(importUrl())).status).toBe(403);
    expect(await clients()).toEqual([]);
  });

  it('links local namesakes on the first import and creates the rest, archived ones inactive', async () => {
    const localClient = await factory.client(team.organization, { name: 'globex' });
    const localProject = await factory.project(team.organization, { name: 'WEBSITE' });
    const globex = mb.addContact(adm, { companyName: 'Globex' }).id;
    const initech = mb.addContact(adm, { companyName: 'Initech' }).id;
    mb.editContact(adm, initech, { archived: true });
    mb.addProject(adm, { name: 'Website' });
    const old = mb.addProject(adm, { name: 'Old site', state: 'archived' }).id;

    const response = await team.admin.post(importUrl());

    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      clients: { created: 1, linked: 1, updated: 0 },
      projects: { created: 1, linked: 1, updated: 0 },
    });
    expect(await clients()).toMatchObject([
      { id: localClient.id, name: 'Globex', externalId: globex, integrationId: integration.id },
      { name: 'Initech', externalId: initech, isActive: false },
    ]);
    expect(await projects()).toMatchObject([
      { id: localProject.id, name: 'Website', integrationId: integration.id, isActive: true },
      { name: 'Old site', externalId: old, isActive: false },
    ]);

    const shown = await team.admin.get(team.url(`/clients/${localClient.id}`));
    expect(shown.body).toMatchObject({ integration_id: integration.id, external_id: globex });
    expect(shown.body.read_only_fields).toContain('name');
    const renamed = await team.admin.patch(team.url(`/clients/${localClient.id}`), {
      name: 'Not Globex',
    });
    expect(renamed.status).toBe(422);
  });

  it('updates on a later import, and links nothing by name any more', async () => {
    const [globex] = await clients();
    mb.editContact(adm, globex.externalId!, { companyName: 'Globex Corp', archived: true });
    await factory.client(team.organization, { name: 'Umbrella' });
    mb.addContact(adm, { companyName: 'Umbrella' });

    const response = await team.admin.post(importUrl());

    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      clients: { created: 1, linked: 0, updated: 1 },
      projects: { created: 0, linked: 0, updated: 0 },
    });
    const after = await clients();
    expect(after).toHaveLength(4);
    expect(after[0]).toMatchObject({ id: globex.id, name: 'Globex Corp', isActive: false });
    expect(after.filter((c) => c.name === 'Umbrella').map((c) => c.integrationId)).toEqual([
      null,
      integration.id,
    ]);
  });

  it('changes nothing when the provider fails', async () => {
    const [before, beforeProjects] = [await clients(), await projects()];
    mb.addContact(adm, { companyName: 'Hooli' });
    mb.faults.add({ match: { path: /\/projects/ }, fault: moneybirdFaults.serverError() });

    const response = await team.admin.post(importUrl());

    expect(response.status).toBe(502);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(await clients()).toEqual(before);
    expect(await projects()).toEqual(beforeProjects);
  });
});
