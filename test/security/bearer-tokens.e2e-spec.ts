import { Factory } from '../factories';
import { actingAs, Actor } from '../support/actors';
import { bootApp, TestApp } from '../support/app';

/*
 * A token outside the Authorization header leaks into access logs, browser history and Referer
 * headers, so it must not authenticate anywhere: not as `?access_token=`, not as a body field.
 */
describe('security: bearer tokens travel in the Authorization header only', () => {
  let t: TestApp;
  let alice: Actor;

  beforeAll(async () => {
    t = await bootApp();
    alice = await actingAs(t, await new Factory(t.dataSource).user());
  });
  afterAll(() => t.close());

  const expectUnauthorized = (response: {
    status: number;
    headers: Record<string, string>;
    body: { status?: number };
  }) => {
    expect(response.status).toBe(401);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.headers['www-authenticate']).toBe('Bearer');
    expect(response.body.status).toBe(401);
  };

  it('authenticates with the header', async () => {
    const me = await t.http().get('/api/v1/me').set('Authorization', `Bearer ${alice.token}`);
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(alice.user.id);
    // The scheme name is case-insensitive (RFC 6750).
    await t.http().get('/api/v1/me').set('Authorization', `bearer ${alice.token}`).expect(200);
  });

  it('refuses a token in the query string', async () => {
    expectUnauthorized(await t.http().get('/api/v1/me').query({ access_token: alice.token }));
  });

  it('refuses a repeated access_token parameter with 401, not 500', async () => {
    const response = await t
      .http()
      .get(`/api/v1/me?access_token=${alice.token}&access_token=${alice.token}`);
    expectUnauthorized(response);
  });

  it('refuses a token in a JSON or form body', async () => {
    expectUnauthorized(
      await t.http().post('/api/v1/auth/logout').send({ access_token: alice.token }),
    );
    expectUnauthorized(
      await t.http().post('/api/v1/auth/logout').type('form').send(`access_token=${alice.token}`),
    );
    // The token was not revoked by either attempt.
    await t.http().get('/api/v1/me').set('Authorization', `Bearer ${alice.token}`).expect(200);
  });

  it.each([
    ['another scheme', (token: string) => `Basic ${token}`],
    ['no token', () => 'Bearer'],
    ['no scheme', (token: string) => token],
    ['two tokens', (token: string) => `Bearer ${token} ${token}`],
    ['a token with a comma', (token: string) => `Bearer ${token},x`],
  ])('answers a malformed header (%s) with 401 problem+json', async (_name, header) => {
    expectUnauthorized(await t.http().get('/api/v1/me').set('Authorization', header(alice.token)));
  });

  it('answers an unknown token with 401 problem+json', async () => {
    expectUnauthorized(
      await t.http().get('/api/v1/me').set('Authorization', 'Bearer dwl_not-a-real-token'),
    );
  });
});
