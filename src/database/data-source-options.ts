import * as mysql2 from 'mysql2';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataSourceOptions } from 'typeorm';
import { DatabaseConfig } from '../config';
import { migrations } from '../../migrations';
import { AuthFactsSubscriber } from '../auth/verified-tokens';
import { entities } from './entities';

/**
 * Session settings of every MySQL/MariaDB connection, whatever the server's defaults: UTC, so
 * NOW() and TIMESTAMP columns agree with the UTC we write; strict, so a bad value is an error
 * rather than a silently truncated or zeroed one.
 */
export const MYSQL_SESSION_SQL =
  "SET time_zone = '+00:00', sql_mode = " +
  "'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'";

/**
 * mysql2 as TypeORM loads it, except that each new pooled connection runs the session settings
 * first (queued before anything else on that connection, so no query can run without them), and
 * that a connection whose statement passed `queryTimeoutMs` is dropped: mysql2 fails the statement
 * but leaves the connection waiting for its answer, and a later query handed that connection
 * would queue behind it with no timer of its own.
 */
function mysqlDriver(queryTimeoutMs: number | undefined): typeof mysql2 {
  return Object.create(mysql2, {
    createPool: {
      value: (options: mysql2.PoolOptions) => {
        const pool = mysql2.createPool(options);
        pool.on('connection', (connection) => {
          dropWhenTimedOut(connection);
          // A connection without its settings must not be used: dropping it fails the query.
          connection.query(
            { sql: MYSQL_SESSION_SQL, timeout: queryTimeoutMs || undefined },
            (error) => {
              if (error) connection.destroy();
            },
          );
        });
        return pool;
      },
    },
  }) as typeof mysql2;
}

function dropWhenTimedOut(connection: mysql2.PoolConnection): void {
  const query = connection.query;
  connection.query = function (this: mysql2.PoolConnection, ...args: unknown[]) {
    const last = args.length - 1;
    const callback = args[last];
    if (typeof callback === 'function') {
      args[last] = (error: { code?: string } | null, ...rest: unknown[]) => {
        if (error?.code === 'PROTOCOL_SEQUENCE_TIMEOUT') connection.destroy();
        return (callback as (...values: unknown[]) => unknown)(error, ...rest);
      };
    }
    return (query as (...values: unknown[]) => unknown).apply(this, args);
  } as typeof connection.query;
}

/** One place that turns the database config into TypeORM options, for the app, CLI and tests. */
export function dataSourceOptions(config: DatabaseConfig): DataSourceOptions {
  const common = {
    entities,
    subscribers: [AuthFactsSubscriber] as (typeof AuthFactsSubscriber)[],
    migrations,
    migrationsTableName: 'migrations',
    synchronize: false,
    logging: config.logging,
  } as const;

  if (config.connection === 'sqlite') {
    if (config.sqlitePath !== ':memory:')
      mkdirSync(dirname(config.sqlitePath), { recursive: true });
    return {
      ...common,
      type: 'better-sqlite3',
      database: config.sqlitePath,
      // WAL lets the in-process worker read while a request writes; foreign keys are off by default.
      prepareDatabase: (db: { pragma(sql: string): unknown }) => {
        db.pragma('journal_mode = WAL');
        db.pragma('foreign_keys = ON');
        db.pragma('busy_timeout = 5000');
      },
    };
  }

  return {
    ...common,
    type: 'mysql',
    driver: mysqlDriver(config.queryTimeoutMs),
    host: config.host,
    port: config.port,
    username: config.username,
    password: config.password,
    database: config.database,
    charset: 'utf8mb4_unicode_ci',
    // Every DATETIME/TIMESTAMP is UTC on the wire and in the column.
    timezone: 'Z',
    // An unreachable server fails a request within seconds (answered 503), not mysql2's 10 s.
    connectTimeout: 3_000,
    // A server that accepted the connection and stopped answering: mysql2's per-query timeout
    // fails the statement (PROTOCOL_SEQUENCE_TIMEOUT, answered 503) and `mysqlDriver` drops the
    // connection.
    ...(config.queryTimeoutMs
      ? { enableQueryTimeout: true, maxQueryExecutionTime: config.queryTimeoutMs }
      : {}),
    extra: { connectionLimit: 10, enableKeepAlive: true },
  };
}
