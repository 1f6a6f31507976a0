import { EventWrite } from '../../src/providers/calendar-events';
import { ProviderError } from '../../src/providers/calendar-provider';
import { GoogleCalendarProvider } from '../../src/providers/google/google-calendar.provider';
import { MicrosoftCalendarProvider } from '../../src/providers/microsoft/microsoft-calendar.provider';
import { ProviderHttp } from '../../src/providers/provider-http';
import { GoogleEmulator, googleFaults, startGoogleEmulator } from '../emulators/google';
import { MicrosoftEmulator, startMicrosoftEmulator } from '../emulators/microsoft';
import { googleConfig, microsoftConfig } from './provider-configs';

/**
 * Refreshing and revoking the grant through the providers, against the emulators: what the token
 * endpoints answer and what the integration must do with it (keep, rotate, reconnect).
 */

/** Short, so the timeout cases are quick. */
const REQUEST_TIMEOUT_MS = 800;

/** Rejects with the ProviderError the call throws. */
async function providerError(call: Promise<unknown>): Promise<ProviderError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof ProviderError) return error;
    throw error;
  }
  throw new Error('expected a ProviderError, the call succeeded');
}

/** A write that only succeeds with a token Calendar accepts. */
const probe = (calendarExternalId: string, blockId: number): EventWrite => ({
  kind: 'create',
  calendarExternalId,
  calendarId: 1,
  event: {
    blockId,
    title: 'Probe',
    description: null,
    start: new Date('2025-03-10T08:00:00Z'),
    end: new Date('2025-03-10T09:00:00Z'),
    timeZone: 'Europe/Amsterdam',
  },
});

describe('Google tokens', () => {
  const EMAIL = 'tom@example.com';
  let emulator: GoogleEmulator;
  let provider: GoogleCalendarProvider;

  const tokenRequests = () => emulator.requests.filter((r) => r.operation === 'oauth.token');

  beforeAll(async () => {
    emulator = await startGoogleEmulator({ accounts: [{ email: EMAIL }] });
    provider = new GoogleCalendarProvider(googleConfig(emulator), REQUEST_TIMEOUT_MS);
  });
  afterAll(() => emulator.stop());
  beforeEach(() => emulator.clearRequests());
  afterEach(() => emulator.faults.clear());

  it('refresh answers a new access token that works, and no new refresh token (keep ours)', async () => {
    const issued = emulator.issueTokens({ email: EMAIL });
    const refreshed = await provider.refresh(issued.refresh_token!);
    expect(refreshed.accessToken).not.toBe(issued.access_token);
    expect(refreshed.refreshToken).toBeNull();
    const expiresIn = refreshed.expiresAt!.getTime() - Date.now();
    expect(expiresIn).toBeGreaterThan(3_500_000);
    expect(expiresIn).toBeLessThanOrEqual(3_600_000);

    const [result] = await provider.events().apply(refreshed.accessToken, [probe('primary', 1)]);
    expect(result.ok).toBe(true);
    // Refreshing again with the same refresh token works too: Google did not rotate it.
    await expect(provider.refresh(issued.refresh_token!)).resolves.toMatchObject({
      accessToken: expect.any(String),
    });
  });

  it('a refresh token the user revoked is invalid_grant', async () => {
    const issued = emulator.issueTokens({ email: EMAIL });
    emulator.revokeAccess(EMAIL);
    const error = await providerError(provider.refresh(issued.refresh_token!));
    expect(error.code).toBe('invalid_grant');
    expect(error.message).not.toContain(issued.refresh_token!);
  });

  it('a 5xx of the token endpoint is refresh_failed, tried once (no hidden retries)', async () => {
    const issued = emulator.issueTokens({ email: EMAIL });
    emulator.faults.add({
      match: { operation: 'oauth.token' },
      fault: googleFaults.backendError(),
    });
    const error = await providerError(provider.refresh(issued.refresh_token!));
    expect(error.code).toBe('refresh_failed');
    expect(tokenRequests().map((r) => r.status)).toEqual([500]);
  });

  it('a token endpoint that does not answer in time is refresh_failed', async () => {
    const issued = emulator.issueTokens({ email: EMAIL });
    emulator.faults.add({ match: { operation: 'oauth.token' }, fault: googleFaults.timeout() });
    const started = Date.now();
    const error = await providerError(provider.refresh(issued.refresh_token!));
    expect(error.code).toBe('refresh_failed');
    expect(error.message).toContain('timeout');
    expect(Date.now() - started).toBeLessThan(REQUEST_TIMEOUT_MS + 1_000);
    expect(tokenRequests()).toHaveLength(1);
  });

  it('revoke ends the grant: the access token stops working and refresh is invalid_grant', async () => {
    const issued = emulator.issueTokens({ email: EMAIL });
    await expect(provider.revoke(issued.refresh_token!)).resolves.toBe(true);

    const [write] = await provider.events().apply(issued.access_token, [probe('primary', 2)]);
    expect(write).toMatchObject({ ok: false, failure: { kind: 'unauthorized', status: 401 } });
    expect((await providerError(provider.refresh(issued.refresh_token!))).code).toBe(
      'invalid_grant',
    );
  });

  it('revoke resolves false, without throwing, when Google refuses or cannot be reached', async () => {
    await expect(provider.revoke('not-a-token')).resolves.toBe(false);
    const issued = emulator.issueTokens({ email: EMAIL });
    emulator.faults.add({ match: { operation: 'oauth.revoke' }, fault: googleFaults.reset() });
    await expect(provider.revoke(issued.refresh_token!)).resolves.toBe(false);
    // Tried once: a reset is not retried behind our back.
    expect(emulator.requests.filter((r) => r.operation === 'oauth.revoke')).toHaveLength(2);
  });
});

