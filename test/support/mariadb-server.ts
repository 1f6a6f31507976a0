import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';

/*
 * A throwaway MariaDB server for the MySQL half of the e2e suite: a fresh data directory in
 * /tmp, loopback only, tuned for speed over durability, removed at the end of the run.
 * Set TEST_MYSQL_URL=mysql://user:pass@host:port/ to use an existing MySQL or MariaDB instead.
 */

const INSTALL_HINT =
  'The MySQL e2e tests need a MariaDB server binary. Install it with ' +
  '`sudo apt-get install -y mariadb-server` (scripts/test.sh does this for you), ' +
  'or point TEST_MYSQL_URL at an existing server, e.g. mysql://root:secret@127.0.0.1:3306/';

function findBinary(names: string[]): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin', '/usr/bin'];
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = join(dir, name);
      if (dir && existsSync(candidate)) return candidate;
    }
  }
  return undefined;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function waitUntilReady(url: string, server: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`mariadbd exited early:\n${log()}`);
    try {
      const connection = await createConnection(url);
      await connection.end();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  throw new Error(`mariadbd did not accept connections within 60 s:\n${log()}`);
}

export interface RunningMariaDb {
  url: string;
  /** Stops the server and removes its data. */
  stop(): Promise<void>;
  /** Shuts the server down, keeping its data and port, as an outage would. */
  halt(): Promise<void>;
  /** Starts the halted server again on the same data and port; resolves once it accepts logins. */
  resume(): Promise<void>;
  /**
   * Stops the server process (SIGSTOP) without closing anything: connections stay open and new
   * ones are accepted by the kernel, but nothing is answered, as a hung database behaves.
   */
  freeze(): void;
  /** Lets a frozen server run on (SIGCONT). */
  thaw(): void;
}

export async function startMariaDb(): Promise<RunningMariaDb> {
  const daemon = findBinary(['mariadbd', 'mysqld']);
  const installDb = findBinary(['mariadb-install-db', 'mysql_install_db']);
  if (!daemon || !installDb) throw new Error(INSTALL_HINT);

  const dir = mkdtempSync(join(tmpdir(), 'danwel-mariadb-'));
  const dataDir = join(dir, 'data');
  const asRoot = process.getuid?.() === 0 ? ['--user=root'] : [];
  execFileSync(
    installDb,
    [
      '--no-defaults',
      `--datadir=${dataDir}`,
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
      ...asRoot,
    ],
    { stdio: 'pipe' },
  );

  const port = await freePort();
  const url = `mysql://root@127.0.0.1:${port}/`;
  let output = '';
  let server: ChildProcess;
  const launch = async () => {
    server = spawn(
      daemon,
      [
        '--no-defaults',
        `--datadir=${dataDir}`,
        `--socket=${join(dir, 'mysqld.sock')}`,
        `--pid-file=${join(dir, 'mysqld.pid')}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        '--skip-name-resolve',
        '--skip-log-bin',
        '--innodb-flush-log-at-trx-commit=0',
        '--innodb-buffer-pool-size=256M',
        '--innodb-doublewrite=0',
        '--max-connections=1000',
        '--character-set-server=utf8mb4',
        '--collation-server=utf8mb4_unicode_ci',
        ...asRoot,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    server.stdout?.on('data', (chunk) => (output += chunk));
    server.stderr?.on('data', (chunk) => (output += chunk));
    await waitUntilReady(url, server, () => output);
  };
  const halt = async () => {
    if (server.exitCode !== null || server.signalCode !== null) return;
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGCONT'); // a frozen server would not act on SIGTERM
    server.kill('SIGTERM');
    await exited;
  };
  await launch();

  return {
    url,
    halt,
    resume: launch,
    freeze: () => server.kill('SIGSTOP'),
    thaw: () => server.kill('SIGCONT'),
    stop: async () => {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
