import { AuditLog } from '../../src/audit/audit-log.entity';
import { Integration } from '../../src/integrations/integration.entity';
import { OAuthState } from '../../src/integrations/oauth-state.entity';
import { Factory } from '../factories';
import { MoneybirdEmulator, startMoneybirdEmulator } from '../emulators/moneybird';
import { Actor, makeTeam, Team } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import { databaseKind } from '../support/database';
import { readSecret } from '../support/secrets';

/*
 * Connecting the organization's invoicing system (Moneybird, through its emulator) over the HTTP
 * API: the calendars' connect flow (state, callback, pending grant, confirm) for admins and
 * owners only, then the choice of the administration to book in, at most one invoicing
 * integration per organization, token refresh with rotation, and a disconnect that revokes the
 * grant and deletes nothing in Moneybird.
 */

describe(`connecting an invoicing system (${databaseKind()})`, () => {
  const ANN = 'ann@acme.test';
  let t: TestApp;
  let mb: MoneybirdEmulator;
  let factory: Factory;
  let team: Team;
  let other: Team;
  let acme: string;
  let globex: string;

  beforeAll(async () => {
    mb = await startMoneybirdEmulator();
    acme = mb.addAdministration({ name: 'Acme BV', members: [ANN] }).id;
    globex = mb.addAdministration({ name: 'Globex BV', members: [ANN] }).id;
    mb.addAdministration({ name: 'Someone else’s', members: ['bob@elsewhere.test'] });
    t = await bootApp({
      env: mb.danwelEnv(),
    });
    factory = new Factory(t.dataSource);
    team = await makeTeam(t, factory);
    other = await makeTeam(t, factory);
  });

  afterAll(async () => {
    await t?.close();
    await mb?.stop();
  });

  const invoicingOf = (organization: Team) =>
    t.dataSource.manager.findBy(Integration, {
      organizationId: organization.organization.id,
      providerType: 'invoicing',
    });

  /** `actor` connects Moneybird and consents as Ann: the pending reference of the callback. */
  async function consent(actor: Actor, organization = team): Promise<string> {
    const connect = await actor.post(organization.url('/integrations/moneybird/connect'));
    expect(connect.status).toBe(200);
    const authorize = new URL((connect.body as { authorize_url: string }).authorize_url);
    expect(`${authorize.origin}${authorize.pathname}`).toBe(mb.authorizeUrl);
    expect(authorize.searchParams.get('client_id')).toBe(mb.app.clientId);

    mb.consents.push({ email: ANN });
    const back = await fetch(authorize, { redirect: 'manual' });
    expect(back.status).toBe(302);
    const redirect = new URL(back.headers.get('location')!);
    expect(redirect.pathname).toBe('/api/v1/integrations/oauth/moneybird/callback');
    const callback = await t
      .http()
      .get(redirect.pathname)
      .query(Object.fromEntries(redirect.searchParams));
    expect(callback.status).toBe(302);
    const pending = new URL(callback.headers.location as string).searchParams.get('pending');
    expect(pending).toMatch(/^pg_/);
    return pending!;
  }

  async function connectAndConfirm(actor: Actor, organization = team) {
    const reference = await consent(actor, organization);
    return actor.post(organization.url(`/integrations/pending/${reference}/confirm`));
  }

  /** Moneybird's view of an access token: does it still open the administrations? */
  async function tokenWorks(accessToken: string): Promise<boolean> {
    const response = await fetch(`${mb.apiUrl}/administrations.json`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    return response.status === 200;
  }

  const accessTokenOf = (row: Integration) =>
    readSecret(t, 'integrations.access_token', row.id, row.accessToken);
  const refreshTokenOf = (row: Integration) =>
    readSecret(t, 'integrations.refresh_token', row.id, row.refreshToken ?? '');

  it('refuses members and viewers, and providers this server cannot connect', async () => {
    for (const actor of [team.member, team.viewer]) {
      const response = await actor.post(team.url('/integrations/moneybird/connect'));
      expect(response.status).toBe(403);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    expect((await team.admin.post(team.url('/integrations/freshbooks/connect'))).status).toBe(404);
    expect(await t.dataSource.manager.countBy(OAuthState, { provider: 'moneybird' })).toBe(0);
  });

  it('connects as an admin, then books in the administration chosen among those listed', async () => {
    const reference = await consent(team.admin);
    const pending = await team.admin.get(team.url(`/integrations/pending/${reference}`));
    expect(pending.status).toBe(200);
    expect(pending.body).toMatchObject({ provider: 'moneybird' });

    const confirmed = await team.admin.post(team.url(`/integrations/pending/${reference}/confirm`));
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toMatchObject({
      provider: 'moneybird',
      provider_type: 'invoicing',
      provider_account_id: null,
      connected_by: team.admin.user.id,
      needs_reconnect: false,
    });
    const id = (confirmed.body as { id: number }).id;

    // The tokens are in the vault, encrypted like calendar tokens.
    const [row] = await invoicingOf(team);
    expect(row.accessToken).toMatch(/^v2:/);
    expect(await tokenWorks(accessTokenOf(row))).toBe(true);

    const accounts = await team.admin.get(team.url(`/integrations/${id}/accounts`));
    expect(accounts.status).toBe(200);
    expect(accounts.body).toEqual({
      data: [
        { external_id: acme, name: 'Acme BV' },
        { external_id: globex, name: 'Globex BV' },
      ],
    });
    // 18 digits: a string, exactly as Moneybird wrote it.
    expect(acme).toMatch(/^\d{18}$/);

    const chosen = await team.owner.patch(team.url(`/integrations/${id}`), {
      provider_account_id: globex,
    });
    expect(chosen.status).toBe(200);
    expect(chosen.body).toMatchObject({ id, provider_account_id: globex, name: 'Globex BV' });
    const audit = await t.dataSource.manager.findOneByOrFail(AuditLog, {
      action: 'integration.account_chosen',
      auditableId: id,
    });
    expect(audit.userId).toBe(team.owner.user.id);
  });

  it('refuses an account the integration cannot reach with 422, and members with 403', async () => {
    const [integration] = await invoicingOf(team);
    const url = team.url(`/integrations/${integration.id}`);

    for (const provider_account_id of [
      mb.store.administrationsOf('bob@elsewhere.test')[0].id,
      '1',
      '',
    ]) {
      const response = await team.admin.patch(url, { provider_account_id });
      expect(response.status).toBe(422);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body.errors).toHaveProperty('provider_account_id');
    }
    const lossy = await team.admin.patch(url, { provider_account_id: Number(acme) });
    expect(lossy.status).toBe(422);

    expect((await team.member.get(`${url}/accounts`)).status).toBe(403);
    expect((await team.member.patch(url, { provider_account_id: acme })).status).toBe(403);

    const unchanged = await t.dataSource.manager.findOneByOrFail(Integration, {
      id: integration.id,
    });
    expect(unchanged.providerAccountId).toBe(globex);
  });

  it('answers 404 for another organization’s integration, 409 for a calendar one', async () => {
    const [integration] = await invoicingOf(team);
    for (const path of [
      `/integrations/${integration.id}/accounts`,
      '/integrations/999999/accounts',
    ]) {
      expect((await other.admin.get(other.url(path))).status).toBe(404);
    }
    const patched = await other.admin.patch(other.url(`/integrations/${integration.id}`), {
      provider_account_id: acme,
    });
    expect(patched.status).toBe(404);
    expect((await other.admin.delete(other.url(`/integrations/${integration.id}`))).status).toBe(
      404,
    );
    const calendar = await factory.integration(team.organization, { connectedBy: team.admin.user });
    const notInvoicing = await team.admin.get(team.url(`/integrations/${calendar.id}/accounts`));
    expect(notInvoicing.status).toBe(409);
  });

  it('refuses a second invoicing integration with 409, leaving the first as it was', async () => {
    const before = await invoicingOf(team);

    const second = await connectAndConfirm(team.owner);

    expect(second.status).toBe(409);
    expect(second.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(second.body).toMatchObject({
      code: 'invoicing_already_connected',
      integration_id: before[0].id,
    });
    expect(await invoicingOf(team)).toEqual(before);
  });

  it('refreshes a refused token once and stores the rotated refresh token', async () => {
    const [before] = await invoicingOf(team);
    mb.expireAccessTokens(ANN);

    const accounts = await team.admin.get(team.url(`/integrations/${before.id}/accounts`));

    expect(accounts.status).toBe(200);
    const after = await t.dataSource.manager.findOneByOrFail(Integration, { id: before.id });
    expect(refreshTokenOf(after)).not.toBe(refreshTokenOf(before));
    expect(accessTokenOf(after)).not.toBe(accessTokenOf(before));
    expect(await tokenWorks(accessTokenOf(after))).toBe(true);
    // The old refresh token died with the rotation: only the stored one can refresh now.
    const spent = await fetch(mb.tokenUrl, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: refreshTokenOf(before),
        client_id: mb.app.clientId,
        client_secret: mb.app.clientSecret,
      }),
    });
    expect(spent.status).toBe(400);
  });

  it('disconnects: the grant is revoked, nothing in Moneybird is deleted', async () => {
    const [integration] = await invoicingOf(team);
    const ann = [...mb.store.administration(globex).users.values()][0].id;
    const entry = mb.asUser(globex).create({
      user_id: ann,
      started_at: '2026-03-10T09:00:00Z',
      ended_at: '2026-03-10T10:00:00Z',
      description: 'Booked before the disconnect [danwel:1]',
    });
    const accessToken = accessTokenOf(integration);
    mb.clearRequests();

    const response = await team.admin.delete(team.url(`/integrations/${integration.id}`));

    expect(response.status).toBe(204);
    expect(await invoicingOf(team)).toEqual([]);
    expect(mb.timeEntries(globex)).toEqual([entry]);
    expect(mb.requests.filter((r) => r.method === 'DELETE' || r.method === 'PATCH')).toHaveLength(
      0,
    );
    expect(await tokenWorks(accessToken)).toBe(false);
    const audit = await t.dataSource.manager.findOneByOrFail(AuditLog, {
      action: 'integration.disconnected',
      auditableId: integration.id,
    });
    expect(audit.newValues).toMatchObject({ revoked_at_provider: true });

    // The organization may connect an invoicing system again.
    const again = await connectAndConfirm(team.owner);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({
      provider_type: 'invoicing',
      connected_by: team.owner.user.id,
    });
  });
});
