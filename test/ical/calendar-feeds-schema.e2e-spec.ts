import { DataSource } from 'typeorm';
import { createMigratedDataSource, databaseKind } from '../support/database';
import { describeTable } from '../database/catalogue';

/*
 * The calendar_feeds table as the database's own catalogue reports it, on SQLite and MariaDB:
 * the naming rules of migrations/support/schema.ts, every foreign key indexed and cascading.
 */

describe(`calendar_feeds schema (${databaseKind()})`, () => {
  let dataSource: DataSource;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ dataSource, close } = await createMigratedDataSource());
  });
  afterAll(() => close?.());

  it('has the columns, unique indexes and cascading foreign keys of the design', async () => {
    const table = await describeTable(dataSource, 'calendar_feeds');
    expect(table.columns.map(({ name, nullable }) => ({ name, nullable }))).toEqual([
      { name: 'id', nullable: false },
      { name: 'organization_id', nullable: false },
      { name: 'user_id', nullable: false },
      { name: 'token_hash', nullable: false },
      { name: 'last_accessed_at', nullable: true },
      { name: 'created_at', nullable: true },
      { name: 'updated_at', nullable: true },
    ]);
    expect(table.columns.find((column) => column.name === 'token_hash')!.type).toMatch(
      /^varchar\(64\)$/i,
    );
    expect(table.columns.find((column) => column.name === 'id')).toMatchObject({
      primaryKey: true,
      autoIncrement: true,
    });

    expect([...table.indexes].sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: 'idx_calendar_feeds_user_id', columns: ['user_id'], unique: false },
      {
        name: 'uq_calendar_feeds_org_user',
        columns: ['organization_id', 'user_id'],
        unique: true,
      },
      { name: 'uq_calendar_feeds_token_hash', columns: ['token_hash'], unique: true },
    ]);

    expect(
      table.foreignKeys
        .map(({ name, column, referencedTable, referencedColumn, onDelete }) => ({
          name,
          column,
          referencedTable,
          referencedColumn,
          onDelete,
        }))
        .sort((a, b) => a.column.localeCompare(b.column)),
    ).toEqual([
      {
        name: 'fk_calendar_feeds_organization_id',
        column: 'organization_id',
        referencedTable: 'organizations',
        referencedColumn: 'id',
        onDelete: 'CASCADE',
      },
      {
        name: 'fk_calendar_feeds_user_id',
        column: 'user_id',
        referencedTable: 'users',
        referencedColumn: 'id',
        onDelete: 'CASCADE',
      },
    ]);
  });
});
