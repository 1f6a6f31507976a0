import { readFileSync } from 'node:fs';
import { createPool, Pool } from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { createTestDatabase, TestDatabase } from '../support/database';

/*
 * What every benchmark shares: a throwaway MariaDB schema migrated by danwel's own migrations, a
 * pool to seed it with multi-row INSERTs, the shape of the seeded blocks, and what a process
 * under test used (peak memory, CPU time).
 */

export interface BenchDatabase {
  database: TestDatabase;
  /** For seeding and counting; four connections. */
  pool: Pool;
  /** `mysql://…/<schema>` for processes that take a URL. */
  url: string;
  /** Closes the pool and drops the schema. */
  drop(): Promise<void>;
}

/** A fresh schema on the bench's MariaDB with every migration applied. */
export async function migratedBenchDatabase(): Promise<BenchDatabase> {
  const database = await createTestDatabase('mysql');
  const c = database.config;
  const migrator = new DataSource(dataSourceOptions(c));
  await migrator.initialize();
  await migrator.runMigrations({ transaction: 'each' });
  await migrator.destroy();
  const url = `mysql://${encodeURIComponent(c.username)}:${encodeURIComponent(c.password)}@${c.host}:${c.port}/${c.database}`;
  const pool = createPool({ uri: url, connectionLimit: 4, timezone: 'Z' });
  return {
    database,
    pool,
    url,
    drop: async () => {
      await pool.end();
      await database.drop();
    },
  };
}

/** Multi-row INSERTs of `rows`, as many rows a statement as keep it near 20,000 values. */
export async function insertRows(pool: Pool, table: string, columns: string[], rows: unknown[][]) {
  const batch = Math.max(1, Math.floor(20_000 / columns.length));
  for (let start = 0; start < rows.length; start += batch) {
    const chunk = rows.slice(start, start + batch);
    await pool.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ?`, [chunk]);
  }
}

/** Seeded blocks start on Mondays from here, four a weekday, 20 a week. */
export const FIRST_MONDAY = Date.UTC(2026, 0, 5);
export const WEEK_MS = 7 * 86_400_000;
export const BLOCKS_PER_WEEK = 20;

export const BLOCK_COLUMNS = [
  'organization_id',
  'user_id',
  'title',
  'start_time',
  'end_time',
  'timezone',
  'is_billable',
  'calendar_id',
  'calendar_sync_status',
  'invoicing_sync_status',
  'created_at',
  'updated_at',
];

/**
 * `count` blocks of one member (columns `BLOCK_COLUMNS`), 90 minutes each, four a weekday from
 * `FIRST_MONDAY`. With a `calendarId` they wait to be pushed there (`pending`), as blocks planned
 * on a connected calendar do; without one nothing syncs them.
 */
export function blockRows(
  organizationId: number,
  userId: number,
  zone: string,
  count: number,
  calendarId: number | null = null,
) {
  const rows: unknown[][] = [];
  const now = new Date();
  for (let i = 0; i < count; i++) {
    const week = Math.floor(i / BLOCKS_PER_WEEK);
    const day = Math.floor((i % BLOCKS_PER_WEEK) / 4);
    const slot = i % 4;
    const start = FIRST_MONDAY + week * WEEK_MS + day * 86_400_000 + (7 + slot * 2.5) * 3_600_000;
    rows.push([
      organizationId,
      userId,
      `Focus block ${i}`,
      new Date(start),
      new Date(start + 90 * 60_000),
      zone,
      i % 3 !== 0,
      calendarId,
      calendarId === null ? 'disabled' : 'pending',
      'disabled',
      now,
      now,
    ]);
  }
  return rows;
}

/** VmHWM: the process's peak resident set so far, in MB. */
export function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

/** user + system CPU time of a process so far, in ms (clock ticks of 10 ms). */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
