import { ProvidersConfig } from '../../src/config/app-config';
import {
  HARVEST_MAX_PAGE_SIZE,
  HarvestInvoicingProvider,
} from '../../src/invoicing/harvest/harvest-invoicing.provider';
import { EntryContent, InvoicingError } from '../../src/invoicing/invoicing-provider';
import { ProviderError } from '../../src/providers/calendar-provider';
import { ProviderHttp } from '../../src/providers/provider-http';
import { HarvestAccount, HarvestEmulator, startHarvestEmulator } from '../emulators/harvest';

/**
 * What only Harvest's client does: the Harvest ID code flow and account list (Forecast left out),
 * the User-Agent and Harvest-Account-Id on every call, the external_reference lookup before a
 * create, and the real rate limit's Retry-After seconds.
 */
describe('Harvest invoicing client', () => {
  const EMAIL = 'ann@acme.test';
  const USER_AGENT = 'danwel-spec (spec@danwel.test)';
  let hv: HarvestEmulator;
  let provider: HarvestInvoicingProvider;
  let account: HarvestAccount;
  let access: { accessToken: string; accountId: string };
  let projectId: string;
  let taskId: string;

  const config = (): ProvidersConfig['harvest'] => ({
    clientId: hv.app.clientId,
    clientSecret: hv.app.clientSecret,
    redirectUri: 'https://danwel.test/api/v1/integrations/oauth/harvest/callback',
    authorizeUrl: hv.authorizeUrl,
    tokenUrl: hv.tokenUrl,
    revokeUrl: hv.tokenUrl,
    accountsUrl: hv.accountsUrl,
    apiBaseUrl: hv.apiUrl,
    userAgent: USER_AGENT,
  });

  const block = (overrides: Partial<EntryContent> = {}): EntryContent => ({
    blockId: 7,
    start: new Date('2026-03-10T08:00:00Z'),
    end: new Date('2026-03-10T09:11:00Z'),
    timeZone: 'Europe/Amsterdam',
    spentDate: '2026-03-10',
    minutes: 75,
    description: 'Call',
    billable: true,
    projectExternalId: projectId,
    taskExternalId: taskId,
    userExternalId: null,
    contactExternalId: null,
    ...overrides,
  });

  beforeEach(async () => {
    hv = await startHarvestEmulator();
    account = hv.addAccount({ name: 'Acme', members: [EMAIL] });
    const client = hv.addClient(account.id, { name: 'Globex' });
    const project = hv.addProject(account.id, { name: 'Website', clientId: client.id });
    const task = hv.addTask(account.id, { name: 'Design' });
    hv.assignTask(account.id, project.id, task.id);
    projectId = String(project.id);
    taskId = String(task.id);
    access = {
      accessToken: hv.issueTokens({ email: EMAIL }).access_token,
      accountId: String(account.id),
    };
    provider = new HarvestInvoicingProvider(config(), new ProviderHttp(), 2_000);
  });
  afterEach(() => hv.stop());

  it('exchanges a code, lists only Harvest accounts, refreshes; a refused refresh is invalid_grant', async () => {
    hv.addAccount({ name: 'Acme Forecast', product: 'forecast', members: [EMAIL] });
    const authorize = new URL(provider.authorizeUrl({ state: 's1', codeChallenge: 'c' }));
    expect(authorize.searchParams.get('code_challenge')).toBeNull();
    const consent = await fetch(authorize, { redirect: 'manual' });
    const back = new URL(consent.headers.get('location')!);
    expect(back.searchParams.get('state')).toBe('s1');

    const connected = await provider.exchangeCode(back.searchParams.get('code')!, 'verifier');
    expect(connected).toMatchObject({ accountId: null, email: EMAIL });
    expect(connected.expiresAt!.getTime()).toBeGreaterThan(Date.now() + 13 * 24 * 3600_000);
    expect(await provider.listAccounts(connected.accessToken)).toEqual([
      { externalId: String(account.id), name: 'Acme' },
    ]);

    const refreshed = await provider.refresh(connected.refreshToken!);
    expect(await provider.listAccounts(refreshed.accessToken)).toHaveLength(1);
    hv.revokeAccess(EMAIL);
    const refused = await provider.refresh(connected.refreshToken!).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ProviderError);
    expect((refused as ProviderError).code).toBe('invalid_grant');
  });

  it('sends the User-Agent and Harvest-Account-Id on every call, and hours as a decimal', async () => {
    await provider.createEntry(access, block());
    await provider.listUsers(access);

    const calls = hv.requests.filter((r) => r.path.startsWith('/v2/'));
    expect(calls.map((r) => r.operation)).toEqual([
      'time_entries.list',
      'company.get',
      'time_entries.create',
      'users.list',
    ]);
    for (const call of calls) {
      expect(call.headers).toEqual({ userAgent: USER_AGENT, accountId: String(account.id) });
    }
    const body = JSON.parse(calls[2].body) as Record<string, unknown>;
    expect(body).toMatchObject({
      hours: 1.25,
      external_reference: { id: 'danwel-block-7', group_id: 'danwel' },
    });
    expect(body).not.toHaveProperty('started_time');
  });

  it('sends start and end times to a timestamp account, and reads its setting once', async () => {
    const timestamps = hv.addAccount({
      name: 'Acme Times',
      members: [EMAIL],
      timestampTimers: true,
    });
    const client = hv.addClient(timestamps.id, { name: 'Globex' });
    const project = hv.addProject(timestamps.id, { name: 'Website', clientId: client.id });
    const task = hv.addTask(timestamps.id, { name: 'Design' });
    hv.assignTask(timestamps.id, project.id, task.id);
    const here = { ...access, accountId: String(timestamps.id) };
    const content = (blockId: number) =>
      block({ blockId, projectExternalId: String(project.id), taskExternalId: String(task.id) });

    const first = await provider.createEntry(here, content(8));
    await provider.createEntry(here, content(9));

    // 08:00Z is 09:00 in Amsterdam; the end is the rounded 75 minutes later, not the raw 71.
    expect(hv.timeEntry(timestamps.id, Number(first.externalId))).toMatchObject({
      startedTime: '9:00am',
      endedTime: '10:15am',
      hours: 1.25,
    });
    expect(first.minutes).toBe(75);
    const operations = hv.requests.map((r) => r.operation);
    expect(operations.filter((op) => op === 'company.get')).toHaveLength(1);
    // A duration alone is refused by such an account: the times are what books it.
    const created = hv.requests.filter((r) => r.operation === 'time_entries.create');
    expect(JSON.parse(created[0].body)).not.toHaveProperty('hours');
  });

  it('looks the block up by external_reference first and brings a left-behind entry in line', async () => {
    hv.faults.add({ match: { method: 'POST' }, fault: { kind: 'lostResponse' } });
    const lost = await provider.createEntry(access, block()).catch((e: unknown) => e);
    expect((lost as InvoicingError).failure.kind).toBe('retryable');

    const entry = await provider.createEntry(access, block({ minutes: 90, description: 'Longer' }));

    const lookups = hv.requests.filter((r) => r.operation === 'time_entries.list');
    expect(lookups).toHaveLength(2);
    for (const lookup of lookups) {
      expect(new URLSearchParams(lookup.query).get('external_reference_id')).toBe('danwel-block-7');
    }
    expect(hv.timeEntries(account.id)).toEqual([
      expect.objectContaining({ id: Number(entry.externalId), hours: 1.5, notes: 'Longer' }),
    ]);
  });

  it('sends nothing for a block without a task', async () => {
    const error = await provider
      .createEntry(access, block({ taskExternalId: null }))
      .catch((e: unknown) => e);
    expect((error as InvoicingError).failure).toMatchObject({
      kind: 'permanent',
      code: 'task_required',
    });
    expect(hv.requests).toHaveLength(0);
  });

  it('reads every project’s active tasks account-wide, following the pages', async () => {
    // One more active assignment than a page holds, spread over two projects.
    const client = [...account.clients.values()][0];
    const other = hv.addProject(account.id, { name: 'App', clientId: client.id });
    const admin = hv.addTask(account.id, { name: 'Admin', billableByDefault: false });
    hv.assignTask(account.id, other.id, admin.id);
    hv.assignTask(account.id, other.id, Number(taskId), { isActive: false });
    for (let i = 0; i < HARVEST_MAX_PAGE_SIZE - 1; i++) {
      const task = hv.addTask(account.id, { name: `Task ${i}` });
      hv.assignTask(account.id, other.id, task.id);
    }

    const tasks = await provider.listAccountTasks(access);

    expect(hv.requests.map((r) => r.operation)).toEqual([
      'task_assignments.list',
      'task_assignments.list',
    ]);
    expect(tasks.get(projectId)).toEqual([
      { externalId: taskId, name: 'Design', billable: true, active: true },
    ]);
    const others = tasks.get(String(other.id))!;
    expect(others).toHaveLength(HARVEST_MAX_PAGE_SIZE);
    // Billable first; the archived assignment is not listed.
    expect(others.at(-1)).toMatchObject({ externalId: String(admin.id), billable: false });
    expect(others.some((t) => t.externalId === taskId)).toBe(false);
  });

  it('refuses a next page off the API rather than send the token there', async () => {
    const error = await provider
      .listContacts(access, { since: null, page: 'https://elsewhere.test/v2/clients?cursor=x' })
      .catch((e: unknown) => e);
    expect((error as InvoicingError).failure).toMatchObject({ code: 'invalid_page' });
    expect(hv.requests).toHaveLength(0);
  });

  it('reads the rate limit’s Retry-After as seconds after 100 requests in 15 seconds', async () => {
    for (let i = 0; i < 100; i++) await provider.listUsers(access);

    const error = await provider.listUsers(access).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(InvoicingError);
    expect((error as InvoicingError).failure).toMatchObject({ kind: 'throttled', status: 429 });
    expect((error as InvoicingError).failure.retryAfterSeconds).toBeGreaterThan(10);
    expect((error as InvoicingError).failure.retryAfterSeconds).toBeLessThanOrEqual(15);
    expect(provider.retryAfterSeconds('15')).toBe(15);
    expect(hv.throttled).toBe(1);
  });
});