describe('Microsoft tokens', () => {
  const SCOPES = ['openid', 'email', 'offline_access', 'Calendars.ReadWrite'];
  let ms: MicrosoftEmulator;
  let provider: MicrosoftCalendarProvider;
  let accountSeq = 0;

  function newAccount() {
    accountSeq++;
    const account = ms.addAccount({ email: `kim${accountSeq}@contoso.test` });
    const tokens = ms.state.issueTokens(account.id, ms.app.clientId, SCOPES);
    return { ...account, refreshToken: tokens.refreshToken!, accessToken: tokens.accessToken };
  }

  const tokenRequests = () => ms.requests.filter((r) => r.endpoint === 'token');

  beforeAll(async () => {
    ms = await startMicrosoftEmulator();
    const http = new ProviderHttp();
    http.dispatcher = await ms.dispatcher();
    provider = new MicrosoftCalendarProvider(microsoftConfig(ms), http, REQUEST_TIMEOUT_MS);
  });
  afterAll(() => ms.stop());
  beforeEach(() => (ms.requests.length = 0));
  afterEach(() => ms.faults.clear());

  it('refresh answers a working access token and a rotated refresh token; the old one is dead', async () => {
    const account = newAccount();
    const refreshed = await provider.refresh(account.refreshToken);
    expect(refreshed.accessToken).not.toBe(account.accessToken);
    expect(refreshed.refreshToken).toEqual(expect.any(String));
    expect(refreshed.refreshToken).not.toBe(account.refreshToken);
    expect(refreshed.expiresAt!.getTime()).toBeGreaterThan(Date.now() + 3_500_000);

    const [result] = await provider
      .events()
      .apply(refreshed.accessToken, [probe(account.defaultCalendarId, 1)]);
    expect(result.ok).toBe(true);

    expect((await providerError(provider.refresh(account.refreshToken))).code).toBe(
      'invalid_grant',
    );
    // The rotated one keeps working (and rotates again).
    const again = await provider.refresh(refreshed.refreshToken!);
    expect(again.refreshToken).not.toBe(refreshed.refreshToken);
  });

  it('a refresh token revoked by the user or an admin is invalid_grant', async () => {
    const account = newAccount();
    ms.state.revokeRefreshTokens(account.email);
    const error = await providerError(provider.refresh(account.refreshToken));
    expect(error.code).toBe('invalid_grant');
    expect(error.message).not.toContain(account.refreshToken);
  });

  it('a 5xx of the token endpoint is refresh_failed, and the refresh token still works', async () => {
    const account = newAccount();
    ms.faults.add({ match: { operation: 'oauth.token' }, fault: { kind: 'serverError' } });
    const error = await providerError(provider.refresh(account.refreshToken));
    expect(error.code).toBe('refresh_failed');
    expect(tokenRequests()).toHaveLength(1);
    await expect(provider.refresh(account.refreshToken)).resolves.toMatchObject({
      accessToken: expect.any(String),
    });
  });

  it('a token endpoint that does not answer in time is refresh_failed', async () => {
    const account = newAccount();
    ms.faults.add({ match: { operation: 'oauth.token' }, fault: { kind: 'hang' } });
    const error = await providerError(provider.refresh(account.refreshToken));
    expect(error.code).toBe('refresh_failed');
    expect(error.message).toContain('timeout');
  });

  it('revoke resolves false: Microsoft identity has no revocation endpoint', async () => {
    const account = newAccount();
    await expect(provider.revoke(account.refreshToken)).resolves.toBe(false);
    expect(ms.requests).toHaveLength(0);
    // Nothing was revoked.
    await expect(provider.refresh(account.refreshToken)).resolves.toMatchObject({
      accessToken: expect.any(String),
    });
  });
});
