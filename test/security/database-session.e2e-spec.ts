import { createConnection } from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { bootApp, TestApp } from '../support/app';
import { databaseKind } from '../support/database';

type AdminConnection = Awaited<ReturnType<typeof createConnection>>;

/** One query on `count` connections held at once (so the pool must open several). */
async function onConnections(dataSource: DataSource, sql: string, count = 4) {
  const runners = Array.from({ length: count }, () => dataSource.createQueryRunner());
  try {
    await Promise.all(runners.map((runner) => runner.connect()));
    return await Promise.all(
      runners.map(async (runner) => ((await runner.query(sql)) as Record<string, unknown>[])[0]),
    );
  } finally {
    await Promise.all(runners.map((runner) => runner.release()));
  }
}

function serverAdmin(): Promise<AdminConnection> {
  const url = new URL(process.env.TEST_MYSQL_URL!);
  return createConnection({
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  });
}

/*
 * Every pooled connection runs in UTC and in strict mode, whatever the server's defaults: a
 * loosely configured server (another time zone, no sql_mode) must not make danwel store shifted
 * times or silently truncated values. SQLite's counterpart is a connection that enforces
 * foreign keys.
 */
describe(`security: database sessions are UTC and strict (${databaseKind()})`, () => {
  let t: TestApp;
  let admin: AdminConnection | undefined;
  let saved: { zone: string; mode: string } | undefined;

  beforeAll(async () => {
    if (databaseKind() === 'mysql') {
      admin = await serverAdmin();
      const [rows] = await admin.query(
        'SELECT @@global.time_zone AS zone, @@global.sql_mode AS mode',
      );
      saved = (rows as { zone: string; mode: string }[])[0];
      // New connections to this server now default to +05:00 and no sql_mode at all.
      await admin.query("SET GLOBAL time_zone = '+05:00', GLOBAL sql_mode = ''");
    }
    t = await bootApp();
  });
  afterAll(async () => {
    await t?.close();
    if (admin && saved) {
      await admin.query('SET GLOBAL time_zone = ?, GLOBAL sql_mode = ?', [saved.zone, saved.mode]);
    }
    await admin?.end();
  });

  if (databaseKind() === 'mysql') {
    it('runs every pooled connection with time_zone +00:00 and a strict sql_mode', async () => {
      const settings = await onConnections(
        t.dataSource,
        'SELECT @@session.time_zone AS zone, @@session.sql_mode AS mode, CONNECTION_ID() AS id',
      );
      expect(new Set(settings.map((s) => s.id)).size).toBe(settings.length);
      for (const { zone, mode } of settings) {
        expect(zone).toBe('+00:00');
        expect(String(mode).split(',')).toEqual(
          expect.arrayContaining([
            'STRICT_ALL_TABLES',
            'NO_ZERO_DATE',
            'ERROR_FOR_DIVISION_BY_ZERO',
          ]),
        );
      }
    });

    it('refuses a value that does not fit instead of truncating it', async () => {
      await expect(
        t.dataSource.query('INSERT INTO users (name, email, password) VALUES (?, ?, ?)', [
          'x'.repeat(300),
          'long@example.com',
          'x',
        ]),
      ).rejects.toThrow(/too long/i);
      const [{ count }] = await t.dataSource.query(
        "SELECT COUNT(*) AS count FROM users WHERE email = 'long@example.com'",
      );
      expect(Number(count)).toBe(0);
    });

    it('reads NOW() in UTC', async () => {
      const [{ now }] = await t.dataSource.query(
        "SELECT DATE_FORMAT(NOW(), '%Y-%m-%dT%H:%i:%sZ') AS now",
      );
      expect(Math.abs(new Date(now as string).getTime() - Date.now())).toBeLessThan(120_000);
    });
  } else {
    it('refuses a row that points at nothing', async () => {
      const [{ foreign_keys }] = await t.dataSource.query('PRAGMA foreign_keys');
      expect(foreign_keys).toBe(1);
      await expect(
        t.dataSource.query(
          'INSERT INTO organization_user (organization_id, user_id, role) VALUES (999, 999, ?)',
          ['member'],
        ),
      ).rejects.toThrow(/FOREIGN KEY/);
    });
  }
});
