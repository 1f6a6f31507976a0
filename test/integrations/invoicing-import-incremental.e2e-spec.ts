import { Client } from '../../src/clients/client.entity';
import { Integration } from '../../src/integrations/integration.entity';
import { IMPORT_OVERLAP_MS } from '../../src/integrations/invoicing-import.service';
import { InvoicingProviderName } from '../../src/invoicing/invoicing-provider';
import { Project } from '../../src/projects/project.entity';
import { Factory } from '../factories';
import { makeTeam, Team } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import { databaseKind } from '../support/database';
import type { ApiRequest, InvoicingWorld } from '../support/invoicing-subject';
import { INVOICING_SUBJECTS } from '../support/invoicing-subjects';
import { storeTokens } from '../support/secrets';

/*
 * A later import asks each provider only for what changed since the previous one started (less
 * the overlap), where the provider can filter, and still sees renames and archives made upstream.
 * The emulator's clock starts behind, so what is set up before the first import is older than
 * the next import's `since`; it is then moved on before the changes are made.
 */

/** The listings of contacts and projects among the requests, and what each asked for. */
const listings = (requests: ApiRequest[]) =>
  requests.filter((r) =>
    /\/(clients|contacts|projects)(\/synchronization)?(\.json)?$/i.test(r.path),
  );

const param = (r: ApiRequest, name: string) => new URLSearchParams(r.query).get(name);

/** What a provider's second listing must look like, given the `since` danwel should send. */
const EXPECT_INCREMENTAL: Record<
  InvoicingProviderName,
  (requests: ApiRequest[], since: Date, changedContacts: string[]) => void
> = {
  harvest: (requests, since) => {
    const paths = requests.map((r) => r.path);
    expect(paths).toEqual(['/v2/clients', '/v2/projects']);
    for (const r of requests) expect(param(r, 'updated_since')).toBe(since.toISOString());
  },
  xero: (requests, since) => {
    const contacts = requests.filter((r) => r.path.endsWith('/Contacts'));
    expect(contacts).toHaveLength(1);
    expect(contacts[0].headers['if-modified-since']).toBe(since.toISOString().slice(0, 19));
    // The Projects API cannot filter by change time: projects are listed whole.
    const projects = requests.filter((r) => r.path.endsWith('/Projects'));
    expect(projects.length).toBeGreaterThan(0);
    for (const r of projects) expect(r.headers).toEqual({});
  },
  moneybird: (requests, _since, changedContacts) => {
    // Contact synchronization: the versions, then only the changed contacts; no full listing.
    expect(requests.some((r) => /\/contacts(\.json)?$/.test(r.path))).toBe(false);
    const fetched = requests.filter(
      (r) => r.method === 'POST' && /\/contacts\/synchronization/.test(r.path),
    );
    expect(fetched).toHaveLength(1);
    expect((JSON.parse(fetched[0].body) as { ids: string[] }).ids.sort()).toEqual(
      [...changedContacts].sort(),
    );
  },
};

describe.each(INVOICING_SUBJECTS)(
  `incremental invoicing import: $name (${databaseKind()})`,
  (subject) => {
    let world: InvoicingWorld;
    let t: TestApp;
    let factory: Factory;
    let team: Team;
    let integration: Integration;
    let initech: string;
    let intranet: string;

    beforeAll(async () => {
      world = await subject.start({ clockOffsetMs: -2 * IMPORT_OVERLAP_MS });
      initech = await world.addContact('Initech');
      intranet = await world.addProject('Intranet', world.fixtures.contactExternalId);
      t = await bootApp({ env: world.env() });
      factory = new Factory(t.dataSource);
      team = await makeTeam(t, factory);
      integration = await factory.integration(team.organization, {
        connectedBy: team.admin.user,
        provider: subject.name,
        providerType: 'invoicing',
        providerAccountId: world.access().accountId,
      });
      await storeTokens(t, integration.id, { accessToken: world.access().accessToken });
    });

    afterAll(async () => {
      await t?.close();
      await world?.stop();
    });

    const importUrl = () => team.url(`/integrations/${integration.id}/import`);
    const rows = <E extends Client | Project>(entity: new () => E) =>
      t.dataSource.manager.find<Client | Project>(entity, {
        where: { organizationId: team.organization.id },
        order: { name: 'ASC' },
      });

    it('lists everything the first time and remembers when it started', async () => {
      const before = new Date(Math.floor(Date.now() / 1000) * 1000);

      const response = await team.admin.post(importUrl());

      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        clients: { created: 2, linked: 0, updated: 0 },
        projects: { created: 2, linked: 0, updated: 0 },
      });
      const stored = await t.dataSource.manager.findOneByOrFail(Integration, {
        id: integration.id,
      });
      expect(stored.lastImportStartedAt!.getTime()).toBeGreaterThanOrEqual(before.getTime());
      for (const r of listings(world.requests())) {
        expect(param(r, 'updated_since')).toBeNull();
        expect(r.headers).toEqual({});
        expect(r.path).not.toMatch(/synchronization/);
      }
    });

    it('asks only for changes next time, and a rename, an archive and a new contact arrive', async () => {
      const { lastImportStartedAt } = await t.dataSource.manager.findOneByOrFail(Integration, {
        id: integration.id,
      });
      const since = new Date(lastImportStartedAt!.getTime() - IMPORT_OVERLAP_MS);
      world.advanceTime(2 * IMPORT_OVERLAP_MS);
      const globex = world.fixtures.contactExternalId;
      await world.rename('contact', globex, 'Globex Corp');
      await world.archive('contact', initech);
      await world.archive('project', intranet);
      const hooli = await world.addContact('Hooli');
      const seen = world.requests().length;
      const started = new Date(Math.floor(Date.now() / 1000) * 1000);

      const response = await team.admin.post(importUrl());

      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        clients: { created: 1, linked: 0, updated: 2 },
        projects: { created: 0, linked: 0, updated: 1 },
      });
      EXPECT_INCREMENTAL[subject.name](listings(world.requests().slice(seen)), since, [
        globex,
        initech,
        hooli,
      ]);
      expect(await rows(Client)).toMatchObject([
        { externalId: globex, name: 'Globex Corp', isActive: true },
        { externalId: hooli, name: 'Hooli', isActive: true },
        { externalId: initech, name: 'Initech', isActive: false },
      ]);
      expect((await rows(Project)).map((p) => [p.externalId, p.name, p.isActive])).toEqual([
        [intranet, 'Intranet', false],
        [world.fixtures.projectExternalId, world.fixtures.projectName, true],
      ]);
      const after = await t.dataSource.manager.findOneByOrFail(Integration, {
        id: integration.id,
      });
      expect(after.lastImportStartedAt!.getTime()).toBeGreaterThanOrEqual(started.getTime());
    });
  },
);
