import { AuditLog } from '../../src/audit/audit-log.entity';
import { Env } from '../../src/config';
import { bootApp, TestApp } from '../support/app';

/*
 * The client's IP goes into audit rows and is a key of the login throttle. Whoever may set
 * X-Forwarded-For picks that IP, so only the proxies named in TRUST_PROXY may; by default none.
 */
describe('security: X-Forwarded-For cannot forge the client IP', () => {
  let sequence = 0;

  /** Registers a new user with these request headers; answers the status and the audited IP. */
  async function register(t: TestApp, headers: Record<string, string>) {
    sequence += 1;
    const email = `ip${sequence}@example.com`;
    const response = await t
      .http()
      .post('/api/v1/auth/register')
      .set(headers)
      .send({ name: 'Ip', email, password: 'password1' });
    const row = await t.dataSource
      .getRepository(AuditLog)
      .findOneBy({ action: 'user.registered', userId: response.body.user?.id ?? -1 });
    return { status: response.status, ip: row?.ipAddress ?? null };
  }

  async function withApp(env: Env, run: (t: TestApp) => Promise<void>) {
    const t = await bootApp({
      env: { AUTH_THROTTLE_PER_MINUTE: '3', AUTH_THROTTLE_PER_IP_PER_MINUTE: '3', ...env },
    });
    try {
      await run(t);
    } finally {
      await t.close();
    }
  }

  it('by default records the peer address, whatever the header says', () =>
    withApp({}, async (t) => {
      const { status, ip } = await register(t, { 'X-Forwarded-For': '203.0.113.9' });
      expect(status).toBe(201);
      expect(ip).toMatch(/127\.0\.0\.1|::1/);
    }));

  it('by default a rotating X-Forwarded-For does not escape the login throttle', () =>
    withApp({}, async (t) => {
      const statuses: number[] = [];
      for (let i = 1; i <= 4; i++) {
        const response = await t
          .http()
          .post('/api/v1/auth/login')
          .set('X-Forwarded-For', `198.51.100.${i}`)
          .send({ email: `guess${i}@example.com`, password: 'wrong-password' });
        statuses.push(response.status);
      }
      expect(statuses).toEqual([401, 401, 401, 429]);
    }));

  it('takes the client from a trusted proxy, and only the hops it is told to trust', () =>
    withApp({ TRUST_PROXY: '1' }, async (t) => {
      // The client forged the first entry; the one proxy in front appended the real address.
      const forged = await register(t, { 'X-Forwarded-For': '203.0.113.66, 192.0.2.10' });
      expect(forged.ip).toBe('192.0.2.10');
    }));

  it('trusts a proxy by address (loopback here), not a peer elsewhere', async () => {
    await withApp({ TRUST_PROXY: 'loopback' }, async (t) => {
      expect((await register(t, { 'X-Forwarded-For': '192.0.2.20' })).ip).toBe('192.0.2.20');
    });
    await withApp({ TRUST_PROXY: '10.0.0.0/8, 192.168.0.1' }, async (t) => {
      expect((await register(t, { 'X-Forwarded-For': '192.0.2.30' })).ip).toMatch(
        /127\.0\.0\.1|::1/,
      );
    });
  });

  it('refuses a TRUST_PROXY that trusts every hop or is not an address', async () => {
    await expect(bootApp({ env: { TRUST_PROXY: 'true' } })).rejects.toThrow(/trust every hop/);
    await expect(bootApp({ env: { TRUST_PROXY: '10.0.0.0/33' } })).rejects.toThrow(
      /TRUST_PROXY must be a hop count/,
    );
  });
});

describe('security: HSTS and upgrade-insecure-requests only on an https APP_URL', () => {
  const headersOf = async (appUrl: string) => {
    const t = await bootApp({ env: { APP_URL: appUrl } });
    try {
      return (await t.http().get('/health').expect(200)).headers;
    } finally {
      await t.close();
    }
  };

  it('sends neither on plain http (a browser would refuse the site)', async () => {
    const headers = await headersOf('http://localhost:3000');
    expect(headers['strict-transport-security']).toBeUndefined();
    expect(headers['content-security-policy']).toContain("default-src 'self'");
    expect(headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
  });

  it('sends both on https', async () => {
    const headers = await headersOf('https://danwel.example.com');
    expect(headers['strict-transport-security']).toMatch(/max-age=\d+/);
    expect(headers['content-security-policy']).toContain('upgrade-insecure-requests');
  });
});
