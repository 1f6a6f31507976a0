import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateAppKey } from './app-key';
import { ConfigError, loadConfig } from './load-config';

const key = generateAppKey();

describe('loadConfig', () => {
  it('boots the embedded default from nothing but an APP_KEY', () => {
    const config = loadConfig({ APP_KEY: key });
    expect(config.database.connection).toBe('sqlite');
    expect(config.database.sqlitePath).toBe('storage/danwel.sqlite');
    expect(config.worker.inProcess).toBe(true);
    expect(config.appKey).toHaveLength(32);
    expect(config.providers.google.redirectUri).toBe(
      'http://localhost:3000/api/v1/integrations/oauth/google_calendar/callback',
    );
    expect(config.providers.microsoft.tokenUrl).toBe(
      'https://login.microsoftonline.com/common/oauth2/v2.0/token',
    );
  });

  it('names every bad variable at once', () => {
    let error: unknown;
    try {
      loadConfig({ APP_KEY: 'plain', PORT: 'eighty', DB_CONNECTION: 'postgres', APP_URL: 'nope' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/APP_KEY must start with "base64:"/);
    expect(problems).toMatch(/PORT must be an integer/);
    expect(problems).toMatch(/DB_CONNECTION must be one of sqlite, mysql/);
    expect(problems).toMatch(/APP_URL must be an absolute URL/);
  });

  it('refuses a sync lease shorter than a worst-case batch (two refreshes, two sends)', () => {
    const env = { APP_KEY: key, SYNC_LEASE_SECONDS: '20', SYNC_REQUEST_TIMEOUT_MS: '5000' };
    expect(() => loadConfig(env)).toThrow(/SYNC_LEASE_SECONDS must be at least/);
    expect(loadConfig({ ...env, SYNC_LEASE_SECONDS: '22' }).sync.leaseSeconds).toBe(22);
  });

  it('refuses to write mail to the log in production unless told to', () => {
    const production = { APP_KEY: key, NODE_ENV: 'production' };
    expect(() => loadConfig(production)).toThrow(/MAIL_TRANSPORT=log writes mail/);
    expect(() => loadConfig({ ...production, MAIL_TRANSPORT: 'log' })).toThrow(
      /MAIL_LOG_IN_PRODUCTION=true/,
    );
    expect(loadConfig({ ...production, MAIL_TRANSPORT: 'smtp' }).mail.transport).toBe('smtp');
    expect(loadConfig({ ...production, MAIL_LOG_IN_PRODUCTION: 'true' }).mail.transport).toBe(
      'log',
    );
    expect(loadConfig({ APP_KEY: key, NODE_ENV: 'development' }).mail.transport).toBe('log');
  });

  it('reads TRUST_PROXY as Express does, trusting no proxy by default', () => {
    const trust = (value?: string) => loadConfig({ APP_KEY: key, TRUST_PROXY: value }).trustProxy;
    expect(trust()).toBe(false);
    expect(trust('false')).toBe(false);
    expect(trust('2')).toBe(2);
    expect(trust('loopback, 10.0.0.0/8,fd00::/8, 192.0.2.1')).toEqual([
      'loopback',
      '10.0.0.0/8',
      'fd00::/8',
      '192.0.2.1',
    ]);
    expect(() => trust('true')).toThrow(/any client could choose its own IP/);
    expect(() => trust('proxy.internal')).toThrow(/TRUST_PROXY must be a hop count/);
    expect(() => trust('fd00::/129')).toThrow(/TRUST_PROXY must be a hop count/);
  });

  it('requires APP_KEY', () => {
    expect(() => loadConfig({})).toThrow(/APP_KEY is required/);
  });

  it('rejects a key of the wrong length and a bad previous key', () => {
    const short = `base64:${Buffer.alloc(16).toString('base64')}`;
    expect(() => loadConfig({ APP_KEY: short })).toThrow(/APP_KEY must decode to 32 bytes, got 16/);
    expect(() => loadConfig({ APP_KEY: key, APP_PREVIOUS_KEYS: `${key},junk` })).toThrow(
      /APP_PREVIOUS_KEYS entry 2/,
    );
  });

  it('reads a MySQL connection from DB_URL', () => {
    const config = loadConfig({
      APP_KEY: key,
      DB_CONNECTION: 'mysql',
      DB_URL: 'mysql://app:s%40cret@db.internal:3307/danwel_prod',
    });
    expect(config.database).toMatchObject({
      connection: 'mysql',
      host: 'db.internal',
      port: 3307,
      username: 'app',
      password: 's@cret',
      database: 'danwel_prod',
    });
  });

  it('is documented: .env.example lists every variable the loader reads', () => {
    const read = new Set<string>();
    const recording = new Proxy({ APP_KEY: key } as Record<string, string | undefined>, {
      get(target, name: string) {
        read.add(name);
        return target[name];
      },
    });
    loadConfig(recording);
    const example = readFileSync(join(__dirname, '../../.env.example'), 'utf8');
    const documented = new Set([...example.matchAll(/^([A-Z0-9_]+)=/gm)].map((m) => m[1]));
    expect([...read].filter((name) => !documented.has(name))).toEqual([]);
    expect(read.size).toBeGreaterThan(40);
  });
});
