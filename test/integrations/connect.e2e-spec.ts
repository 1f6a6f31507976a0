import { IsNull, Not } from 'typeorm';
import { Calendar } from '../../src/calendars/calendar.entity';
import { Encrypter, SecretColumn } from '../../src/common/crypto/encrypter';
import { generateSecretToken, sha256Hex } from '../../src/common/crypto/tokens';
import { Integration } from '../../src/integrations/integration.entity';
import { OAuthState } from '../../src/integrations/oauth-state.entity';
import { OrganizationMember } from '../../src/organizations/organization-member.entity';
import { ProviderHttp } from '../../src/providers/provider-http';
import { startGoogleEmulator } from '../emulators/google';
import { startMicrosoftEmulator } from '../emulators/microsoft';
import { Factory } from '../factories';
import { Actor, actingAs, makeTeam, Team } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import { databaseKind } from '../support/database';

/*
 * Connecting a calendar account, end to end: our connect route, the provider's consent screen on
 * the emulator (real wire protocol), our public callback with the code and state, and what ends
 * up in the database — encrypted tokens, discovered calendars — for Google and Microsoft alike.
 */

type ProviderName = 'google_calendar' | 'office365';
type GoogleEmulator = Awaited<ReturnType<typeof startGoogleEmulator>>;
type MicrosoftEmulator = Awaited<ReturnType<typeof startMicrosoftEmulator>>;

const APP_URL = 'http://localhost:3000';
const GOOGLE_CLIENT = {
  clientId: '42-danwel-e2e.apps.googleusercontent.com',
  clientSecret: 'GOCSPX-danwel-e2e',
  redirectUris: [`${APP_URL}/api/v1/integrations/oauth/google_calendar/callback`],
};

