import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { migrations } from '../../migrations';
import { createTestDatabase, databaseKind, TestDatabase } from '../support/database';
import { CatalogueTable, describeTable, listIndexes, listTables } from './catalogue';

/*
 * Every migration runs up, every one runs down again (one `undoLastMigration` at a time, newest
 * first), and then up once more — on SQLite and on MariaDB — leaving the same schema both times.
 */

const SEED_TABLES = [
  'users',
  'organizations',
  'organization_user',
  'invitations',
  'integrations',
  'calendars',
  'clients',
  'projects',
  'time_blocks',
  'audit_logs',
];
/** TypeORM's own bookkeeping table (migrationsTableName), which down never drops. */
const BOOKKEEPING = ['migrations'];

async function executedMigrations(dataSource: DataSource): Promise<string[]> {
  const rows: { name: string }[] = await dataSource.query(
    'SELECT name FROM migrations ORDER BY timestamp',
  );
  return rows.map((row) => row.name);
}

/** Everything the catalogue says about every table, to compare one migrated schema with another. */
async function snapshot(dataSource: DataSource): Promise<Record<string, CatalogueTable>> {
  const tables: Record<string, CatalogueTable> = {};
  for (const table of await listTables(dataSource)) {
    if (!BOOKKEEPING.includes(table)) tables[table] = await describeTable(dataSource, table);
  }
  return tables;
}

/** Foreign keys pointing at a table that no longer exists (SQLite lets a drop leave these). */
async function danglingForeignKeys(dataSource: DataSource): Promise<string[]> {
  const tables = await listTables(dataSource);
  const dangling: string[] = [];
  for (const table of tables) {
    for (const fk of (await describeTable(dataSource, table)).foreignKeys) {
      if (!tables.includes(fk.referencedTable))
        dangling.push(`${table}.${fk.column} → ${fk.referencedTable}`);
    }
  }
  return dangling;
}

describe(`migrations (${databaseKind()})`, () => {
  let database: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = new DataSource(dataSourceOptions(database.config));
    await dataSource.initialize();
  });

  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  it('are named <Description><timestamp>, one per seed table, 1000 ms apart from 1704067200000', () => {
    const seedMigrations = migrations
      .slice(0, SEED_TABLES.length)
      .map((migration) => migration.name);
    expect(seedMigrations).toEqual([
      'CreateUsersTable1704067200000',
      'CreateOrganizationsTable1704067201000',
      'CreateOrganizationUserTable1704067202000',
      'CreateInvitationsTable1704067203000',
      'CreateIntegrationsTable1704067204000',
      'CreateCalendarsTable1704067205000',
      'CreateClientsTable1704067206000',
      'CreateProjectsTable1704067207000',
      'CreateTimeBlocksTable1704067208000',
      'CreateAuditLogsTable1704067209000',
    ]);
  });

  it('run up, fully down one at a time, and up again to the same schema', async () => {
    // Up: every migration, and every seed table exists.
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    expect(applied.map((migration) => migration.name)).toEqual(migrations.map((m) => m.name));
    expect(await listTables(dataSource)).toEqual(expect.arrayContaining(SEED_TABLES));
    const firstSchema = await snapshot(dataSource);

    // Down, newest first: each undo removes exactly one migration and leaves no foreign key
    // pointing at a dropped table.
    for (let remaining = migrations.length; remaining > 0; remaining--) {
      expect(await executedMigrations(dataSource)).toHaveLength(remaining);
      await dataSource.undoLastMigration({ transaction: 'each' });
      const executed = await executedMigrations(dataSource);
      expect(executed).toEqual(migrations.slice(0, remaining - 1).map((m) => m.name));
      expect(await danglingForeignKeys(dataSource)).toEqual([]);
      if (executed.length === 1) {
        // Only users is left: organizations' down took both cross foreign keys with it.
        expect((await describeTable(dataSource, 'users')).foreignKeys).toEqual([]);
      }
    }

    // Nothing of danwel is left: only the bookkeeping table, and (SQLite) no stray index.
    expect(await listTables(dataSource)).toEqual(BOOKKEEPING);
    expect(await listIndexes(dataSource)).toEqual([]);
    expect(await dataSource.showMigrations()).toBe(true);

    // Up again: the same schema as the first time.
    await dataSource.runMigrations({ transaction: 'each' });
    expect(await executedMigrations(dataSource)).toEqual(migrations.map((m) => m.name));
    expect(await snapshot(dataSource)).toEqual(firstSchema);
    expect(await dataSource.showMigrations()).toBe(false);
  });
});
