import { runCli } from '../../src/cli/program';
import { Client } from '../../src/clients/client.entity';
import { Integration } from '../../src/integrations/integration.entity';
import { IMPORT_OVERLAP_MS } from '../../src/integrations/invoicing-import.service';
import { Project } from '../../src/projects/project.entity';
import { AuditLog } from '../../src/audit/audit-log.entity';
import { Factory } from '../factories';
import { makeTeam, Team } from '../support/actors';
import { bootApp, testConfig, TestApp } from '../support/app';
import { builtEnv, startBuilt } from '../support/built-processes';
import { databaseKind } from '../support/database';
import type { InvoicingWorld } from '../support/invoicing-subject';
import { INVOICING_SUBJECTS } from '../support/invoicing-subjects';
import { CapturedOutput } from './capture';
import { storeTokens } from '../support/secrets';

/*
 * `invoicing:import` as an operator runs it (the built CLI, a separate process) against a Harvest
 * account of a few hundred clients and projects, more than one listing page: rows imported,
 * progress on stderr, a second run incremental; readable failures with a non-zero exit.
 */

const EXTRA = 299;
// Each case boots the built CLI one or more times (a few seconds each on a busy machine).
jest.setTimeout(120_000);
const harvest = INVOICING_SUBJECTS.find((subject) => subject.name === 'harvest')!;

