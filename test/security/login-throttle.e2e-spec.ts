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
});
