import { OAuthProviderConfig } from '../../src/config/app-config';
import { InvoicingError } from '../../src/invoicing/invoicing-provider';
import { MoneybirdInvoicingProvider } from '../../src/invoicing/moneybird/moneybird-invoicing.provider';
import { ProviderError } from '../../src/providers/calendar-provider';
import { ProviderHttp } from '../../src/providers/provider-http';
import { MoneybirdEmulator, startMoneybirdEmulator } from '../emulators/moneybird';

/**
 * What only Moneybird's client does: the OAuth code flow with a rotating refresh token, 18-digit
 * ids sent as strings, the marker lookup's filters, and the real rate limit's epoch Retry-After.
 */
describe('Moneybird invoicing client', () => {
  const EMAIL = 'ann@acme.test';
  const REDIRECT_URI = 'https://danwel.test/api/v1/integrations/oauth/moneybird/callback';
  let mb: MoneybirdEmulator;
  let provider: MoneybirdInvoicingProvider;
  let adm: string;
  let user: string;

  const config = (): OAuthProviderConfig => ({
    clientId: mb.app.clientId,
    clientSecret: mb.app.clientSecret,
    redirectUri: REDIRECT_URI,
    authorizeUrl: mb.authorizeUrl,
    tokenUrl: mb.tokenUrl,
    revokeUrl: `${mb.url}/oauth/revoke`,
    apiBaseUrl: mb.apiUrl,
  });

  beforeEach(async () => {
    mb = await startMoneybirdEmulator({ rateLimit: { limit: 3, windowMs: 60_000 } });
    const administration = mb.addAdministration({ name: 'Acme BV', members: [EMAIL] });
    adm = administration.id;
    user = [...administration.users.values()][0].id;
    provider = new MoneybirdInvoicingProvider(config(), new ProviderHttp(), 2_000);
  });
  afterEach(() => mb.stop());

  it('exchanges a code, then refreshes with a rotated refresh token; a spent one is invalid_grant', async () => {
    const consent = await fetch(provider.authorizeUrl({ state: 's1', codeChallenge: 'c' }), {
      redirect: 'manual',
    });
    const back = new URL(consent.headers.get('location')!);
    expect(back.searchParams.get('state')).toBe('s1');

    const account = await provider.exchangeCode(back.searchParams.get('code')!, 'verifier');
    expect(account).toMatchObject({ expiresAt: null, accountId: null, email: null });
    expect(await provider.listAccounts(account.accessToken)).toEqual([
      { externalId: adm, name: 'Acme BV' },
    ]);

    const refreshed = await provider.refresh(account.refreshToken!);
    expect(refreshed.refreshToken).not.toBeNull();
    expect(refreshed.refreshToken).not.toBe(account.refreshToken);
    expect(await provider.listAccounts(refreshed.accessToken)).toHaveLength(1);

    const spent = await provider.refresh(account.refreshToken!).catch((e: unknown) => e);
    expect(spent).toBeInstanceOf(ProviderError);
    expect((spent as ProviderError).code).toBe('invalid_grant');
  });

  it('sends ids as strings and looks entries up by marker within a period', async () => {
    const { access_token } = mb.issueTokens({ email: EMAIL });
    const project = mb.addProject(adm, { name: 'Website' }).id;
    const access = { accessToken: access_token, accountId: adm };
    await provider.createEntry(access, {
      blockId: 7,
      start: new Date('2026-03-10T08:00:00Z'),
      end: new Date('2026-03-10T08:40:00Z'),
      timeZone: 'Europe/Amsterdam',
      spentDate: '2026-03-10',
      minutes: 45,
      description: 'Call',
      billable: true,
      projectExternalId: project,
      taskExternalId: null,
      userExternalId: user,
      contactExternalId: null,
    });

    const lookup = mb.requests.find((r) => r.operation === 'time_entries.list')!;
    const query = new URLSearchParams(lookup.query);
    expect(query.get('query')).toBe('[danwel:7]');
    expect(query.get('filter')).toMatch(/^period:\d{8}\.\.\d{8},state:all,include_active:true$/);
    const create = mb.requests.find((r) => r.operation === 'time_entries.create')!;
    expect(create.body).toContain(`"user_id":"${user}"`);
    expect(create.body).toContain(`"project_id":"${project}"`);
    expect(mb.timeEntries(adm)[0]).toMatchObject({ user_id: user, project_id: project });
  });

  it('reads the rate limit’s epoch Retry-After as the seconds until the window opens', async () => {
    const { access_token } = mb.issueTokens({ email: EMAIL });
    for (let i = 0; i < 3; i++) await provider.listAccounts(access_token);

    const error = await provider.listAccounts(access_token).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(InvoicingError);
    const { failure } = error as InvoicingError;
    expect(failure.kind).toBe('throttled');
    expect(failure.retryAfterSeconds).toBeGreaterThan(50);
    // The window opens a minute after the first request, in whole epoch seconds rounded up.
    expect(failure.retryAfterSeconds).toBeLessThanOrEqual(61);
    expect(mb.throttled).toBe(1);
  });
});
