import { RateLimiter, TooManyRequestsError } from '../../src/common/rate-limit/rate-limiter';
import { Factory, TEST_PASSWORD } from '../factories';
import { bootApp, TestApp } from '../support/app';

/*
 * The login throttle counts per client IP and per IP+email. Someone failing logins in another
 * person's name is stopped, but from their own IP only: the person still signs in from theirs.
 */
describe('security: others cannot lock a person out by failing logins in their name', () => {
  let t: TestApp;

  beforeAll(async () => {
    // The app sits behind a proxy on loopback, which reports each client's IP.
    t = await bootApp({ env: { AUTH_THROTTLE_PER_MINUTE: '3', TRUST_PROXY: 'loopback' } });
  });
  afterAll(() => t.close());

  const login = (ip: string, email: string, password: string) =>
    t.http().post('/api/v1/auth/login').set('X-Forwarded-For', ip).send({ email, password });

  it('throttles the attacker and lets the person in from their own IP', async () => {
    const victim = await new Factory(t.dataSource).user({ email: 'victim@example.com' });
    const attacker = '198.51.100.7';
    for (let i = 0; i < 3; i++) {
      expect((await login(attacker, victim.email, 'guess')).status).toBe(401);
    }
    const blocked = await login(attacker, victim.email, TEST_PASSWORD);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);

    // Attackers at other addresses each get their own budget, never the victim's.
    for (const ip of ['198.51.100.8', '198.51.100.9']) {
      for (let i = 0; i < 3; i++) {
        expect((await login(ip, victim.email, 'guess')).status).toBe(401);
      }
    }
    expect((await login('203.0.113.5', victim.email, TEST_PASSWORD)).status).toBe(200);
  });

  it('lets an office behind one address sign in together, up to the per-IP limit', async () => {
    const office = await bootApp({
      database: t.database,
      migrate: false,
      env: {
        AUTH_THROTTLE_PER_MINUTE: '3',
        AUTH_THROTTLE_PER_IP_PER_MINUTE: '6',
        TRUST_PROXY: 'loopback',
      },
    });
    try {
      const factory = new Factory(t.dataSource);
      const statuses = [];
      for (let i = 0; i < 7; i++) {
        const colleague = await factory.user({ email: `colleague${i}@example.com` });
        const response = await office
          .http()
          .post('/api/v1/auth/login')
          .set('X-Forwarded-For', '192.0.2.80')
          .send({ email: colleague.email, password: TEST_PASSWORD });
        statuses.push(response.status);
      }
      // Six people sign in from the one NAT address (more than one person's three); the seventh
      // attempt within the minute is refused.
      expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429]);
    } finally {
      await office.close({ keepDatabase: true });
    }
  });

  it('shares its count between API processes on the same database', async () => {
    const second = await bootApp({
      database: t.database,
      migrate: false,
      env: { AUTH_THROTTLE_PER_MINUTE: '3', TRUST_PROXY: 'loopback' },
    });
    try {
      const user = await new Factory(t.dataSource).user();
      const via = (app: TestApp) =>
        app
          .http()
          .post('/api/v1/auth/login')
          .set('X-Forwarded-For', '192.0.2.44')
          .send({ email: user.email, password: 'guess' });
      const statuses = [];
      for (const app of [t, second, t, second]) statuses.push((await via(app)).status);
      expect(statuses).toEqual([401, 401, 401, 429]);
      // Stored as digests: neither the address nor the IP is readable in the table.
      const stored = JSON.stringify(await t.dataSource.query('SELECT * FROM throttle_hits'));
      expect(stored).not.toContain('192.0.2.44');
      expect(stored).not.toContain(user.email);
    } finally {
      await second.close({ keepDatabase: true });
    }
  });

  it('slides its window: an attempt counts for exactly its window, refused ones not at all', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    const limiter = new RateLimiter(t.dataSource, 3, 60, () => now);
    for (let i = 0; i < 3; i++) await limiter.consume('test:ip:1', 'test:email:a');
    const refused = await limiter.consume('test:ip:1', 'test:email:b').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TooManyRequestsError);
    expect((refused as TooManyRequestsError).retryAfterSeconds).toBe(60);
    // Another IP is not affected, but the same email is; the refusal did not count for email b.
    await expect(limiter.consume('test:ip:2', 'test:email:b')).resolves.toBeUndefined();
    await expect(limiter.consume('test:ip:2', 'test:email:a')).rejects.toThrow(
      TooManyRequestsError,
    );
    now += 30_000;
    const later = await limiter.consume('test:ip:1').catch((e: unknown) => e);
    expect((later as TooManyRequestsError).retryAfterSeconds).toBe(30);
    now += 31_000;
    await expect(limiter.consume('test:ip:1', 'test:email:a')).resolves.toBeUndefined();
  });
});