describe(`connecting calendar integrations (${databaseKind()})`, () => {
  let t: TestApp;
  let factory: Factory;
  let google: GoogleEmulator;
  let ms: MicrosoftEmulator;
  let dispatcher: object;
  let team: Team;
  let other: Team;
  let accountSeq = 0;

  beforeAll(async () => {
    google = await startGoogleEmulator({ clients: [GOOGLE_CLIENT] });
    ms = await startMicrosoftEmulator();
    t = await bootApp({
      env: {
        APP_URL,
        GOOGLE_CLIENT_ID: GOOGLE_CLIENT.clientId,
        GOOGLE_CLIENT_SECRET: GOOGLE_CLIENT.clientSecret,
        GOOGLE_AUTHORIZE_URL: google.endpoints.oauth2AuthBaseUrl,
        GOOGLE_TOKEN_URL: google.endpoints.oauth2TokenUrl,
        GOOGLE_REVOKE_URL: google.endpoints.oauth2RevokeUrl,
        GOOGLE_API_BASE_URL: google.url,
        MICROSOFT_CLIENT_ID: ms.app.clientId,
        MICROSOFT_CLIENT_SECRET: ms.app.clientSecret,
        MICROSOFT_AUTHORITY_URL: ms.url,
        MICROSOFT_GRAPH_BASE_URL: ms.url,
      },
    });
    dispatcher = await ms.dispatcher();
    t.app.get(ProviderHttp).dispatcher = dispatcher;
    factory = new Factory(t.dataSource);
    team = await makeTeam(t, factory);
    other = await makeTeam(t, factory);
    await factory.member(other.organization, team.member.user, 'member');
  });

  afterAll(async () => {
    await t?.close();
    await google?.stop();
    await ms?.stop();
  });

  /** A fresh provider account with a primary calendar and one more. */
  function account(provider: ProviderName): { email: string; extra: string } {
    accountSeq += 1;
    const extra = `Team ${accountSeq}`;
    if (provider === 'google_calendar') {
      const email = `g${accountSeq}@example.com`;
      google.addAccount({ email, timeZone: 'Europe/Amsterdam' });
      google.addCalendar(email, { summary: extra });
      return { email, extra };
    }
    const email = `m${accountSeq}@contoso.test`;
    ms.addAccount({ email, calendars: [extra] });
    return { email, extra };
  }

  /** The provider's consent page answered as `email` (or denied): the redirect's query. */
  async function consent(
    provider: ProviderName,
    authorizeUrl: string,
    as: string | 'deny',
    email?: string,
  ): Promise<URLSearchParams> {
    if (provider === 'office365') {
      const result = await ms.consent(authorizeUrl, as === 'deny' ? 'deny' : as);
      expect(result.status).toBe(302);
      return new URL(result.location!).searchParams;
    }
    google.authorize(as === 'deny' ? { email: email!, deny: true } : { email: as });
    const response = await fetch(authorizeUrl, { redirect: 'manual' });
    expect(response.status).toBe(302);
    return new URL(response.headers.get('location')!).searchParams;
  }

  async function connect(actor: Actor, provider: ProviderName, organization = team) {
    const response = await actor.post(organization.url(`/integrations/${provider}/connect`));
    expect(response.status).toBe(200);
    const authorizeUrl = (response.body as { authorize_url: string }).authorize_url;
    return { authorizeUrl, state: new URL(authorizeUrl).searchParams.get('state')! };
  }

  function callback(provider: ProviderName, query: URLSearchParams | Record<string, string>) {
    const params = query instanceof URLSearchParams ? Object.fromEntries(query) : query;
    return t.http().get(`/api/v1/integrations/oauth/${provider}/callback`).query(params);
  }

  const redirectOf = (response: { status: number; headers: Record<string, string> }) => {
    expect(response.status).toBe(302);
    const url = new URL(response.headers.location);
    expect(`${url.origin}${url.pathname}`).toBe(`${APP_URL}/integrations`);
    return url.searchParams;
  };

  /** The starter confirms the grant the callback parked (`?pending=`): the integration's id. */
  async function confirm(actor: Actor, redirect: URLSearchParams, organization = team) {
    const reference = redirect.get('pending');
    expect(reference).toMatch(/^pg_[A-Za-z0-9_-]{43}$/);
    const response = await actor.post(
      organization.url(`/integrations/pending/${reference}/confirm`),
    );
    expect(response.status).toBe(200);
    return (response.body as { id: number }).id;
  }

  const integrationCount = () => t.dataSource.manager.count(Integration);
  const calendarCount = () => t.dataSource.manager.count(Calendar);

  interface RawIntegration {
    id: number | string;
    organization_id: number | string;
    connected_by: number | string;
    provider: string;
    provider_type: string;
    access_token: string;
    refresh_token: string | null;
    token_metadata: string | null;
    provider_account_email: string | null;
    provider_account_id: string | null;
    expires_at: unknown;
  }

  async function rawIntegration(id: number): Promise<RawIntegration> {
    const rows = await t.dataSource.query<RawIntegration[]>(
      'SELECT * FROM integrations WHERE id = ?',
      [id],
    );
    expect(rows).toHaveLength(1);
    return rows[0];
  }

  /** Proves a decrypted access token is the live one the provider issued. */
  async function calendarsWithToken(provider: ProviderName, accessToken: string) {
    if (provider === 'google_calendar') {
      const response = await fetch(`${google.url}/calendar/v3/users/me/calendarList`, {
        headers: { authorization: `Bearer ${accessToken}` },
      });
      expect(response.status).toBe(200);
      return ((await response.json()) as { items: Array<{ id: string }> }).items.map((c) => c.id);
    }
    const response = await fetch(`${ms.url}/v1.0/me/calendars`, {
      headers: { authorization: `Bearer ${accessToken}` },
      dispatcher,
    } as RequestInit);
    expect(response.status).toBe(200);
    return ((await response.json()) as { value: Array<{ id: string }> }).value.map((c) => c.id);
  }

  describe.each<ProviderName>(['google_calendar', 'office365'])('%s', (provider) => {
    it('connects: consent, callback, confirm, encrypted tokens, discovered calendars, audit', async () => {
      const { email, extra } = account(provider);
      const { authorizeUrl } = await connect(team.member, provider);
      const url = new URL(authorizeUrl);
      expect(url.searchParams.get('code_challenge_method')).toBe('S256');
      expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      if (provider === 'google_calendar') {
        expect(url.searchParams.get('access_type')).toBe('offline');
      } else {
        expect(url.searchParams.get('scope')!.split(' ')).toContain('offline_access');
      }

      const returned = await consent(provider, authorizeUrl, email);
      const response = await callback(provider, returned);
      const redirect = redirectOf(response);
      expect(redirect.get('connected')).toBeNull();
      expect(await t.dataSource.manager.countBy(Integration, { providerAccountEmail: email })).toBe(
        0,
      );
      const id = await confirm(team.member, redirect);
      expect(id).toBeGreaterThan(0);

      const raw = await rawIntegration(id);
      expect(raw).toMatchObject({
        provider,
        provider_type: 'calendar',
        provider_account_email: email,
      });
      expect(Number(raw.organization_id)).toBe(team.organization.id);
      expect(Number(raw.connected_by)).toBe(team.member.user.id);
      expect(raw.provider_account_id).toEqual(expect.any(String));
      expect(raw.expires_at).not.toBeNull();

      const encrypter = t.app.get(Encrypter);
      const at = (column: SecretColumn) => ({ column, id: Number(raw.id) });
      const accessToken = encrypter.decrypt(raw.access_token, at('integrations.access_token'));
      const refreshToken = encrypter.decrypt(raw.refresh_token!, at('integrations.refresh_token'));
      const metadata = JSON.parse(
        encrypter.decrypt(raw.token_metadata!, at('integrations.token_metadata')),
      ) as { scope: string };
      expect(metadata.scope).toEqual(expect.any(String));
      for (const secret of [accessToken, refreshToken]) {
        expect(secret.length).toBeGreaterThan(10);
        for (const column of [raw.access_token, raw.refresh_token, raw.token_metadata]) {
          expect(column).toMatch(/^v2:/);
          expect(column).not.toContain(secret);
        }
      }

      const liveIds = await calendarsWithToken(provider, accessToken);
      const calendars = await t.dataSource.manager.find(Calendar, {
        where: { integrationId: id },
        order: { id: 'ASC' },
      });
      expect(calendars.map((c) => c.externalId).sort()).toEqual([...liveIds].sort());
      expect(calendars.map((c) => c.name)).toContain(extra);
      expect(calendars.every((c) => c.organizationId === team.organization.id)).toBe(true);
      const primaries = calendars.filter((c) => c.isPrimary);
      expect(primaries).toHaveLength(1);
      expect(primaries[0].name).not.toBe(extra);
      if (provider === 'google_calendar') expect(primaries[0].externalId).toBe(email);

      const audit = await t.dataSource.query<Array<{ new_values: unknown; user_id: unknown }>>(
        "SELECT new_values, user_id FROM audit_logs WHERE action = 'integration.connected' AND auditable_id = ?",
        [id],
      );
      expect(audit).toHaveLength(1);
      expect(Number(audit[0].user_id)).toBe(team.member.user.id);
      const auditText = JSON.stringify(audit);
      expect(auditText).not.toContain(accessToken);
      expect(auditText).not.toContain(refreshToken);

      for (const path of ['/integrations', `/integrations/${id}`]) {
        const shown = await team.member.get(team.url(path));
        expect(shown.status).toBe(200);
        const text = JSON.stringify(shown.body);
        expect(text).toContain(email);
        expect(text).not.toContain(accessToken);
        expect(text).not.toContain(refreshToken);
        expect(text).not.toMatch(/access_token|refresh_token|token_metadata|v[12]:/);
      }
    });

    it('refuses a reused state: nothing changes, the app hears invalid_state', async () => {
      const { email } = account(provider);
      const { authorizeUrl } = await connect(team.member, provider);
      const returned = await consent(provider, authorizeUrl, email);
      await confirm(team.member, redirectOf(await callback(provider, returned)));
      const [integrations, calendars] = [await integrationCount(), await calendarCount()];
      const parked = await t.dataSource.manager.countBy(OAuthState, { parkedGrant: Not(IsNull()) });

      const again = redirectOf(await callback(provider, returned));
      expect(again.get('error')).toBe('invalid_state');
      expect(again.get('pending')).toBeNull();
      expect(await t.dataSource.manager.countBy(OAuthState, { parkedGrant: Not(IsNull()) })).toBe(
        parked,
      );
      expect(await integrationCount()).toBe(integrations);
      expect(await calendarCount()).toBe(calendars);
    });

    it('refuses an expired state', async () => {
      const { email } = account(provider);
      const { authorizeUrl, state } = await connect(team.member, provider);
      await t.dataSource.manager.update(
        OAuthState,
        { stateHash: sha256Hex(state) },
        { expiresAt: new Date(Date.now() - 1000) },
      );
      const returned = await consent(provider, authorizeUrl, email);
      const before = [await integrationCount(), await calendarCount()];

      expect(redirectOf(await callback(provider, returned)).get('error')).toBe('invalid_state');
      expect([await integrationCount(), await calendarCount()]).toEqual(before);
    });

    it('refuses a forged state, even with a genuine code', async () => {
      const { email } = account(provider);
      const { authorizeUrl } = await connect(team.member, provider);
      const forged = new URL(authorizeUrl);
      forged.searchParams.set('state', generateSecretToken('st'));
      const returned = await consent(provider, forged.toString(), email);
      expect(returned.get('code')).toEqual(expect.any(String));
      const before = [await integrationCount(), await calendarCount()];

      expect(redirectOf(await callback(provider, returned)).get('error')).toBe('invalid_state');
      const garbage = { code: returned.get('code')!, state: 'not-a-state' };
      expect(redirectOf(await callback(provider, garbage)).get('error')).toBe('invalid_state');
      expect(redirectOf(await callback(provider, {})).get('error')).toBe('invalid_state');
      expect([await integrationCount(), await calendarCount()]).toEqual(before);
    });

    it('refuses a state issued for the other provider', async () => {
      const otherProvider: ProviderName =
        provider === 'google_calendar' ? 'office365' : 'google_calendar';
      const { state } = await connect(team.member, otherProvider);
      const before = await integrationCount();

      const answer = redirectOf(await callback(provider, { code: 'whatever', state }));
      expect(answer.get('error')).toBe('invalid_state');
      expect(await integrationCount()).toBe(before);
    });

    it('reports a denied consent and stores nothing', async () => {
      const { email } = account(provider);
      const { authorizeUrl } = await connect(team.member, provider);
      const returned = await consent(provider, authorizeUrl, 'deny', email);
      expect(returned.get('error')).toBe('access_denied');
      const before = [await integrationCount(), await calendarCount()];

      expect(redirectOf(await callback(provider, returned)).get('error')).toBe('access_denied');
      expect([await integrationCount(), await calendarCount()]).toEqual(before);
    });

    it('binds the grant to the user and organization the state was issued for', async () => {
      // The member of `team` is a member of `other` too (beforeAll); the callback arrives with
      // someone else's bearer token, which changes nothing.
      const { email } = account(provider);
      const { authorizeUrl } = await connect(team.member, provider);
      const returned = await consent(provider, authorizeUrl, email);
      const response = await callback(provider, returned).set(
        'Authorization',
        `Bearer ${other.admin.token}`,
      );
      const redirect = redirectOf(response);
      const confirmPath = `/integrations/pending/${redirect.get('pending')}/confirm`;
      expect((await other.admin.post(other.url(confirmPath))).status).toBe(404);
      expect((await team.member.post(other.url(confirmPath))).status).toBe(404);
      const id = await confirm(team.member, redirect);

      const integration = await t.dataSource.manager.findOneByOrFail(Integration, { id });
      expect(integration.organizationId).toBe(team.organization.id);
      expect(integration.connectedById).toBe(team.member.user.id);
      expect(
        await t.dataSource.manager.countBy(Integration, { organizationId: other.organization.id }),
      ).toBe(0);
      expect((await other.admin.get(other.url(`/integrations/${id}`))).status).toBe(404);
    });
  });

  it('refuses the state of someone who left the organization before coming back', async () => {
    const leaver = await factory.user();
    await factory.member(team.organization, leaver, 'member');
    const actor = await actingAs(t, leaver);
    const { email } = account('google_calendar');
    const { authorizeUrl } = await connect(actor, 'google_calendar');
    const returned = await consent('google_calendar', authorizeUrl, email);
    await t.dataSource.manager.delete(OrganizationMember, {
      organizationId: team.organization.id,
      userId: leaver.id,
    });
    const before = [await integrationCount(), await calendarCount()];

    expect(redirectOf(await callback('google_calendar', returned)).get('error')).toBe(
      'not_allowed',
    );
    expect([await integrationCount(), await calendarCount()]).toEqual(before);
  });

  describe('who sees what', () => {
    let memberIntegration: number;
    let adminIntegration: number;

    beforeAll(async () => {
      const ids: number[] = [];
      for (const actor of [team.member, team.admin]) {
        const { email } = account('google_calendar');
        const { authorizeUrl } = await connect(actor, 'google_calendar');
        const returned = await consent('google_calendar', authorizeUrl, email);
        ids.push(await confirm(actor, redirectOf(await callback('google_calendar', returned))));
      }
      [memberIntegration, adminIntegration] = ids;
    });

    const idsIn = (body: unknown) =>
      (body as { data: Array<{ id: number }> }).data.map((i) => i.id);

    it('members list their own integrations, admins all of them', async () => {
      const mine = await team.member.get(team.url('/integrations'));
      expect(mine.status).toBe(200);
      expect(idsIn(mine.body)).toContain(memberIntegration);
      expect(idsIn(mine.body)).not.toContain(adminIntegration);
      const connectedBy = (mine.body as { data: Array<{ connected_by: number }> }).data.map(
        (i) => i.connected_by,
      );
      expect(new Set(connectedBy)).toEqual(new Set([team.member.user.id]));

      const all = await team.admin.get(team.url('/integrations'));
      expect(idsIn(all.body)).toEqual(
        expect.arrayContaining([memberIntegration, adminIntegration]),
      );

      const viewer = await team.viewer.get(team.url('/integrations'));
      expect(viewer.status).toBe(200);
      expect(idsIn(viewer.body)).toEqual([]);
    });

    it("members cannot open someone else's integration; admins can", async () => {
      expect((await team.member.get(team.url(`/integrations/${adminIntegration}`))).status).toBe(
        404,
      );
      const shown = await team.admin.get(team.url(`/integrations/${memberIntegration}`));
      expect(shown.status).toBe(200);
      expect(shown.body).toMatchObject({
        id: memberIntegration,
        is_active: true,
        last_sync_at: null,
        last_error: null,
        error_count: 0,
        needs_reconnect: false,
        blocks: { pending: 0, error: 0 },
      });
    });

    it('counts pending and failed blocks and shows an integration that needs a reconnect', async () => {
      const calendar = await t.dataSource.manager.findOneByOrFail(Calendar, {
        integrationId: memberIntegration,
        isPrimary: true,
      });
      const user = team.member.user;
      await factory.timeBlock(team.organization, user, { calendar, calendarSyncStatus: 'pending' });
      await factory.timeBlock(team.organization, user, { calendar, calendarSyncStatus: 'pending' });
      await factory.timeBlock(team.organization, user, { calendar, calendarSyncStatus: 'error' });
      await factory.timeBlock(team.organization, user, { calendar, calendarSyncStatus: 'synced' });
      await t.dataSource.manager.update(
        Integration,
        { id: memberIntegration },
        {
          lastError: 'invalid_grant: Token has been expired or revoked.',
          errorCount: 3,
          needsReconnect: true,
        },
      );

      const shown = await team.member.get(team.url(`/integrations/${memberIntegration}`));
      expect(shown.body).toMatchObject({
        needs_reconnect: true,
        error_count: 3,
        blocks: { pending: 2, error: 1 },
      });
    });

    it('viewers cannot connect a calendar', async () => {
      const before = await t.dataSource.manager.count(OAuthState);
      for (const provider of ['google_calendar', 'office365']) {
        const response = await team.viewer.post(team.url(`/integrations/${provider}/connect`));
        expect(response.status).toBe(403);
      }
      expect(await t.dataSource.manager.count(OAuthState)).toBe(before);
    });

    it('answers 404 for a provider it does not know', async () => {
      const response = await team.member.post(team.url('/integrations/dropbox/connect'));
      expect(response.status).toBe(404);
    });
  });
});
