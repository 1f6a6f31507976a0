import { Agent, request } from 'node:http';
import { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { createConnection } from 'mysql2/promise';
import { Factory } from '../factories';
import { bootApp, TestApp } from '../support/app';
import { actingAs } from '../support/actors';
import { DatabaseKind } from '../support/database';

/*
 * GET /api/v1/organizations/:id/members (token check, membership guard, keyset page of 25
 * members) against the bare driver running the equivalent SQL — the same token lookup,
 * membership lookup and page query — on the same database, in the same run. Figures are ratios,
 * because absolute timings on shared machines are noise.
 */
const ROUNDS = 400;
const WARMUP = 50;

async function timeEach(rounds: number, operation: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < WARMUP; i++) await operation();
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = process.hrtime.bigint();
    await operation();
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return samples.sort((a, b) => a - b);
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

function httpGet(port: number, path: string, token: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, agent, headers: { Authorization: `Bearer ${token}` } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const BASELINE_SQL = {
  token:
    'SELECT u.id, u.email, u.name FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ? AND t.expires_at > ?',
  membership:
    'SELECT m.role FROM organization_user m JOIN organizations o ON o.id = m.organization_id WHERE m.organization_id = ? AND m.user_id = ? AND o.deleted_at IS NULL',
  page: 'SELECT m.id, m.user_id, m.role, m.invited_at, m.joined_at, u.name, u.email FROM organization_user m JOIN users u ON u.id = m.user_id WHERE m.organization_id = ? ORDER BY m.id LIMIT 26',
};

async function measure(kind: DatabaseKind): Promise<string> {
  const t: TestApp = await bootApp({ kind, env: { LOG_LEVEL: 'silent' } });
  try {
    const factory = new Factory(t.dataSource);
    const owner = await factory.user();
    const organization = await factory.organization({ owner });
    for (let i = 0; i < 60; i++) await factory.member(organization, await factory.user(), 'member');
    const actor = await actingAs(t, owner);
    const [{ token_hash: tokenHash }] = await t.dataSource.query(
      'SELECT token_hash FROM api_tokens LIMIT 1',
    );

    const server = t.app.getHttpServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const port = (server.address() as AddressInfo).port;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const path = `/api/v1/organizations/${organization.id}/members`;
    expect(await httpGet(port, path, actor.token, agent)).toBe(200);

    let baseline: () => Promise<unknown>;
    let closeBaseline: () => Promise<void>;
    if (kind === 'sqlite') {
      const db = new Database(t.database.config.sqlitePath, { readonly: true });
      const statements = Object.values(BASELINE_SQL).map((sql) => db.prepare(sql));
      baseline = async () => {
        statements[0].get(tokenHash, new Date().toISOString());
        statements[1].get(organization.id, owner.id);
        statements[2].all(organization.id);
      };
      closeBaseline = async () => void db.close();
    } else {
      const c = t.database.config;
      const connection = await createConnection({
        host: c.host,
        port: c.port,
        user: c.username,
        password: c.password,
        database: c.database,
      });
      baseline = async () => {
        await connection.execute(BASELINE_SQL.token, [tokenHash, new Date()]);
        await connection.execute(BASELINE_SQL.membership, [organization.id, owner.id]);
        await connection.execute(BASELINE_SQL.page, [organization.id]);
      };
      closeBaseline = () => connection.end();
    }

    const bare = await timeEach(ROUNDS, baseline);
    const api = await timeEach(ROUNDS, () => httpGet(port, path, actor.token, agent));
    agent.destroy();
    await closeBaseline();
    await new Promise((resolve) => server.close(resolve));

    const ratio = (p: number) => (percentile(api, p) / percentile(bare, p)).toFixed(1);
    return `${kind.padEnd(7)} members list over HTTP vs bare driver queries: median ${ratio(0.5)}x, p95 ${ratio(0.95)}x  (${ROUNDS} sequential requests; bare median ${percentile(bare, 0.5).toFixed(3)} ms)`;
  } finally {
    await t.close();
  }
}

describe('benchmark: members list', () => {
  it.each(['sqlite', 'mysql'] as const)('%s', async (kind) => {
    const line = await measure(kind);
    process.stdout.write(`\n${line}\n`);
  });
});
