import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataSourceOptions } from 'typeorm';
import { DatabaseConfig } from '../config';
import { migrations } from '../../migrations';
import { entities } from './entities';

/** One place that turns the database config into TypeORM options, for the app, CLI and tests. */
export function dataSourceOptions(config: DatabaseConfig): DataSourceOptions {
  const common = {
    entities,
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
    host: config.host,
    port: config.port,
    username: config.username,
    password: config.password,
    database: config.database,
    charset: 'utf8mb4_unicode_ci',
    // Every DATETIME/TIMESTAMP is UTC on the wire and in the column.
    timezone: 'Z',
    extra: { connectionLimit: 10 },
  };
}
