import { NestExpressApplication } from '@nestjs/platform-express';
import type { Logger } from 'pino';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createHttpApp } from '../../src/bootstrap';
import { AppConfig, Env, loadConfig } from '../../src/config';
import { createLogger } from '../../src/common/logging/logger';
import { JobWorker } from '../../src/jobs/job-worker.service';
import { createTestDatabase, DatabaseKind, databaseKind, TestDatabase } from './database';

export const TEST_APP_KEY = `base64:${Buffer.alloc(32, 7).toString('base64')}`;

/** The configuration a test app boots with: the real loader, fed a test environment. */
export function testConfig(database: TestDatabase, env: Env = {}): AppConfig {
  const config = loadConfig({
    NODE_ENV: 'test',
    APP_KEY: TEST_APP_KEY,
    APP_URL: 'http://localhost:3000',
    CORS_ORIGINS: 'http://localhost:5173',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    WORKER_IN_PROCESS: 'false',
    MAIL_TRANSPORT: 'log',
    ...env,
  });
  return { ...config, database: database.config };
}

export interface TestApp {
  app: NestExpressApplication;
  config: AppConfig;
  dataSource: DataSource;
  database: TestDatabase;
  /** A supertest client on the app (no port is opened). */
  http: () => ReturnType<typeof request>;
  worker: JobWorker;
  /**
   * Stops the app and drops its database; `keepDatabase` leaves the database for another app
   * booted with `bootApp({ database: t.database })` (a process restart).
   */
  close(options?: { keepDatabase?: boolean }): Promise<void>;
}

/**
 * Boots the real AppModule on a fresh, migrated database of the project's kind (SQLite file or
 * MariaDB schema), with the same HTTP pipeline as production. One per test file. Pass the
 * `database` of an app closed with `keepDatabase` to boot a new app on the same data, as a
 * restarted process would.
 */
export async function bootApp(
  options: {
    env?: Env;
    kind?: DatabaseKind;
    migrate?: boolean;
    database?: TestDatabase;
    /** Where the app logs (default: the configured LOG_LEVEL to stdout). */
    logger?: Logger;
  } = {},
): Promise<TestApp> {
  const database = options.database ?? (await createTestDatabase(options.kind ?? databaseKind()));
  let config: AppConfig;
  try {
    config = testConfig(database, options.env);
  } catch (error) {
    // A configuration the loader refuses: leave no database behind.
    if (!options.database) await database.drop();
    throw error;
  }
  const app = await createHttpApp(config, options.logger ?? createLogger(config.logLevel));
  await app.init();
  const dataSource = app.get(DataSource);
  if (options.migrate !== false) await dataSource.runMigrations({ transaction: 'each' });
  const server = app.getHttpServer();
  return {
    app,
    config,
    dataSource,
    database,
    http: () => request(server),
    worker: app.get(JobWorker),
    close: async ({ keepDatabase = false } = {}) => {
      await app.close();
      if (!keepDatabase) await database.drop();
    },
  };
}
