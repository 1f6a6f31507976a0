import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { DatabaseConfig } from '../../src/config';
import { dataSourceOptions } from '../../src/database/data-source-options';

export type DatabaseKind = 'sqlite' | 'mysql';

/** Which database this Jest project runs against (set by test/support/use-*.ts). */
export function databaseKind(): DatabaseKind {
  const kind = process.env.TEST_DB;
  if (kind !== 'sqlite' && kind !== 'mysql') {
    throw new Error('TEST_DB is not set: run the e2e suite through `npm run test:jest`.');
  }
  return kind;
}

export interface TestDatabase {
  config: DatabaseConfig;
  drop(): Promise<void>;
}

/**
 * A fresh, empty database for one test file: a SQLite file, or a new schema on MariaDB (the
 * suite's, or the server at `serverUrl` when a spec runs its own).
 */
export async function createTestDatabase(
  kind: DatabaseKind = databaseKind(),
  serverUrl = process.env.TEST_MYSQL_URL,
): Promise<TestDatabase> {
  const name = `danwel_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const base: DatabaseConfig = {
    connection: kind,
    sqlitePath: join(tmpdir(), `${name}.sqlite`),
    host: '127.0.0.1',
    port: 3306,
    username: 'root',
    password: '',
    database: name,
    logging: false,
  };

  if (kind === 'sqlite') {
    return {
      config: base,
      drop: async () => {
        for (const suffix of ['', '-wal', '-shm'])
          rmSync(`${base.sqlitePath}${suffix}`, { force: true });
      },
    };
  }

  if (!serverUrl) {
    throw new Error(
      'TEST_MYSQL_URL is not set: the mysql Jest project starts MariaDB in its global setup; ' +
        'run `npm run test:jest`, and install MariaDB with `sudo apt-get install -y mariadb-server`.',
    );
  }
  const url = new URL(serverUrl);
  const config: DatabaseConfig = {
    ...base,
    host: url.hostname,
    port: Number(url.port || 3306),
    username: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  };
  const admin = await createConnection({
    host: config.host,
    port: config.port,
    user: config.username,
    password: config.password,
  });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.end();
  return {
    config,
    drop: async () => {
      const connection = await createConnection({
        host: config.host,
        port: config.port,
        user: config.username,
        password: config.password,
      });
      await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await connection.end();
    },
  };
}

/** A fresh database with every migration applied, plus an initialized DataSource on it. */
export async function createMigratedDataSource(
  kind: DatabaseKind = databaseKind(),
): Promise<{ dataSource: DataSource; database: TestDatabase; close(): Promise<void> }> {
  const database = await createTestDatabase(kind);
  const dataSource = new DataSource(dataSourceOptions(database.config));
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  return {
    dataSource,
    database,
    close: async () => {
      await dataSource.destroy();
      await database.drop();
    },
  };
}
