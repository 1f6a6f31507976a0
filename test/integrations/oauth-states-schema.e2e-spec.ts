import { DataSource } from 'typeorm';
import { describeTable } from '../database/catalogue';
import { createMigratedDataSource, databaseKind } from '../support/database';

/*
 * The oauth_states table as the database's own catalogue reports it, on SQLite and MariaDB:
 * unique digests of the state and of a parked grant's reference, a required expiry, and
 * cascading, indexed foreign keys.
 */

describe(`oauth_states schema (${databaseKind()})`, () => {
  let dataSource: DataSource;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ dataSource, close } = await createMigratedDataSource());
  });
  afterAll(() => close?.());

  it('has the columns, indexes and cascading foreign keys of the design', async () => {
    const table = await describeTable(dataSource, 'oauth_states');
    expect(table.columns.map(({ name, nullable }) => ({ name, nullable }))).toEqual([
      { name: 'id', nullable: false },
      { name: 'state_hash', nullable: false },
      { name: 'user_id', nullable: false },
      { name: 'organization_id', nullable: false },
      { name: 'provider', nullable: false },
      { name: 'code_verifier', nullable: true },
      { name: 'expires_at', nullable: false },
      { name: 'used_at', nullable: true },
      { name: 'created_at', nullable: true },
      // AddParkedGrantToOauthStates1704067260000
      { name: 'parked_grant', nullable: true },
      { name: 'grant_reference_hash', nullable: true },
    ]);
    for (const digest of ['state_hash', 'grant_reference_hash']) {
      expect(table.columns.find((column) => column.name === digest)!.type).toMatch(
        /^varchar\(64\)$/i,
      );
    }

    expect([...table.indexes].sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: 'idx_oauth_states_organization_id', columns: ['organization_id'], unique: false },
      { name: 'idx_oauth_states_user_id', columns: ['user_id'], unique: false },
      {
        name: 'uq_oauth_states_grant_reference_hash',
        columns: ['grant_reference_hash'],
        unique: true,
      },
      { name: 'uq_oauth_states_state_hash', columns: ['state_hash'], unique: true },
    ]);

    expect(
      table.foreignKeys
        .map(({ name, column, referencedTable, onDelete }) => ({
          name,
          column,
          referencedTable,
          onDelete,
        }))
        .sort((a, b) => a.column.localeCompare(b.column)),
    ).toEqual([
      {
        name: 'fk_oauth_states_organization_id',
        column: 'organization_id',
        referencedTable: 'organizations',
        onDelete: 'CASCADE',
      },
      {
        name: 'fk_oauth_states_user_id',
        column: 'user_id',
        referencedTable: 'users',
        onDelete: 'CASCADE',
      },
    ]);
  });
});
