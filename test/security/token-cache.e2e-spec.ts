import { ApiToken } from '../../src/auth/api-token.entity';
import { POLL_MS, STALE_MS } from '../../src/auth/verified-tokens';
import { sha256Hex, generateSecretToken } from '../../src/common/crypto/tokens';
import { Factory, TEST_PASSWORD } from '../factories';
import { Actor, makeTeam, Team } from '../support/actors';
import { bootApp, TestApp } from '../support/app';

/*
 * Verified bearer tokens are cached per process (src/auth/verified-tokens.ts). Two app instances
 * on one database stand for two API processes: whatever one of them changes about a token, its
 * user or their membership must hold at once in that instance and within STALE_MS in the other,
 * which has the old answer cached. An entry lives five seconds, so a change the other instance
 * never heard of fails these bounds.
 */
describe('security: a cached token answers no longer than the revocation bound', () => {
  let a: TestApp;
  let b: TestApp;
  let factory: Factory;

  beforeAll(async () => {
    a = await bootApp();
    b = await bootApp({ database: a.database, migrate: false });
    factory = new Factory(a.dataSource);
    // Each instance starts reading the revision on its first lookup: let both be under way, so
    // the first case's answers are cached like every later one's.
    for (const app of [a, b]) await app.http().get('/api/v1/me').set('Authorization', 'Bearer x');
    await new Promise((resolve) => setTimeout(resolve, 2 * POLL_MS));
  });
  afterAll(async () => {
    await b?.close({ keepDatabase: true });
    await a?.close();
  });

  /** The same token sent to either instance. */
  const send = (
    app: TestApp,
    token: string,
    method: 'get' | 'post' | 'put' | 'delete',
    path: string,
  ) => app.http()[method](path).set('Authorization', `Bearer ${token}`);
  const status = async (app: TestApp, token: string, path: string) =>
    (await send(app, token, 'get', path)).status;

  /** Both instances answer `before` (so both have the token cached), then `change` runs on `a`. */
  async function expectBounded(
    token: string,
    path: string,
    before: number,
    after: number,
    change: () => Promise<unknown>,
  ) {
    expect(await status(a, token, path)).toBe(before);
    expect(await status(b, token, path)).toBe(before);
    await change();
    const changedAt = Date.now();
    // At once where the change was made.
    expect(await status(a, token, path)).toBe(after);
    // Within the bound elsewhere (plus scheduling slack on a loaded machine; an entry lives 5 s).
    let seen = await status(b, token, path);
    while (seen !== after && Date.now() - changedAt < STALE_MS + 1_500) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      seen = await status(b, token, path);
    }
    expect(seen).toBe(after);
    expect(Date.now() - changedAt).toBeLessThan(STALE_MS + 1_500);
  }

  let team: Team;
  beforeEach(async () => {
    team = await makeTeam(a, factory);
    await settle();
  });

  /**
   * Making a team moves the revision: once both instances' next read has passed, what a case
   * caches stays cached until its own change.
   */
  const settle = () => new Promise((resolve) => setTimeout(resolve, 2 * POLL_MS));

  const issue = async (actor: Actor, expiresInMs = 86_400_000) => {
    const token = generateSecretToken('dwl');
    const saved = await a.dataSource.getRepository(ApiToken).save({
      userId: actor.user.id,
      name: 'second',
      tokenHash: sha256Hex(token),
      lastUsedAt: null,
      expiresAt: new Date(Date.now() + expiresInMs),
    });
    return { token, id: saved.id };
  };

  it('revoking a token', async () => {
    const other = await issue(team.member);
    await expectBounded(other.token, '/api/v1/me', 200, 401, () =>
      send(a, team.member.token, 'delete', `/api/v1/me/tokens/${other.id}`).expect(204),
    );
  });

  it('logging out', async () => {
    await expectBounded(team.member.token, '/api/v1/me', 200, 401, () =>
      send(a, team.member.token, 'post', '/api/v1/auth/logout').expect(204),
    );
  });

  it('changing the password revokes the other tokens', async () => {
    const other = await issue(team.member);
    await expectBounded(other.token, '/api/v1/me', 200, 401, () =>
      send(a, team.member.token, 'put', '/api/v1/me/password')
        .send({ current_password: TEST_PASSWORD, password: 'a new passphrase, long enough' })
        .expect(204),
    );
    // The token that changed it stays valid on both.
    expect(await status(a, team.member.token, '/api/v1/me')).toBe(200);
    expect(await status(b, team.member.token, '/api/v1/me')).toBe(200);
  });

  it('a role change', async () => {
    await expectBounded(team.admin.token, team.url('/audit-logs'), 200, 403, () =>
      a
        .http()
        .patch(team.url(`/members/${team.admin.user.id}`))
        .set('Authorization', `Bearer ${team.owner.token}`)
        .send({ role: 'member' })
        .expect(200),
    );
  });

  it('a removal from the organization', async () => {
    await expectBounded(team.member.token, team.url(), 200, 404, () =>
      send(a, team.admin.token, 'delete', team.url(`/members/${team.member.user.id}`)).expect(204),
    );
  });

  it('a new membership (the cached "no member" goes too)', async () => {
    const outsider = await makeTeam(a, factory);
    await settle();
    await expectBounded(outsider.member.token, team.url(), 404, 200, () =>
      factory.member(team.organization, outsider.member.user, 'viewer'),
    );
  });

  it('deleting the organization', async () => {
    await expectBounded(team.viewer.token, team.url(), 200, 404, () =>
      send(a, team.owner.token, 'delete', team.url()).expect(204),
    );
  });

  it('expiry, compared on every hit', async () => {
    const soon = await issue(team.member, 1_500);
    expect(await status(a, soon.token, '/api/v1/me')).toBe(200);
    expect(await status(b, soon.token, '/api/v1/me')).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    expect(await status(a, soon.token, '/api/v1/me')).toBe(401);
    expect(await status(b, soon.token, '/api/v1/me')).toBe(401);
  });
});
