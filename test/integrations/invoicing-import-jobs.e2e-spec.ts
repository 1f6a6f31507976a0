import { AuditLog } from '../../src/audit/audit-log.entity';
import { Client } from '../../src/clients/client.entity';
import { Integration } from '../../src/integrations/integration.entity';
import {
  IMPORT_EVERY_SECONDS,
  INVOICING_IMPORT,
  INVOICING_IMPORT_ALL,
} from '../../src/integrations/invoicing-import-queue';
import { Job } from '../../src/jobs/job.entity';
import { Project } from '../../src/projects/project.entity';
import { Factory } from '../factories';
import { MoneybirdEmulator, moneybirdFaults, startMoneybirdEmulator } from '../emulators/moneybird';
import { makeTeam, Team } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import { databaseKind } from '../support/database';
import { storeTokens } from '../support/secrets';

/*
 * Imports nobody asks for: choosing the account enqueues one, and an hourly job enqueues one per
 * active invoicing integration. A provider failure is retried by the job worker and changes
 * nothing until an import succeeds whole.
 */

describe(`invoicing imports as jobs (${databaseKind()})`, () => {
  const ANN = 'ann@acme.test';
  let t: TestApp;
  let mb: MoneybirdEmulator;
  let factory: Factory;
  let adm: string;

  beforeAll(async () => {
    mb = await startMoneybirdEmulator();
    adm = mb.addAdministration({ name: 'Acme BV', members: [ANN] }).id;
    mb.addContact(adm, { companyName: 'Globex' });
    mb.addProject(adm, { name: 'Website' });
    t = await bootApp({
      env: mb.danwelEnv(),
    });
    factory = new Factory(t.dataSource);
  });

  afterAll(async () => {
    await t?.close();
    await mb?.stop();
  });

  async function connected(team: Team, values: Partial<Integration> = {}) {
    const tokens = mb.issueTokens({ email: ANN });
    const integration = await factory.integration(team.organization, {
      connectedBy: team.admin.user,
      provider: 'moneybird',
      providerType: 'invoicing',
      providerAccountId: null,
      ...values,
    });
    await storeTokens(t, integration.id, {
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token,
    });
    return integration;
  }

  const importJobs = (team: Team) =>
    t.dataSource.manager.findBy(Job, {
      type: INVOICING_IMPORT,
      organizationId: team.organization.id,
    });
  const clientNames = async (team: Team) =>
    (await t.dataSource.manager.findBy(Client, { organizationId: team.organization.id }))
      .map((c) => c.name)
      .sort();
  /** Makes waiting retries due now, as if their backoff had passed. */
  const makeDue = () =>
    t.dataSource.manager
      .createQueryBuilder()
      .update(Job)
      .set({ availableAt: new Date(Date.now() - 1000) })
      .where('type = :type', { type: INVOICING_IMPORT })
      .execute();

  it('imports once the account is chosen, recorded as the job’s doing', async () => {
    const team = await makeTeam(t, factory);
    const integration = await connected(team);

    const chosen = await team.admin.patch(team.url(`/integrations/${integration.id}`), {
      provider_account_id: adm,
    });
    expect(chosen.status).toBe(200);
    // Choosing again while the first is still waiting adds no second job.
    await team.admin.patch(team.url(`/integrations/${integration.id}`), {
      provider_account_id: adm,
    });
    expect(await importJobs(team)).toMatchObject([
      { payload: { integration_id: integration.id }, attempts: 0 },
    ]);

    await t.worker.drain();

    expect(await clientNames(team)).toEqual(['Globex']);
    expect(await importJobs(team)).toEqual([]);
    const [audit] = await t.dataSource.manager.findBy(AuditLog, {
      organizationId: team.organization.id,
      action: 'integration.imported',
    });
    expect(audit).toMatchObject({ userId: null, actor: 'job:invoicing.import' });
  });

  it('retries a failed import and applies nothing of it until one succeeds', async () => {
    const team = await makeTeam(t, factory);
    const integration = await connected(team);
    await team.admin.patch(team.url(`/integrations/${integration.id}`), {
      provider_account_id: adm,
    });
    // Contacts are read, then the projects listing fails: the contacts must not be applied.
    mb.faults.add({ match: { path: /\/projects/ }, fault: moneybirdFaults.serverError() });

    const attempted = Date.now();
    await t.worker.drain();

    const [waiting] = await importJobs(team);
    expect(waiting).toMatchObject({ attempts: 1, failedAt: null });
    expect(waiting.lastError).toMatch(/500/);
    // Backed off (at least a second) from the failed attempt, not due again at once. Compared
    // with the attempt, not with the clock after the assertions before: the backoff may be 1 s.
    expect(waiting.availableAt.getTime()).toBeGreaterThan(attempted);
    expect(await clientNames(team)).toEqual([]);
    expect(
      await t.dataSource.manager.countBy(Project, { organizationId: team.organization.id }),
    ).toBe(0);

    await makeDue();
    await t.worker.drain();

    expect(await importJobs(team)).toEqual([]);
    expect(await clientNames(team)).toEqual(['Globex']);
  });

  it('waits as long as the provider says when it throttles', async () => {
    const team = await makeTeam(t, factory);
    const integration = await connected(team, { providerAccountId: adm });
    mb.faults.add({ match: { path: /\/contacts/ }, fault: moneybirdFaults.throttle(120) });
    await team.admin.patch(team.url(`/integrations/${integration.id}`), {
      provider_account_id: adm,
    });

    await t.worker.drain();

    const [waiting] = await importJobs(team);
    expect(waiting.attempts).toBe(1);
    const wait = waiting.availableAt.getTime() - Date.now();
    expect(wait).toBeGreaterThan(100_000);
    expect(wait).toBeLessThanOrEqual(121_000);
    await t.dataSource.manager.delete(Job, { id: waiting.id });
  });

  it('imports every active invoicing integration with an account every hour', async () => {
    const ready = await makeTeam(t, factory);
    const readyIntegration = await connected(ready, { providerAccountId: adm });
    const unchosen = await makeTeam(t, factory);
    await connected(unchosen);
    const reconnect = await makeTeam(t, factory);
    await connected(reconnect, { providerAccountId: adm, needsReconnect: true });
    const calendarOnly = await makeTeam(t, factory);
    await factory.integration(calendarOnly.organization, { connectedBy: calendarOnly.admin.user });

    await t.worker.scheduleRecurring();
    await t.worker.drain();

    expect(await clientNames(ready)).toEqual(['Globex']);
    for (const team of [unchosen, reconnect, calendarOnly]) {
      expect(await clientNames(team)).toEqual([]);
      expect(await importJobs(team)).toEqual([]);
    }
    const stored = await t.dataSource.manager.findOneByOrFail(Integration, {
      id: readyIntegration.id,
    });
    expect(stored.lastImportStartedAt).not.toBeNull();
    const [recurring] = await t.dataSource.manager.findBy(Job, { type: INVOICING_IMPORT_ALL });
    expect(recurring.availableAt.getTime()).toBeGreaterThan(
      Date.now() + (IMPORT_EVERY_SECONDS - 60) * 1000,
    );
  });
});