describe(`cli: invoicing:import (${databaseKind()})`, () => {
  let world: InvoicingWorld;
  let t: TestApp;
  let factory: Factory;
  let team: Team;
  let integration: Integration;

  beforeAll(async () => {
    world = await harvest.start({ clockOffsetMs: -2 * IMPORT_OVERLAP_MS });
    for (let n = 1; n <= EXTRA; n++) {
      const contact = await world.addContact(`Client ${String(n).padStart(3, '0')}`);
      await world.addProject(`Project ${String(n).padStart(3, '0')}`, contact);
    }
    t = await bootApp({ env: world.env() });
    factory = new Factory(t.dataSource);
    team = await makeTeam(t, factory);
    integration = await factory.integration(team.organization, {
      connectedBy: team.admin.user,
      provider: 'harvest',
      providerType: 'invoicing',
      providerAccountId: world.access().accountId,
    });
    await storeTokens(t, integration.id, { accessToken: world.access().accessToken });
  });

  afterAll(async () => {
    await t?.close();
    await world?.stop();
  });

  /** The built CLI in its own process, configured from the environment like a deployment. */
  async function cli(...argv: string[]) {
    const env = builtEnv(t.database.config, {
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      ...world.env(),
    });
    const run = startBuilt('cli.js', env, [], argv);
    const code = await run.exited;
    return { code, stdout: run.stdout(), stderr: run.stderr() };
  }

  const synced = <E extends Client | Project>(entity: new () => E) =>
    t.dataSource.manager.countBy<Client | Project>(entity, {
      organizationId: team.organization.id,
      integrationId: integration.id,
    });

  it('imports every page, showing progress on stderr and the counts on stdout', async () => {
    const result = await cli('invoicing:import', String(integration.id));

    expect(result.code).toBe(0);
    const total = EXTRA + 1;
    expect(result.stdout).toBe(
      [
        `Integration ${integration.id}:`,
        'Kind      Created  Linked  Updated',
        '--------  -------  ------  -------',
        `clients   ${total}      0       0`,
        `projects  ${total}      0       0`,
        '',
      ].join('\n'),
    );
    // Not a TTY: one plain line per listing page, no bar and no boot chatter.
    expect(result.stderr.split('\n').filter(Boolean)).toEqual([
      `Integration ${integration.id}: clients 200 of ${total} listed`,
      `Integration ${integration.id}: clients ${total} of ${total} listed`,
      `Integration ${integration.id}: projects 200 of ${total} listed`,
      `Integration ${integration.id}: projects ${total} of ${total} listed`,
    ]);
    expect(await synced(Client)).toBe(total);
    expect(await synced(Project)).toBe(total);
    const audit = await t.dataSource.manager.findOneByOrFail(AuditLog, {
      action: 'integration.imported',
      auditableId: integration.id,
    });
    expect(audit).toMatchObject({ userId: null, actor: 'cli' });
  });

  it('asks only for what changed on the second run', async () => {
    await world.checkpoint();
    world.advanceTime(3 * IMPORT_OVERLAP_MS);
    const { lastImportStartedAt } = await t.dataSource.manager.findOneByOrFail(Integration, {
      id: integration.id,
    });
    const since = new Date(lastImportStartedAt!.getTime() - IMPORT_OVERLAP_MS);
    const before = world.requests().length;
    await world.addContact('Initech');
    await world.rename('project', world.fixtures.projectExternalId, 'Website 2');

    const result = await cli('invoicing:import', String(integration.id));

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('clients   1        0       0');
    expect(result.stdout).toContain('projects  0        0       1');
    const listings = world.requests().slice(before);
    expect(listings.map((r) => r.path)).toEqual(['/v2/clients', '/v2/projects']);
    for (const r of listings) {
      expect(new URLSearchParams(r.query).get('updated_since')).toBe(since.toISOString());
    }
    expect(await synced(Client)).toBe(EXTRA + 2);
    expect(result.stderr).toContain(`Integration ${integration.id}: clients 1 of 1 listed`);
  });

  it('names what is wrong with the id and exits non-zero', async () => {
    const calendar = await factory.integration(team.organization);
    const unchosen = await factory.integration(team.organization, {
      provider: 'harvest',
      providerType: 'invoicing',
      isActive: false,
      providerAccountId: null,
    });

    expect(await cli('invoicing:import', '999999')).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'Error: No integration with id 999999.\n',
    });
    expect(await cli('invoicing:import', String(calendar.id))).toMatchObject({
      code: 1,
      stderr: `Error: Integration ${calendar.id} is a calendar integration, not invoicing.\n`,
    });
    expect((await cli('invoicing:import', String(unchosen.id))).stderr).toMatch(
      new RegExp(`^Error: Integration ${unchosen.id} has no account chosen yet`),
    );
    expect((await cli('invoicing:import')).stderr).toBe(
      'Error: Name one integration id, or pass --all.\n',
    );
    expect((await cli('invoicing:import', 'x')).code).not.toBe(0);
  });

  it('--all imports every workable integration, reporting one that fails', async () => {
    const other = await factory.organization({ owner: await factory.user() });
    const broken = await factory.integration(other, {
      provider: 'harvest',
      providerType: 'invoicing',
      providerAccountId: world.access().accountId,
    });
    await storeTokens(t, broken.id, { accessToken: 'revoked-token' });

    const result = await cli('invoicing:import', '--all');

    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`Integration ${integration.id}:\nKind`);
    expect(result.stdout).toContain(
      `Integration ${broken.id}: failed: Integration ${broken.id} needs to be connected again.`,
    );
    expect(result.stderr).toContain(`Error: 1 of 2 imports failed (integrations ${broken.id}).`);
  });

  it('draws a bar with counts on a terminal', async () => {
    const stdout = new CapturedOutput();
    const terminal = Object.assign(new CapturedOutput(), { isTTY: true, columns: 100 });
    const code = await runCli(['invoicing:import', String(integration.id)], {
      cwd: process.cwd(),
      stdout,
      stderr: new CapturedOutput(),
      progress: terminal,
      loadConfig: () => testConfig(t.database, world.env()),
    });

    expect(code).toBe(0);
    expect(terminal.text).toMatch(
      new RegExp(`Integration ${integration.id} clients \\[[█░]+\\] \\d+/\\d+`),
    );
    expect(terminal.text).toMatch(new RegExp(`Integration ${integration.id} projects \\[`));
  });
});
