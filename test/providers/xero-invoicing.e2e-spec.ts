/**
 * What only Xero's client does, against the Xero emulator: the OAuth code flow with rotating
 * refresh tokens and revocation, organisations as accounts, the tenant header on every call,
 * `Idempotency-Key` on creates (and a fresh one when the entry it names is gone), moving an
 * entry to another project, and which rate limit a 429 names.
 */
import { createHash, randomBytes } from 'node:crypto';
import { loadConfig } from '../../src/config';
import {
  billableMinutes,
  EntryContent,
  InvoicingError,
  InvoicingProvider,
} from '../../src/invoicing/invoicing-provider';
import { InvoicingProviders } from '../../src/invoicing/invoicing-providers';
import { ProviderError } from '../../src/providers/calendar-provider';
import { ProviderHttp } from '../../src/providers/provider-http';
import { startXeroEmulator, XeroEmulator, xeroFaults } from '../emulators/xero';
import { TEST_APP_KEY } from '../support/app';

const EMAIL = 'ann@acme.test';
const REDIRECT_URI = 'http://127.0.0.1:3000/api/v1/integrations/xero/callback';

describe('Xero invoicing client', () => {
  let xero: XeroEmulator;
  let provider: InvoicingProvider;
  let tenant: string;
  let project: string;
  let task: string;
  let user: string;
  let token: string;
  let blockId = 5000;

  const start = async (options: { now?: () => number } = {}) => {
    xero = await startXeroEmulator(options);
    const org = xero.addTenant({ name: 'Acme Ltd', members: [EMAIL] });
    tenant = org.tenantId;
    user = [...org.users.values()][0].userId;
    const contact = xero.addContact(tenant, { name: 'Globex' }).contactId;
    project = xero.addProject(tenant, { name: 'Website', contactId: contact }).projectId;
    task = xero.addTask(tenant, project, { name: 'Design' }).taskId;
    token = xero.issueTokens({ email: EMAIL }).access_token;
    const config = loadConfig({
      NODE_ENV: 'test',
      APP_KEY: TEST_APP_KEY,
      ...xero.danwelEnv(),
      XERO_REDIRECT_URI: REDIRECT_URI,
    });
    provider = new InvoicingProviders(config, new ProviderHttp()).get('xero');
  };
  const access = () => ({ accessToken: token, accountId: tenant });
  const content = (overrides: Partial<EntryContent> = {}): EntryContent => {
    const begin = new Date('2026-03-10T08:07:40Z');
    const end = new Date('2026-03-10T09:00:10Z');
    return {
      blockId: blockId++,
      start: begin,
      end,
      timeZone: 'Europe/Amsterdam',
      spentDate: '2026-03-10',
      minutes: billableMinutes(begin, end),
      description: 'Design review',
      billable: true,
      projectExternalId: project,
      taskExternalId: task,
      userExternalId: user,
      contactExternalId: null,
      ...overrides,
    };
  };
  const failure = async (call: Promise<unknown>) => {
    const error = await call.then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(error instanceof InvoicingError))
      throw new Error(`expected an InvoicingError: ${String(error)}`);
    return error.failure;
  };
  const posts = () => xero.requests.filter((r) => r.operation === 'projects.time.create');

  afterEach(() => xero.stop());

  it('connects with PKCE, rotates the refresh token on every refresh and revokes the grant', async () => {
    await start();
    const verifier = randomBytes(32).toString('base64url');
    const authorize = provider.authorizeUrl({
      state: 'st',
      codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
    });
    expect(new URL(authorize).searchParams.get('scope')).toContain('offline_access');
    const consent = await fetch(authorize, { redirect: 'manual' });
    const code = new URL(consent.headers.get('location')!).searchParams.get('code')!;

    const account = await provider.exchangeCode(code, verifier);
    expect(account).toMatchObject({ email: EMAIL, accountId: expect.any(String) });
    expect(account.expiresAt!.getTime()).toBeGreaterThan(Date.now() + 29 * 60_000);
    expect(await provider.listAccounts(account.accessToken)).toEqual([
      { externalId: tenant, name: 'Acme Ltd' },
    ]);

    const refreshed = await provider.refresh(account.refreshToken!);
    expect(refreshed.refreshToken).toEqual(expect.any(String));
    expect(refreshed.refreshToken).not.toBe(account.refreshToken);
    const spent = await provider.refresh(account.refreshToken!).catch((e: unknown) => e);
    expect(spent).toBeInstanceOf(ProviderError);
    expect((spent as ProviderError).code).toBe('invalid_grant');

    const revocable = provider as InvoicingProvider & { revoke(token: string): Promise<boolean> };
    expect(await revocable.revoke(refreshed.refreshToken!)).toBe(true);
    expect(
      (await provider.refresh(refreshed.refreshToken!).catch((e: unknown) => e)) as ProviderError,
    ).toMatchObject({
      code: 'invalid_grant',
    });
  });

  it('lists organisations, not practices, and names the tenant on every call', async () => {
    await start();
    xero.addTenant({ name: 'Advisors', members: [EMAIL], type: 'PRACTICE' });
    token = xero.issueTokens({ email: EMAIL }).access_token;
    expect(await provider.listAccounts(token)).toEqual([{ externalId: tenant, name: 'Acme Ltd' }]);

    await provider.listUsers(access());
    await provider.createEntry(access(), content());
    const apiCalls = xero.requests.filter((r) => r.path.includes('.xro/'));
    expect(apiCalls.length).toBeGreaterThan(2);
    expect(apiCalls.every((r) => r.tenantId === tenant)).toBe(true);

    const refused = await failure(
      provider.listUsers({ accessToken: token, accountId: 'not-a-tenant' }),
    );
    expect(refused).toMatchObject({
      kind: 'permanent',
      status: 403,
      code: 'AuthenticationUnsuccessful',
    });
  });

  it('sends a create with an Idempotency-Key of the block, within 128 characters', async () => {
    await start();
    const block = content();
    await provider.createEntry(access(), block);
    expect(posts()).toHaveLength(1);
    const key = posts()[0].idempotencyKey!;
    expect(key).toMatch(new RegExp(`^danwel-block-${block.blockId}-`));
    expect(key.length).toBeLessThanOrEqual(128);
    expect(JSON.parse(posts()[0].body)).toMatchObject({
      duration: 60,
      dateUtc: '2026-03-10T00:00:00Z',
    });
  });

  it('creates the entry again under a fresh key when the one its key names was deleted', async () => {
    // The emulator's clock runs behind: every answer looks entered before it was asked for.
    await start({ now: () => Date.now() - 10 * 60_000 });
    const block = content();
    const first = await provider.createEntry(access(), block);
    xero.asUser(tenant).delete(first.externalId.split('/')[1]);

    const again = await provider.createEntry(access(), block);

    expect(again.externalId).not.toBe(first.externalId);
    expect(xero.timeEntries(tenant)).toHaveLength(1);
    const keys = posts().map((r) => r.idempotencyKey);
    expect(keys).toHaveLength(3);
    expect(keys[1]).toBe(keys[0]);
    expect(keys[2]).not.toBe(keys[0]);
  });

  it('moves an entry to another project: created there, deleted here', async () => {
    await start();
    const block = content();
    const entry = await provider.createEntry(access(), block);
    const contact = xero.addContact(tenant, { name: 'Initech' }).contactId;
    const other = xero.addProject(tenant, { name: 'Rebrand', contactId: contact }).projectId;
    const otherTask = xero.addTask(tenant, other, { name: 'Copy' }).taskId;

    const moved = await provider.updateEntry(access(), entry.externalId, {
      ...block,
      projectExternalId: other,
      taskExternalId: otherTask,
    });

    expect(moved.projectExternalId).toBe(other);
    expect(xero.timeEntries(tenant)).toEqual([
      expect.objectContaining({ projectId: other, taskId: otherTask, duration: 60 }),
    ]);
  });

  it('says which limit a 429 hit and how long to wait', async () => {
    await start();
    xero.faults.add({ fault: xeroFaults.throttle(3600, 'day') });
    expect(await failure(provider.listUsers(access()))).toMatchObject({
      kind: 'throttled',
      status: 429,
      code: 'rate_limit_day',
      retryAfterSeconds: 3600,
    });
    expect(provider.rateLimits).toEqual([
      { maxRequests: 60, windowSeconds: 60 },
      { maxRequests: 5000, windowSeconds: 86_400 },
    ]);
  });
});
