import { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { createTestDatabase, TestDatabase } from '../support/database';
import { builtEnv, freePort, startBuilt as start } from '../support/built-processes';

/*
 * The real entry points as separate processes (what `npm start` and `npm run worker` run):
 * they boot from the environment, serve, and stop cleanly on SIGTERM.
 */
const DIST = join(__dirname, '../../dist/src');

const environment = (database: TestDatabase, extra: Record<string, string>) =>
  builtEnv(database.config, { LOG_LEVEL: 'info', WORKER_POLL_INTERVAL_MS: '50', ...extra });

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, ms = 20_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const exitOf = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    // 'close', not 'exit': only then has everything the process printed been read.
    child.once('close', (code, signal) => resolve({ code, signal })),
  );

/**
 * After closing the app on SIGTERM, Nest re-raises the signal so the process ends "killed by
 * SIGTERM", as supervisors expect; a crash would instead exit with a non-zero code.
 */
const CLEAN_SIGTERM_EXIT = { code: null, signal: 'SIGTERM' };

describe('entry points', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    if (!existsSync(join(DIST, 'main.js'))) {
      throw new Error('dist/ is missing: run `npm run build` first (npm test does this).');
    }
    database = await createTestDatabase();
    const dataSource = new DataSource(dataSourceOptions(database.config));
    await dataSource.initialize();
    await dataSource.runMigrations();
    await dataSource.destroy();
  });
  afterAll(() => database.drop());

  it('refuses to start with a bad variable, naming it', async () => {
    const { child, output } = start('main.js', { ...environment(database, {}), APP_KEY: 'nope' });
    expect(await exitOf(child)).toEqual({ code: 1, signal: null });
    expect(output()).toMatch(/APP_KEY must start with "base64:"/);
  });

  it('refuses to start in production with mail written to the log, unless told to', async () => {
    const env = { ...environment(database, {}), MAIL_LOG_IN_PRODUCTION: undefined };
    const { child, output } = start('main.js', env);
    expect(await exitOf(child)).toEqual({ code: 1, signal: null });
    expect(output()).toMatch(/MAIL_TRANSPORT=log writes mail/);
  });

  it('serves the API with its in-process worker and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const { child, output } = start(
      'main.js',
      environment(database, { PORT: String(port), HOST: '127.0.0.1', WORKER_IN_PROCESS: 'true' }),
    );
    const exited = exitOf(child);
    await waitFor(async () => {
      try {
        return (await fetch(`http://127.0.0.1:${port}/health/ready`)).ok;
      } catch {
        return false;
      }
    }, 'the API to become ready');
    expect(output()).toMatch(/"msg":"worker started"/);
    // Structured request logs carry the request id.
    await waitFor(() => /"msg":"request completed"/.test(output()), 'the request log line');
    expect(output()).toMatch(
      /"req":\{"id":"[0-9a-f-]{36}","method":"GET","url":"\/health\/ready"\}/,
    );

    child.kill('SIGTERM');
    expect(await exited).toEqual(CLEAN_SIGTERM_EXIT);
    expect(output()).toMatch(/"msg":"worker stopped"/);
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
  });

  it('runs a standalone worker that stops cleanly on SIGTERM', async () => {
    const { child, output } = start('worker.js', environment(database, {}));
    const exited = exitOf(child);
    await waitFor(() => /worker started/.test(output()), 'the worker to start');
    child.kill('SIGTERM');
    expect(await exited).toEqual(CLEAN_SIGTERM_EXIT);
    expect(output()).toMatch(/"msg":"worker stopped"/);
  });
});
