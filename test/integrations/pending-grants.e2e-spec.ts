import { IsNull } from 'typeorm';
import { generateSecretToken, sha256Hex } from '../../src/common/crypto/tokens';
import { Integration } from '../../src/integrations/integration.entity';
import { OAuthState } from '../../src/integrations/oauth-state.entity';
import { ParkedGrant } from '../../src/integrations/pending-grants.service';
import { Job } from '../../src/jobs/job.entity';
import { Factory } from '../factories';
import { Actor, makeTeam, Team } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import {
  CALENDAR_PROVIDER_NAMES,
  CalendarEmulators,
  CalendarProviderName,
} from '../support/calendar-accounts';
import { databaseKind } from '../support/database';
import { readSecret } from '../support/secrets';

/*
 * The authorize link of a connect flow can end up in anyone's browser. Whoever completes it only
 * parks a grant: the integration is made when the member who called `connect`, signed in,
 * confirms the single-use reference the callback sent that browser to. Here the link is completed
 * by someone else (a colleague, or a visitor signed in nowhere) and the attack is shown to fail;
 * then the starter's own flow, its single use, and the expiry of a grant nobody confirms.
 */

describe(`pending grants: a connection belongs to whoever started it (${databaseKind()})`, () => {
  let t: TestApp;
  let emulators: CalendarEmulators;
  let factory: Factory;
  let team: Team;
  let other: Team;

  beforeAll(async () => {
    emulators = await CalendarEmulators.start();
    t = await bootApp({ env: emulators.env() });
    emulators.trustIn(t);
    factory = new Factory(t.dataSource);
    team = await makeTeam(t, factory);
    other = await makeTeam(t, factory);
  });

  afterAll(async () => {
    await t?.close();
    await emulators?.stop();
  });

  const pendingUrl = (reference: string, organization = team) =>
    organization.url(`/integrations/pending/${reference}`);
  const integrationsOf = (actor: Actor) =>
    t.dataSource.manager.countBy(Integration, { connectedById: actor.user.id });

  /** `actor` calls connect; the authorize link they would open. */
  async function start(actor: Actor, provider: CalendarProviderName): Promise<string> {
    const response = await actor.post(team.url(`/integrations/${provider}/connect`));
    expect(response.status).toBe(200);
    return (response.body as { authorize_url: string }).authorize_url;
  }

  /**
   * A browser completes `authorizeUrl` as the provider account `email`, arriving at our callback
   * with `bearer` (a signed-in danwel user) or without any: the reference it is sent to.
   */
  async function complete(
    provider: CalendarProviderName,
    authorizeUrl: string,
    email: string,
    bearer?: Actor,
  ): Promise<string> {
    const query = await emulators.consent(provider, authorizeUrl, email);
    let call = t.http().get(`/api/v1/integrations/oauth/${provider}/callback`).query(query);
    if (bearer) call = call.set('Authorization', `Bearer ${bearer.token}`);
    const response = await call;
    expect(response.status).toBe(302);
    const redirect = new URL(response.headers.location as string);
    expect(`${redirect.origin}${redirect.pathname}`).toBe('http://localhost:3000/integrations');
    expect(redirect.searchParams.get('connected')).toBeNull();
    const reference = redirect.searchParams.get('pending');
    expect(reference).toMatch(/^pg_[A-Za-z0-9_-]{43}$/);
    return reference!;
  }

  async function parkedRow(reference: string): Promise<OAuthState> {
    return t.dataSource.manager.findOneByOrFail(OAuthState, {
      grantReferenceHash: sha256Hex(reference),
    });
  }

  async function parkedGrant(reference: string): Promise<ParkedGrant> {
    const row = await parkedRow(reference);
    expect(row.parkedGrant).toMatch(/^v2:/);
    return JSON.parse(
      readSecret(t, 'oauth_states.parked_grant', row.id, row.parkedGrant!),
    ) as ParkedGrant;
  }

  /** Is this access token still honoured by the provider? */
  async function tokenWorks(provider: CalendarProviderName, accessToken: string) {
    const response =
      provider === 'google_calendar'
        ? await fetch(`${emulators.google.url}/calendar/v3/users/me/calendarList`, {
            headers: { authorization: `Bearer ${accessToken}` },
          })
        : await fetch(`${emulators.ms.url}/v1.0/me/calendars`, {
            headers: { authorization: `Bearer ${accessToken}` },
            dispatcher: await emulators.ms.dispatcher(),
          } as RequestInit);
    return response.status === 200;
  }

  /** Makes every waiting expiry job due and runs the queue. */
  async function runExpiryJobs() {
    await t.dataSource.manager.update(
      Job,
      { type: 'integration.grant_expiry', failedAt: IsNull() },
      { availableAt: new Date(Date.now() - 1000) },
    );
    await t.worker.drain();
  }

  /** Lets ten minutes pass for the grant behind `reference`, then runs the due jobs. */
  async function expire(reference: string) {
    const past = new Date(Date.now() - 1000);
    const row = await parkedRow(reference);
    await t.dataSource.manager.update(OAuthState, { id: row.id }, { expiresAt: past });
    await runExpiryJobs();
    return row;
  }

  describe.each<CalendarProviderName>(CALENDAR_PROVIDER_NAMES)('%s', (provider) => {
    it("someone else's browser completing the starter's link connects nothing to the starter", async () => {
      const starter = team.member;
      const authorizeUrl = await start(starter, provider);
      const before = await integrationsOf(starter);

      // A colleague signed in to danwel, and a visitor signed in nowhere, each finish a link.
      const colleague = team.admin;
      const colleagueEmail = emulators.addAccount(provider);
      const reference = await complete(provider, authorizeUrl, colleagueEmail, colleague);
      const strangerUrl = await start(starter, provider);
      const strangerReference = await complete(
        provider,
        strangerUrl,
        emulators.addAccount(provider),
      );
      expect(await integrationsOf(starter)).toBe(before);
      expect(await integrationsOf(colleague)).toBe(0);

      // The browser's owner holds the reference but did not start the flow: 404, in any
      // organization, and so does someone of another organization.
      for (const [actor, organization] of [
        [colleague, team],
        [team.owner, team],
        [other.owner, other],
      ] as const) {
        expect((await actor.get(pendingUrl(reference, organization))).status).toBe(404);
        const confirm = await actor.post(`${pendingUrl(reference, organization)}/confirm`);
        expect(confirm.status).toBe(404);
        expect(confirm.headers['content-type']).toMatch(/^application\/problem\+json/);
      }
      const anonymous = await t.http().post(`${pendingUrl(strangerReference)}/confirm`);
      expect(anonymous.status).toBe(401);

      // The starter never saw the references: guessing one, or the state, finds nothing.
      const guesses = [generateSecretToken('pg'), new URL(authorizeUrl).searchParams.get('state')!];
      for (const guess of [...guesses, 'pg_', 'not-a-reference']) {
        expect((await starter.get(pendingUrl(guess))).status).toBe(404);
        expect((await starter.post(`${pendingUrl(guess)}/confirm`)).status).toBe(404);
      }

      expect(await integrationsOf(starter)).toBe(before);
      expect(await integrationsOf(colleague)).toBe(0);
      expect(
        await t.dataSource.manager.countBy(Integration, {
          providerAccountEmail: colleagueEmail,
        }),
      ).toBe(0);
      // Still parked, for the starter only, until it expires.
      expect((await parkedRow(reference)).userId).toBe(starter.user.id);
    });

    it('the starter confirms their own grant once: the integration exists, a second try is 404', async () => {
      const starter = team.member;
      const email = emulators.addAccount(provider, 2);
      const reference = await complete(provider, await start(starter, provider), email);

      const shown = await starter.get(pendingUrl(reference));
      expect(shown.status).toBe(200);
      expect(shown.body).toEqual({
        provider,
        provider_account_email: email,
        expires_at: expect.any(String),
      });
      const expiresIn = Date.parse((shown.body as { expires_at: string }).expires_at) - Date.now();
      expect(expiresIn).toBeGreaterThan(9 * 60_000);
      expect(expiresIn).toBeLessThanOrEqual(10 * 60_000);
      expect((await other.owner.get(pendingUrl(reference, other))).status).toBe(404);

      const confirmed = await starter.post(`${pendingUrl(reference)}/confirm`);
      expect(confirmed.status).toBe(200);
      const body = confirmed.body as Record<string, unknown>;
      expect(body).toMatchObject({
        provider,
        provider_type: 'calendar',
        connected_by: starter.user.id,
        provider_account_email: email,
        needs_reconnect: false,
      });
      expect(JSON.stringify(body)).not.toMatch(/access_token|refresh_token|v[12]:/);
      const integration = await t.dataSource.manager.findOneByOrFail(Integration, {
        id: body.id as number,
      });
      expect(integration).toMatchObject({
        organizationId: team.organization.id,
        connectedById: starter.user.id,
      });
      const calendars = await starter.get(team.url(`/calendars?integration_id=${integration.id}`));
      expect((calendars.body as { data: unknown[] }).data).toHaveLength(3);

      const count = await t.dataSource.manager.count(Integration);
      expect((await starter.post(`${pendingUrl(reference)}/confirm`)).status).toBe(404);
      expect((await starter.get(pendingUrl(reference))).status).toBe(404);
      expect(await t.dataSource.manager.count(Integration)).toBe(count);
      expect(
        await t.dataSource.manager.countBy(OAuthState, {
          grantReferenceHash: sha256Hex(reference),
        }),
      ).toBe(0);

      // The expiry job finds nothing left to revoke: the account's tokens stay alive.
      emulators.clearTraffic();
      await runExpiryJobs();
      const tokens = [
        readSecret(t, 'integrations.access_token', integration.id, integration.accessToken),
        readSecret(t, 'integrations.refresh_token', integration.id, integration.refreshToken!),
      ];
      const revocations = emulators.google.requests.filter((r) => r.operation === 'oauth.revoke');
      for (const token of tokens) {
        expect(revocations.filter((r) => r.query?.includes(encodeURIComponent(token)))).toEqual([]);
      }
      expect(await t.dataSource.manager.countBy(Integration, { id: integration.id })).toBe(1);
      expect(await tokenWorks(provider, tokens[0])).toBe(true);
    });

    it('a grant nobody confirms expires: revoked at the provider, forgotten, audited', async () => {
      const starter = team.member;
      const email = emulators.addAccount(provider);
      const reference = await complete(provider, await start(starter, provider), email);
      const grant = await parkedGrant(reference);
      expect(await tokenWorks(provider, grant.account.accessToken)).toBe(true);

      const row = await expire(reference);

      expect(await t.dataSource.manager.countBy(OAuthState, { id: row.id })).toBe(0);
      expect((await starter.post(`${pendingUrl(reference)}/confirm`)).status).toBe(404);
      expect(await t.dataSource.manager.countBy(Integration, { providerAccountEmail: email })).toBe(
        0,
      );
      // Google revokes the grant (its access token dies with it); Microsoft has no revocation.
      const revocable = provider === 'google_calendar';
      expect(await tokenWorks(provider, grant.account.accessToken)).toBe(!revocable);

      const audit = await t.dataSource.query<
        Array<{ user_id: unknown; organization_id: unknown; new_values: unknown }>
      >(
        "SELECT user_id, organization_id, new_values FROM audit_logs WHERE action = 'integration.grant_expired'",
      );
      const entries = audit.filter((entry) => JSON.stringify(entry.new_values).includes(email));
      expect(entries).toHaveLength(1);
      expect(Number(entries[0].user_id)).toBe(starter.user.id);
      expect(Number(entries[0].organization_id)).toBe(team.organization.id);
      const values = (
        typeof entries[0].new_values === 'string'
          ? JSON.parse(entries[0].new_values)
          : entries[0].new_values
      ) as Record<string, unknown>;
      expect(values).toEqual({
        provider,
        provider_account_email: email,
        revoked_at_provider: revocable,
      });
      const text = JSON.stringify(entries);
      expect(text).not.toContain(grant.account.accessToken);
      if (grant.account.refreshToken) expect(text).not.toContain(grant.account.refreshToken);

      // Running the jobs again changes nothing.
      await runExpiryJobs();
      const again = await t.dataSource.query<unknown[]>(
        "SELECT id FROM audit_logs WHERE action = 'integration.grant_expired'",
      );
      expect(again).toHaveLength(audit.length);
    });

    it('an expired grant cannot be confirmed, even before the job has run', async () => {
      const starter = team.member;
      const email = emulators.addAccount(provider);
      const reference = await complete(provider, await start(starter, provider), email);
      const row = await parkedRow(reference);
      await t.dataSource.manager.update(
        OAuthState,
        { id: row.id },
        { expiresAt: new Date(Date.now() - 1000) },
      );

      expect((await starter.get(pendingUrl(reference))).status).toBe(404);
      expect((await starter.post(`${pendingUrl(reference)}/confirm`)).status).toBe(404);
      expect(await t.dataSource.manager.countBy(Integration, { providerAccountEmail: email })).toBe(
        0,
      );
    });
  });
});
