import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { isIP } from 'node:net';
import { AppConfig, DatabaseConfig, TrustProxy } from './app-config';
import { parseAppKey } from './app-key';

export type Env = Record<string, string | undefined>;

/** Every invalid variable, reported together so one boot shows them all. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads `.env` (when present) into process.env without overriding variables already set. */
export function loadDotEnv(path = resolve(process.cwd(), '.env')): void {
  if (existsSync(path)) process.loadEnvFile(path);
}

/**
 * Collects typed values from the environment. Each reader records a problem naming the variable
 * instead of throwing, so the boot error lists every bad value at once.
 */
class EnvReader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  string(name: string, fallback?: string): string {
    const value = this.env[name]?.trim();
    if (value) return value;
    if (fallback !== undefined) return fallback;
    this.problems.push(`${name} is required`);
    return '';
  }

  integer(name: string, fallback: number, range: { min?: number; max?: number } = {}): number {
    const raw = this.env[name]?.trim();
    if (!raw) return fallback;
    const value = Number(raw);
    const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = range;
    if (!Number.isInteger(value) || value < min || value > max) {
      this.problems.push(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
      return fallback;
    }
    return value;
  }

  boolean(name: string, fallback: boolean): boolean {
    const raw = this.env[name]?.trim().toLowerCase();
    if (!raw) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
    if (['0', 'false', 'no', 'off'].includes(raw)) return false;
    this.problems.push(`${name} must be true or false, got "${raw}"`);
    return fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.env[name]?.trim();
    if (!raw) return fallback;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    this.problems.push(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
    return fallback;
  }

  url(name: string, fallback: string): string {
    const value = this.string(name, fallback);
    try {
      new URL(value);
    } catch {
      this.problems.push(`${name} must be an absolute URL, got "${value}"`);
    }
    return value.replace(/\/+$/, '');
  }

  list(name: string, fallback: string[]): string[] {
    const raw = this.env[name]?.trim();
    if (!raw) return fallback;
    return raw
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
  }

  /** Express's `trust proxy`, minus `true`: trusting every hop lets any client pick its IP. */
  trustProxy(name: string): TrustProxy {
    const raw = this.env[name]?.trim();
    if (!raw || raw.toLowerCase() === 'false') return false;
    if (/^\d+$/.test(raw)) return this.integer(name, 0, { min: 0, max: 100 });
    const entries = this.list(name, []);
    const invalid = entries.filter((entry) => !isTrustedProxyEntry(entry));
    if (invalid.length > 0 || entries.length === 0) {
      this.problems.push(
        `${name} must be a hop count, or a comma-separated list of loopback, linklocal, ` +
          `uniquelocal, IP addresses and CIDR subnets; got "${raw}"` +
          (raw.toLowerCase() === 'true'
            ? ' (true would trust every hop, so any client could choose its own IP)'
            : ''),
      );
      return false;
    }
    return entries;
  }

  key(name: string): Buffer {
    const raw = this.string(name);
    if (!raw) return Buffer.alloc(0);
    const key = parseAppKey(raw);
    if (typeof key === 'string') {
      this.problems.push(`${name} ${key}`);
      return Buffer.alloc(0);
    }
    return key;
  }

  keys(name: string): Buffer[] {
    return this.list(name, []).flatMap((raw, index) => {
      const key = parseAppKey(raw);
      if (typeof key !== 'string') return [key];
      this.problems.push(`${name} entry ${index + 1} ${key}`);
      return [];
    });
  }
}

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isTrustedProxyEntry(entry: string): boolean {
  if (PROXY_NAMES.has(entry)) return true;
  const [address, prefix, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  const bits = version === 4 ? 32 : 128;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= bits;
}

function readDatabase(read: EnvReader): DatabaseConfig {
  const connection = read.oneOf('DB_CONNECTION', ['sqlite', 'mysql'] as const, 'sqlite');
  const database: DatabaseConfig = {
    connection,
    sqlitePath: read.string('DB_DATABASE_PATH', 'storage/danwel.sqlite'),
    host: read.string('DB_HOST', '127.0.0.1'),
    port: read.integer('DB_PORT', 3306, { min: 1, max: 65535 }),
    username: read.string('DB_USERNAME', 'danwel'),
    password: read.string('DB_PASSWORD', ''),
    database: read.string('DB_DATABASE', 'danwel'),
    logging: read.boolean('DB_LOGGING', false),
    queryTimeoutMs: read.integer('DB_QUERY_TIMEOUT_MS', 5_000, { min: 0, max: 3_600_000 }),
  };
  const url = read.string('DB_URL', '');
  if (url && connection === 'mysql') {
    try {
      const parsed = new URL(url);
      if (!['mysql:', 'mariadb:'].includes(parsed.protocol)) throw new Error('protocol');
      database.host = parsed.hostname;
      database.port = Number(parsed.port || 3306);
      database.username = decodeURIComponent(parsed.username);
      database.password = decodeURIComponent(parsed.password);
      database.database = parsed.pathname.replace(/^\//, '') || database.database;
    } catch {
      read.problems.push('DB_URL must look like mysql://user:password@host:3306/database');
    }
  }
  return database;
}

export function loadConfig(env: Env): AppConfig {
  const read = new EnvReader(env);
  const appUrl = read.url('APP_URL', 'http://localhost:3000');
  const redirect = (provider: string) => `${appUrl}/api/v1/integrations/oauth/${provider}/callback`;

  const config: AppConfig = {
    env: read.oneOf('NODE_ENV', ['development', 'production', 'test'] as const, 'development'),
    port: read.integer('PORT', 3000, { min: 0, max: 65535 }),
    host: read.string('HOST', '0.0.0.0'),
    appUrl,
    appKey: read.key('APP_KEY'),
    previousKeys: read.keys('APP_PREVIOUS_KEYS'),
    corsOrigins: read.list('CORS_ORIGINS', [appUrl]),
    trustProxy: read.trustProxy('TRUST_PROXY'),
    bodyLimit: read.string('BODY_LIMIT', '1mb'),
    logLevel: read.oneOf(
      'LOG_LEVEL',
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const,
      'info',
    ),
    database: readDatabase(read),
    mail: {
      transport: read.oneOf('MAIL_TRANSPORT', ['log', 'smtp'] as const, 'log'),
      from: read.string('MAIL_FROM', 'danwel <no-reply@localhost>'),
      outboxDir: read.string('MAIL_OUTBOX_DIR', 'storage/mail'),
      smtp: {
        host: read.string('MAIL_HOST', '127.0.0.1'),
        port: read.integer('MAIL_PORT', 587, { min: 1, max: 65535 }),
        secure: read.boolean('MAIL_SECURE', false),
        user: read.string('MAIL_USERNAME', ''),
        password: read.string('MAIL_PASSWORD', ''),
      },
    },
    worker: {
      inProcess: read.boolean('WORKER_IN_PROCESS', true),
      pollIntervalMs: read.integer('WORKER_POLL_INTERVAL_MS', 1000, { min: 10, max: 60_000 }),
      leaseSeconds: read.integer('WORKER_LEASE_SECONDS', 60, { min: 5, max: 3600 }),
      concurrency: read.integer('WORKER_CONCURRENCY', 4, { min: 1, max: 64 }),
    },
    sync: {
      leaseSeconds: read.integer('SYNC_LEASE_SECONDS', 60, { min: 2, max: 3600 }),
      requestTimeoutMs: read.integer('SYNC_REQUEST_TIMEOUT_MS', 10_000, {
        min: 100,
        max: 300_000,
      }),
      backoffBaseSeconds: read.integer('SYNC_BACKOFF_BASE_SECONDS', 5, { min: 1, max: 3600 }),
      backoffMaxSeconds: read.integer('SYNC_BACKOFF_MAX_SECONDS', 3600, { min: 1, max: 86_400 }),
      pullIntervalSeconds: read.integer('SYNC_PULL_INTERVAL_SECONDS', 300, { min: 5, max: 86_400 }),
      pullWindowPastDays: read.integer('SYNC_PULL_WINDOW_PAST_DAYS', 30, { min: 0, max: 3650 }),
      pullWindowFutureDays: read.integer('SYNC_PULL_WINDOW_FUTURE_DAYS', 365, {
        min: 1,
        max: 3650,
      }),
      rateLimits: {
        // Google's per-user default for the Calendar API is 600 queries per minute.
        google_calendar: {
          maxRequests: read.integer('GOOGLE_CALENDAR_MAX_REQUESTS', 600, { min: 1, max: 1e6 }),
          windowSeconds: read.integer('GOOGLE_CALENDAR_WINDOW_SECONDS', 60, {
            min: 1,
            max: 86_400,
          }),
        },
        // Graph: 10,000 requests per 10 minutes per app per mailbox (Outlook service limits).
        office365: {
          maxRequests: read.integer('MICROSOFT_GRAPH_MAX_REQUESTS', 10_000, { min: 1, max: 1e6 }),
          windowSeconds: read.integer('MICROSOFT_GRAPH_WINDOW_SECONDS', 600, {
            min: 1,
            max: 86_400,
          }),
        },
      },
    },
    metrics: { token: read.string('METRICS_TOKEN', '') },
    auth: {
      apiTokenTtlDays: read.integer('API_TOKEN_TTL_DAYS', 30, { min: 1, max: 3650 }),
      invitationTtlDays: read.integer('INVITATION_TTL_DAYS', 7, { min: 1, max: 90 }),
      throttlePerMinute: read.integer('AUTH_THROTTLE_PER_MINUTE', 10, { min: 1, max: 100_000 }),
      throttlePerIpPerMinute: read.integer('AUTH_THROTTLE_PER_IP_PER_MINUTE', 100, {
        min: 1,
        max: 100_000,
      }),
    },
    providers: {
      google: {
        clientId: read.string('GOOGLE_CLIENT_ID', ''),
        clientSecret: read.string('GOOGLE_CLIENT_SECRET', ''),
        redirectUri: read.url('GOOGLE_REDIRECT_URI', redirect('google_calendar')),
        authorizeUrl: read.url(
          'GOOGLE_AUTHORIZE_URL',
          'https://accounts.google.com/o/oauth2/v2/auth',
        ),
        tokenUrl: read.url('GOOGLE_TOKEN_URL', 'https://oauth2.googleapis.com/token'),
        revokeUrl: read.url('GOOGLE_REVOKE_URL', 'https://oauth2.googleapis.com/revoke'),
        apiBaseUrl: read.url('GOOGLE_API_BASE_URL', 'https://www.googleapis.com'),
      },
      microsoft: (() => {
        const authority = read.url('MICROSOFT_AUTHORITY_URL', 'https://login.microsoftonline.com');
        const tenant = read.string('MICROSOFT_TENANT', 'common');
        return {
          clientId: read.string('MICROSOFT_CLIENT_ID', ''),
          clientSecret: read.string('MICROSOFT_CLIENT_SECRET', ''),
          tenant,
          redirectUri: read.url('MICROSOFT_REDIRECT_URI', redirect('office365')),
          authorizeUrl: `${authority}/${tenant}/oauth2/v2.0/authorize`,
          tokenUrl: `${authority}/${tenant}/oauth2/v2.0/token`,
          // Microsoft identity has no token revocation endpoint; disconnecting deletes our copy.
          revokeUrl: '',
          apiBaseUrl: read.url('MICROSOFT_GRAPH_BASE_URL', 'https://graph.microsoft.com'),
        };
      })(),
      moneybird: {
        clientId: read.string('MONEYBIRD_CLIENT_ID', ''),
        clientSecret: read.string('MONEYBIRD_CLIENT_SECRET', ''),
        redirectUri: read.url('MONEYBIRD_REDIRECT_URI', redirect('moneybird')),
        authorizeUrl: read.url('MONEYBIRD_AUTHORIZE_URL', 'https://moneybird.com/oauth/authorize'),
        tokenUrl: read.url('MONEYBIRD_TOKEN_URL', 'https://moneybird.com/oauth/token'),
        revokeUrl: read.url('MONEYBIRD_REVOKE_URL', 'https://moneybird.com/oauth/revoke'),
        apiBaseUrl: read.url('MONEYBIRD_API_BASE_URL', 'https://moneybird.com/api/v2'),
      },
      harvest: {
        clientId: read.string('HARVEST_CLIENT_ID', ''),
        clientSecret: read.string('HARVEST_CLIENT_SECRET', ''),
        redirectUri: read.url('HARVEST_REDIRECT_URI', redirect('harvest')),
        authorizeUrl: read.url(
          'HARVEST_AUTHORIZE_URL',
          'https://id.getharvest.com/oauth2/authorize',
        ),
        tokenUrl: read.url('HARVEST_TOKEN_URL', 'https://id.getharvest.com/api/v2/oauth2/token'),
        revokeUrl: read.url('HARVEST_REVOKE_URL', 'https://id.getharvest.com/api/v2/oauth2/token'),
        accountsUrl: read.url('HARVEST_ACCOUNTS_URL', 'https://id.getharvest.com/api/v2/accounts'),
        apiBaseUrl: read.url('HARVEST_API_BASE_URL', 'https://api.harvestapp.com/v2'),
        userAgent: read.string('HARVEST_USER_AGENT', 'danwel (no-reply@localhost)'),
      },
      xero: {
        clientId: read.string('XERO_CLIENT_ID', ''),
        clientSecret: read.string('XERO_CLIENT_SECRET', ''),
        redirectUri: read.url('XERO_REDIRECT_URI', redirect('xero')),
        authorizeUrl: read.url(
          'XERO_AUTHORIZE_URL',
          'https://login.xero.com/identity/connect/authorize',
        ),
        tokenUrl: read.url('XERO_TOKEN_URL', 'https://identity.xero.com/connect/token'),
        revokeUrl: read.url('XERO_REVOKE_URL', 'https://identity.xero.com/connect/revocation'),
        connectionsUrl: read.url('XERO_CONNECTIONS_URL', 'https://api.xero.com/connections'),
        apiBaseUrl: read.url('XERO_API_BASE_URL', 'https://api.xero.com/api.xro/2.0'),
        projectsBaseUrl: read.url(
          'XERO_PROJECTS_BASE_URL',
          'https://api.xero.com/projects.xro/2.0',
        ),
        webhookKey: read.string('XERO_WEBHOOK_KEY', ''),
      },
    },
  };

  // A sync lease is renewed just before a batch is sent; it must outlast the worst case that
  // follows (refresh, send, refresh after a 401, send again, plus a short budget wait), or a
  // second worker could take the account over while stale writes are still on their way.
  const sync = config.sync;
  if (sync.leaseSeconds * 1000 < 4 * sync.requestTimeoutMs + 2000) {
    read.problems.push(
      'SYNC_LEASE_SECONDS must be at least (4 x SYNC_REQUEST_TIMEOUT_MS + 2000 ms) in seconds',
    );
  }
  // The log transport puts every mail, invitation links included, into the log and the outbox
  // instead of sending it: fine on a laptop, a leak and a silent failure on a server.
  const mailLogInProduction = read.boolean('MAIL_LOG_IN_PRODUCTION', false);
  if (config.env === 'production' && config.mail.transport === 'log' && !mailLogInProduction) {
    read.problems.push(
      'MAIL_TRANSPORT=log writes mail (with its invitation links) to the log instead of sending it; ' +
        'with NODE_ENV=production set MAIL_TRANSPORT=smtp, or MAIL_LOG_IN_PRODUCTION=true to mean it',
    );
  }
  if (read.problems.length > 0) throw new ConfigError(read.problems);
  return config;
}
