import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseConfig } from '../../src/config';
import { TEST_APP_KEY } from './app';
import { freePort } from './mariadb-server';

/*
 * The built entry points (`npm start`, `npm run worker`, `npm run cli`) as child processes of a
 * spec, for tests that need real processes: several workers, a server under load, a database
 * going away, a command as an operator runs it.
 */

const DIST = join(__dirname, '../../dist/src');

export { freePort };

/** The environment a built process boots from, on `database`, plus `extra`. */
export function builtEnv(
  database: DatabaseConfig,
  extra: Record<string, string | undefined> = {},
): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    APP_KEY: TEST_APP_KEY,
    LOG_LEVEL: 'error',
    MAIL_TRANSPORT: 'log',
    MAIL_LOG_IN_PRODUCTION: 'true',
    WORKER_IN_PROCESS: 'false',
    DB_CONNECTION: database.connection,
    DB_DATABASE_PATH: database.sqlitePath,
    DB_HOST: database.host,
    DB_PORT: String(database.port),
    DB_USERNAME: database.username,
    DB_PASSWORD: database.password,
    DB_DATABASE: database.database,
    ...extra,
  };
}

export interface BuiltProcess {
  child: ChildProcess;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
  /** What it printed on each stream alone. */
  stdout(): string;
  stderr(): string;
  /** Its exit code once it has exited ('close': everything it printed has been read). */
  exited: Promise<number | null>;
  /** SIGTERM, resolved once it has exited. */
  stop(): Promise<void>;
}

export function startBuilt(
  script: 'main.js' | 'worker.js' | 'cli.js',
  env: NodeJS.ProcessEnv,
  nodeArgs: string[] = [],
  args: string[] = [],
): BuiltProcess {
  if (!existsSync(join(DIST, script))) {
    throw new Error('dist/ is missing: run `npm run build` first (npm test does this).');
  }
  let output = '';
  const streams = { stdout: '', stderr: '' };
  const child = spawn(process.execPath, [...nodeArgs, join(DIST, script), ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const name of ['stdout', 'stderr'] as const) {
    child[name]!.on('data', (chunk) => {
      output += chunk;
      streams[name] += chunk;
    });
  }
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  return {
    child,
    output: () => output,
    stdout: () => streams.stdout,
    stderr: () => streams.stderr,
    exited,
    stop: () => stopProcess(child),
  };
}

/** The built API listening on a free loopback port, once `/health/ready` answers 200. */
export async function startBuiltApi(
  database: DatabaseConfig,
  extra: Record<string, string | undefined> = {},
  nodeArgs: string[] = [],
): Promise<BuiltProcess & { url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const api = startBuilt(
    'main.js',
    builtEnv(database, { APP_URL: url, HOST: '127.0.0.1', PORT: String(port), ...extra }),
    nodeArgs,
  );
  try {
    await waitForHttp(`${url}/health/ready`, () => api.child.exitCode === null);
  } catch (error) {
    await api.stop();
    throw new Error(`${String(error)}\n${api.output()}`);
  }
  return { ...api, url };
}

/** Resolves once `url` answers 2xx; gives up after 60 s or when `alive` says the server died. */
export async function waitForHttp(url: string, alive: () => boolean = () => true): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && alive()) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} did not answer 2xx`);
}

export function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
