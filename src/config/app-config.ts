/** The typed configuration every module reads. Built once at boot by `loadConfig`. */
export type Environment = 'development' | 'production' | 'test';
export type DatabaseConnection = 'sqlite' | 'mysql';

export interface DatabaseConfig {
  connection: DatabaseConnection;
  /** SQLite file path (connection=sqlite). */
  sqlitePath: string;
  /** MySQL/MariaDB (connection=mysql). */
  host: string;
  port: number;
  username: string;
  password: string;
  database: string;
  logging: boolean;
  /**
   * MySQL/MariaDB: a statement unanswered after this long fails (and its connection is
   * dropped), so a database that hangs answers 503 rather than holding requests. 0 or absent:
   * no limit (migrations and seeding, which may run long).
   */
  queryTimeoutMs?: number;
}

export interface MailConfig {
  /** `log` writes each message to the log and to `outboxDir` (.eml) instead of sending it. */
  transport: 'log' | 'smtp';
  from: string;
  outboxDir: string;
  smtp: { host: string; port: number; secure: boolean; user: string; password: string };
}

export interface OAuthProviderConfig {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  authorizeUrl: string;
  tokenUrl: string;
  revokeUrl: string;
  apiBaseUrl: string;
}

export interface ProvidersConfig {
  google: OAuthProviderConfig;
  microsoft: OAuthProviderConfig & { tenant: string };
  moneybird: OAuthProviderConfig;
  harvest: OAuthProviderConfig & { accountsUrl: string; userAgent: string };
  xero: OAuthProviderConfig & {
    connectionsUrl: string;
    projectsBaseUrl: string;
    /** The signing key of the app's webhook (developer portal); empty: no webhook. */
    webhookKey: string;
  };
}

export interface WorkerConfig {
  /** Run the background worker inside the API process (the embedded default). */
  inProcess: boolean;
  pollIntervalMs: number;
  leaseSeconds: number;
  concurrency: number;
}

/** A provider's request budget per integration (per account), respected before it answers 429. */
export interface RateLimit {
  maxRequests: number;
  windowSeconds: number;
}

export interface SyncConfig {
  /** How long a worker holds an integration's sync lease before another may take it over. */
  leaseSeconds: number;
  /** Each provider request (or batch) is abandoned after this long and retried later. */
  requestTimeoutMs: number;
  /** Backoff of a failing block or integration: full jitter up to base·2^attempt, capped. */
  backoffBaseSeconds: number;
  backoffMaxSeconds: number;
  rateLimits: { google_calendar: RateLimit; office365: RateLimit };
  /** Read/both calendars are pulled this often (and at once on a push notification). */
  pullIntervalSeconds: number;
  /** A full read covers events from this many days ago to this many days ahead. */
  pullWindowPastDays: number;
  pullWindowFutureDays: number;
}

export interface AuthConfig {
  apiTokenTtlDays: number;
  invitationTtlDays: number;
  /** Login and register attempts allowed per minute per email address (and per IP+email). */
  throttlePerMinute: number;
  /**
   * The same per client IP alone: higher, since an office behind one NAT address signs in
   * together in the morning.
   */
  throttlePerIpPerMinute: number;
}

/**
 * Which peers may tell us the client's address (`X-Forwarded-For`), in the terms of Express's
 * `trust proxy`: none, a number of hops, or addresses and subnets (`loopback`, CIDR, …).
 */
export type TrustProxy = false | number | string[];

export interface MetricsConfig {
  /** Bearer token Prometheus sends to GET /metrics; empty turns the endpoint off (404). */
  token: string;
}

export interface AppConfig {
  env: Environment;
  port: number;
  host: string;
  appUrl: string;
  /** 32-byte AES-256-GCM key; `previousKeys` decrypt values written before a rotation. */
  appKey: Buffer;
  previousKeys: Buffer[];
  corsOrigins: string[];
  trustProxy: TrustProxy;
  bodyLimit: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  database: DatabaseConfig;
  mail: MailConfig;
  worker: WorkerConfig;
  sync: SyncConfig;
  auth: AuthConfig;
  providers: ProvidersConfig;
  metrics: MetricsConfig;
}

export const APP_CONFIG = Symbol('APP_CONFIG');
