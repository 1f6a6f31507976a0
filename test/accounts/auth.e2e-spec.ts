import { ApiToken } from '../../src/auth/api-token.entity';
import { AuditLog } from '../../src/audit/audit-log.entity';
import { User } from '../../src/users/user.entity';
import { Factory, TEST_PASSWORD } from '../factories';
import { bootApp, TestApp } from '../support/app';

describe('accounts: register, login, tokens', () => {
  let t: TestApp;
  let factory: Factory;

  beforeAll(async () => {
    t = await bootApp({ env: { AUTH_THROTTLE_PER_MINUTE: '1000' } });
    factory = new Factory(t.dataSource);
  });
  afterAll(() => t.close());

  const register = (body: object) => t.http().post('/api/v1/auth/register').send(body);
  const login = (body: object) => t.http().post('/api/v1/auth/login').send(body);

  it('registers a user with an argon2id password and hands out a working token', async () => {
    const response = await register({
      name: 'Ada Lovelace',
      email: 'Ada@Example.com',
      password: 'correct horse',
    });
    expect(response.status).toBe(201);
    expect(response.body.user).toMatchObject({
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      timezone: 'UTC',
    });
    expect(response.body.user).not.toHaveProperty('password');
    expect(response.body.token).toMatch(/^dwl_[A-Za-z0-9_-]{43}$/);

    const stored = await t.dataSource
      .getRepository(User)
      .findOneByOrFail({ email: 'ada@example.com' });
    expect(stored.password).toMatch(/^\$argon2id\$/);
    // Only the SHA-256 of the token is kept.
    const tokens = await t.dataSource.getRepository(ApiToken).findBy({ userId: stored.id });
    expect(tokens).toHaveLength(1);
    expect(tokens[0].tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(tokens[0].tokenHash).not.toContain(response.body.token);

    const me = await t
      .http()
      .get('/api/v1/me')
      .set('Authorization', `Bearer ${response.body.token}`)
      .expect(200);
    expect(me.body).toMatchObject({ id: stored.id, email: 'ada@example.com', memberships: [] });
  });

  it('rejects bad registrations with 422 field errors and stores nothing', async () => {
    const before = await t.dataSource.getRepository(User).count();
    const response = await register({ name: '', email: 'not-an-email', password: 'short' });
    expect(response.status).toBe(422);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Object.keys(response.body.errors).sort()).toEqual(['email', 'name', 'password']);
    expect(response.body.errors.password[0]).toMatch(/at least 8/);

    await register({ name: 'Dup', email: 'dup@example.com', password: 'password1' }).expect(201);
    const duplicate = await register({
      name: 'Dup',
      email: 'DUP@example.com',
      password: 'password1',
    });
    expect(duplicate.status).toBe(422);
    expect(duplicate.body.errors.email).toEqual(['email has already been taken.']);
    expect(await t.dataSource.getRepository(User).count()).toBe(before + 1);
  });

  it('rejects unknown fields instead of silently ignoring them', async () => {
    const response = await register({
      name: 'X',
      email: 'x@example.com',
      password: 'password1',
      is_admin: true,
    });
    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual({ is_admin: ['is_admin is not an accepted field.'] });
  });

  it('logs in with the same answer for a wrong password and an unknown email', async () => {
    const user = await factory.user({ email: 'grace@example.com' });
    const ok = await login({
      email: 'Grace@example.com',
      password: TEST_PASSWORD,
      token_name: 'cli',
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ token_type: 'Bearer', user: { id: user.id } });
    expect(new Date(ok.body.expires_at).getTime() - Date.now()).toBeGreaterThan(29 * 86_400_000);

    const wrongPassword = await login({ email: 'grace@example.com', password: 'nope-nope' });
    const unknownEmail = await login({ email: 'nobody@example.com', password: 'nope-nope' });
    expect(wrongPassword.status).toBe(401);
    expect(unknownEmail.status).toBe(401);
    expect(wrongPassword.body).toEqual(unknownEmail.body);
    expect(wrongPassword.body.detail).toBe('These credentials do not match our records.');

    const missing = await login({ email: 'grace@example.com' });
    expect(missing.status).toBe(422);
    expect(Object.keys(missing.body.errors)).toEqual(['password']);

    const audit = await t.dataSource
      .getRepository(AuditLog)
      .findBy({ action: 'auth.login', userId: user.id });
    expect(audit).toHaveLength(1);
    expect(audit[0].ipAddress).toBeTruthy();
    expect(JSON.stringify(audit[0].newValues)).not.toContain(ok.body.token);
  });

  it('takes about as long for an unknown email as for a wrong password', async () => {
    await factory.user({ email: 'timing@example.com' });
    const time = async (email: string) => {
      const started = process.hrtime.bigint();
      await login({ email, password: 'wrong-password' }).expect(401);
      return Number(process.hrtime.bigint() - started) / 1e6;
    };
    await time('timing@example.com'); // warm up
    const known = Math.min(await time('timing@example.com'), await time('timing@example.com'));
    const unknown = Math.min(await time('ghost@example.com'), await time('ghost@example.com'));
    // Both pay one argon2 verification; without the decoy the unknown path would be ~100x faster.
    expect(unknown).toBeGreaterThan(known * 0.3);
  });

  it('lists, revokes and logs out tokens; a revoked token stops working at once', async () => {
    const user = await factory.user({ email: 'tokens@example.com' });
    const first = (
      await login({ email: user.email, password: TEST_PASSWORD, token_name: 'laptop' })
    ).body.token;
    const second = (
      await login({ email: user.email, password: TEST_PASSWORD, token_name: 'phone' })
    ).body.token;
    const as = (token: string) => ({ Authorization: `Bearer ${token}` });

    const list = await t.http().get('/api/v1/me/tokens').set(as(first)).expect(200);
    expect(list.body.data.map((token: { name: string }) => token.name)).toEqual([
      'phone',
      'laptop',
    ]);
    expect(list.body.data.find((token: { name: string }) => token.name === 'laptop').current).toBe(
      true,
    );
    expect(JSON.stringify(list.body)).not.toContain(first);

    const phoneId = list.body.data[0].id;
    await t.http().delete(`/api/v1/me/tokens/${phoneId}`).set(as(first)).expect(204);
    await t.http().get('/api/v1/me').set(as(second)).expect(401);

    await t.http().post('/api/v1/auth/logout').set(as(first)).expect(204);
    const after = await t.http().get('/api/v1/me').set(as(first));
    expect(after.status).toBe(401);
    expect(after.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it("answers 404 for someone else's token id", async () => {
    const alice = await factory.user();
    const bob = await factory.user();
    const aliceToken = (await login({ email: alice.email, password: TEST_PASSWORD })).body.token;
    const bobToken = (await login({ email: bob.email, password: TEST_PASSWORD })).body.token;
    const bobs = await t.http().get('/api/v1/me/tokens').set('Authorization', `Bearer ${bobToken}`);
    await t
      .http()
      .delete(`/api/v1/me/tokens/${bobs.body.data[0].id}`)
      .set('Authorization', `Bearer ${aliceToken}`)
      .expect(404);
    await t.http().get('/api/v1/me').set('Authorization', `Bearer ${bobToken}`).expect(200);
  });

  it('refuses expired tokens and garbage', async () => {
    const user = await factory.user();
    const token = (await login({ email: user.email, password: TEST_PASSWORD })).body.token;
    await t.dataSource
      .getRepository(ApiToken)
      .update({ userId: user.id }, { expiresAt: new Date(Date.now() - 1000) });
    await t.http().get('/api/v1/me').set('Authorization', `Bearer ${token}`).expect(401);
    await t.http().get('/api/v1/me').set('Authorization', 'Bearer dwl_garbage').expect(401);
    await t.http().get('/api/v1/me').expect(401);
  });
});

describe('accounts: throttling', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await bootApp({
      env: { AUTH_THROTTLE_PER_MINUTE: '3', AUTH_THROTTLE_PER_IP_PER_MINUTE: '3' },
    });
  });
  afterAll(() => t.close());

  it('answers 429 with Retry-After after too many logins for one email', async () => {
    const factory = new Factory(t.dataSource);
    const user = await factory.user({ email: 'victim@example.com' });
    for (let i = 0; i < 3; i++) {
      await t
        .http()
        .post('/api/v1/auth/login')
        .send({ email: user.email, password: 'guess' })
        .expect(401);
    }
    const blocked = await t
      .http()
      .post('/api/v1/auth/login')
      .send({ email: user.email, password: TEST_PASSWORD });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(blocked.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('throttles registrations per IP too', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const response = await t
        .http()
        .post('/api/v1/auth/register')
        .send({ name: 'Spam', email: `spam${i}@example.com`, password: 'password1' });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([201, 201, 201, 429]);
  });
});
