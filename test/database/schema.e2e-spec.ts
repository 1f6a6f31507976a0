import { DataSource } from 'typeorm';
import { createMigratedDataSource, databaseKind } from '../support/database';
import { CatalogueTable, describeTable, listIndexes, listTables } from './catalogue';

/*
 * The migrated schema, read back from the database's catalogue, against the base schema danwel
 * started from (docs/architecture.md, "The base schema"). BASE_SCHEMA below is its CREATE TABLE
 * statements line by line, independently of the migrations; the naming rules of
 * migrations/support/schema.ts are applied on top of it by `expectedIndexes`/`expectedForeignKeys`:
 *
 * - column-level UNIQUE → a unique index `uq_<table>_<column>`;
 * - a base-schema index name used by more than one table (idx_org_external) → `idx_<table>_<rest>`,
 *   because SQLite index names are global; the same name on MySQL so both schemas are one;
 * - a foreign-key column that leads no base-schema index → an extra index `idx_<table>_<column>`;
 * - every foreign key is named `fk_<table>_<column>`.
 */

const BASE_SCHEMA: Record<string, { columns: string[]; indexes: string[]; foreignKeys: string[] }> =
  {
    users: {
      columns: [
        'id BIGINT UNSIGNED PRIMARY KEY AUTO_INCREMENT',
        'name VARCHAR(255) NOT NULL',
        'email VARCHAR(255) NOT NULL UNIQUE',
        'email_verified_at TIMESTAMP NULL',
        'password VARCHAR(255) NOT NULL',
        "timezone VARCHAR(64) DEFAULT 'UTC'",
        `work_days JSON DEFAULT '["mon","tue","wed","thu","fri"]'`,
        "work_hours_start TIME DEFAULT '08:00:00'",
        "work_hours_end TIME DEFAULT '18:00:00'",
        'preferences JSON NULL',
        'current_organization_id BIGINT UNSIGNED NULL',
        'remember_token VARCHAR(100) NULL',
        'created_at TIMESTAMP NULL',
        'updated_at TIMESTAMP NULL',
      ],
      indexes: ['INDEX idx_email (email)'],
      foreignKeys: [
        'FOREIGN KEY (current_organization_id) REFERENCES organizations(id) ON DELETE SET NULL',
      ],
    },
    organizations: {
      columns: [
        'id BIGINT UNSIGNED PRIMARY KEY AUTO_INCREMENT',
        'name VARCHAR(255) NOT NULL',
        'slug VARCHAR(255) NOT NULL UNIQUE',
        'owner_id BIGINT UNSIGNED NULL',
        'settings JSON NULL',
        "timezone VARCHAR(64) DEFAULT 'UTC'",
        'billing_email VARCHAR(255) NULL',
        "subscription_status ENUM('trial', 'active', 'canceled', 'past_due') DEFAULT 'trial'",
        'trial_ends_at TIMESTAMP NULL',
        'created_at TIMESTAMP NULL',
        'updated_at TIMESTAMP NULL',
        'deleted_at TIMESTAMP NULL',
      ],
      indexes: ['INDEX idx_slug (slug)', 'INDEX idx_owner (owner_id)'],
      // The base schema's "ALTER TABLE organizations ADD FOREIGN KEY …" after users.
      foreignKeys: ['FOREIGN KEY (owner_id) REFERENCES users(id) ON DELETE SET NULL'],
    },
    organization_user: {
      columns: [
        'id BIGINT UNSIGNED PRIMARY KEY AUTO_INCREMENT',
        'organization_id BIGINT UNSIGNED NOT NULL',
        'user_id BIGINT UNSIGNED NOT NULL',
        "role ENUM('owner', 'admin', 'member', 'viewer') NOT NULL DEFAULT 'member'",
        'invited_at TIMESTAMP NULL',
        'joined_at TIMESTAMP NULL',
        'created_at TIMESTAMP NULL',
        'updated_at TIMESTAMP NULL',
      ],
      indexes: [
        'UNIQUE INDEX idx_org_user (organization_id, user_id)',
        'INDEX idx_user_orgs (user_id)',
      ],
      foreignKeys: [
        'FOREIGN KEY (organization_id) REFERENCES organizations(id) ON DELETE CASCADE',
        'FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE',
      ],
    },
    invitations: {
      columns: [
        'id BIGINT UNSIGNED PRIMARY KEY AUTO_INCREMENT',
        'organization_id BIGINT UNSIGNED NOT NULL',
        'email VARCHAR(255) NOT NULL',
        "role ENUM('admin', 'member', 'viewer') NOT NULL DEFAULT 'member'",
        'token VARCHAR(64) NOT NULL UNIQUE',
        'invited_by BIGINT UNSIGNED NOT NULL',
        'expires_at TIMESTAMP NOT NULL',
        'accepted_at TIMESTAMP NULL',
        'created_at TIMESTAMP NULL',
        'updated_at TIMESTAMP NULL',
      ],
      indexes: ['INDEX idx_token (token)', 'INDEX idx_org_email (organization_id, email)'],
      foreignKeys: [
        'FOREIGN KEY (organization_id) REFERENCES organizations(id) ON DELETE CASCADE',
        'FOREIGN KEY (invited_by) REFERENCES users(id) ON DELETE CASCADE',
      ],
    },
    integrations: {
      columns: [
        'id BIGINT UNSIGNED PRIMARY KEY AUTO_INCREMENT',
        'organization_id BIGINT UNSIGNED NOT NULL',
        'connected_by BIGINT UNSIGNED NOT NULL',
        'provider VARCHAR(50) NOT NULL',
        "provider_type ENUM('calendar', 'invoicing') NOT NULL",
        'name VARCHAR(255) NULL',
        'access_token TEXT NOT NULL',
        'refresh_token TEXT NULL',
        'token_metadata TEXT NULL',
        'expires_at TIMESTAMP NULL',
        'provider_account_id VARCHAR(255) NULL',
        'provider_account_email VARCHAR(255) NULL',
        'is_active BOOLEAN DEFAULT TRUE',
        'last_sync_at TIMESTAMP NULL',
        'last_error TEXT NULL',
        'error_count INT DEFAULT 0',
        'created_at TIMESTAMP NULL',
        'updated_at TIMESTAMP NULL',
      ],
      indexes: [
        'INDEX idx_org_provider (organization_id, provider)',
        'INDEX idx_provider_type (organization_id, provider_type)',
        'INDEX idx_expires (expires_at)',
      ],
      foreignKeys: [
        'FOREIGN KEY (organization_id) REFERENCES organizations(id) ON DELETE CASCADE',
        'FOREIGN KEY (connected_by) REFERENCES users(id) ON DELETE CASCADE',
      ],
    },
    calendars: {
      columns: [
        'id BIGINT UNSIGNED PRIMARY KEY AUTO_INCREMENT',
        'organization_id BIGINT UNSIGNED NOT NULL',
        'integration_id BIGINT UNSIGNED NOT NULL',
        'external_id VARCHAR(255) NOT NULL',
        'name VARCHAR(255) NOT NULL',
        'color VARCHAR(20) NULL',
        'is_primary BOOLEAN DEFAULT FALSE',
        'is_enabled BOOLEAN DEFAULT TRUE',
        "sync_direction ENUM('read', 'write', 'both') DEFAULT 'both'",
        'created_at TIMESTAMP NULL',
        'updated_at TIMESTAMP NULL',
      ],
      indexes: [
        'UNIQUE INDEX idx_integration_external (integration_id, external_id)',
        'INDEX idx_org_enabled (organization_id, is_enabled)',
      ],
      foreignKeys: [
        'FOREIGN KEY (organization_id) REFERENCES organizations(id) ON DELETE CASCADE',
        'FOREIGN KEY (integration_id) REFERENCES integrations(id) ON DELETE CASCADE',
      ],
    },
    clients: {
      columns: [
        'id BIGINT UNSIGNED PRIMARY KEY AUTO_INCREMENT',
        'organization_id BIGINT UNSIGNED NOT NULL',
        'integration_id BIGINT UNSIGNED NULL',
        'external_id VARCHAR(255) NULL',
        'name VARCHAR(255) NOT NULL',
        'email VARCHAR(255) NULL',
        'metadata JSON NULL',
        'is_active BOOLEAN DEFAULT TRUE',
        'created_at TIMESTAMP NULL',
        'updated_at TIMESTAMP NULL',
      ],
      indexes: [
        'INDEX idx_org_external (organization_id, external_id)',
        'INDEX idx_org_active (organization_id, is_active)',
      ],
      foreignKeys: [
        'FOREIGN KEY (organization_id) REFERENCES organizations(id) ON DELETE CASCADE',
        'FOREIGN KEY (integration_id) REFERENCES integrations(id) ON DELETE SET NULL',
      ],
    },
    projects: {
      columns: [
        'id BIGINT UNSIGNED PRIMARY KEY AUTO_INCREMENT',
        'organization_id BIGINT UNSIGNED NOT NULL',
        'client_id BIGINT UNSIGNED NULL',
        'integration_id BIGINT UNSIGNED NULL',
        'external_id VARCHAR(255) NULL',
        'name VARCHAR(255) NOT NULL',
        'color VARCHAR(20) NULL',
        'hourly_rate DECIMAL(10,2) NULL',
        'metadata JSON NULL',
        'is_active BOOLEAN DEFAULT TRUE',
        'created_at TIMESTAMP NULL',
        'updated_at TIMESTAMP NULL',
      ],
      indexes: [
        'INDEX idx_org_external (organization_id, external_id)',
        'INDEX idx_org_client (organization_id, client_id)',
      ],
      foreignKeys: [
        'FOREIGN KEY (organization_id) REFERENCES organizations(id) ON DELETE CASCADE',
        'FOREIGN KEY (client_id) REFERENCES clients(id) ON DELETE SET NULL',
        'FOREIGN KEY (integration_id) REFERENCES integrations(id) ON DELETE SET NULL',
      ],
    },
    time_blocks: {
      columns: [
        'id BIGINT UNSIGNED PRIMARY KEY AUTO_INCREMENT',
        'organization_id BIGINT UNSIGNED NOT NULL',
        'user_id BIGINT UNSIGNED NOT NULL',
        'calendar_id BIGINT UNSIGNED NULL',
        'external_calendar_event_id VARCHAR(255) NULL',
        'external_invoicing_entry_id VARCHAR(255) NULL',
        'title VARCHAR(255) NOT NULL',
        'description TEXT NULL',
        'start_time DATETIME NOT NULL',
        'end_time DATETIME NOT NULL',
        'timezone VARCHAR(64) NOT NULL',
        'color VARCHAR(20) NULL',
        'client_id BIGINT UNSIGNED NULL',
        'project_id BIGINT UNSIGNED NULL',
        'is_billable BOOLEAN DEFAULT TRUE',
        "calendar_sync_status ENUM('pending', 'synced', 'error', 'disabled') DEFAULT 'pending'",
        "invoicing_sync_status ENUM('pending', 'synced', 'error', 'disabled') DEFAULT 'disabled'",
        'last_synced_at TIMESTAMP NULL',
        'sync_error TEXT NULL',
        'created_at TIMESTAMP NULL',
        'updated_at TIMESTAMP NULL',
        'deleted_at TIMESTAMP NULL',
      ],
      indexes: [
        'INDEX idx_org_user_time (organization_id, user_id, start_time, end_time)',
        'INDEX idx_external_calendar (external_calendar_event_id)',
        'INDEX idx_external_invoicing (external_invoicing_entry_id)',
        'INDEX idx_sync_status (calendar_sync_status, invoicing_sync_status)',
      ],
      foreignKeys: [
        'FOREIGN KEY (organization_id) REFERENCES organizations(id) ON DELETE CASCADE',
        'FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE',
        'FOREIGN KEY (calendar_id) REFERENCES calendars(id) ON DELETE SET NULL',
        'FOREIGN KEY (client_id) REFERENCES clients(id) ON DELETE SET NULL',
        'FOREIGN KEY (project_id) REFERENCES projects(id) ON DELETE SET NULL',
      ],
    },
    audit_logs: {
      columns: [
        'id BIGINT UNSIGNED PRIMARY KEY AUTO_INCREMENT',
        'organization_id BIGINT UNSIGNED NULL',
        'user_id BIGINT UNSIGNED NULL',
        'action VARCHAR(100) NOT NULL',
        'auditable_type VARCHAR(255) NULL',
        'auditable_id BIGINT UNSIGNED NULL',
        'old_values JSON NULL',
        'new_values JSON NULL',
        'ip_address VARCHAR(45) NULL',
        'user_agent VARCHAR(500) NULL',
        'created_at TIMESTAMP NULL',
      ],
      indexes: [
        'INDEX idx_org_action (organization_id, action)',
        'INDEX idx_auditable (auditable_type, auditable_id)',
        'INDEX idx_created (created_at)',
      ],
      // None: the base schema gives audit_logs no foreign keys (the trail outlives what it describes).
      foreignKeys: [],
    },
  };

// ---------------------------------------------------------------------------------------------
// Reading the base schema's notation
// ---------------------------------------------------------------------------------------------

type BaseDefault = { string: string } | { boolean: boolean } | { number: number };

interface BaseColumn {
  name: string;
  /** BIGINT, VARCHAR, ENUM, … */
  type: string;
  /** What is in the type's parentheses: a length, `10,2`, or the enum values. */
  args: string | undefined;
  unsigned: boolean;
  nullable: boolean;
  primaryKey: boolean;
  autoIncrement: boolean;
  unique: boolean;
  /** undefined: no DEFAULT clause. */
  default: BaseDefault | undefined;
}

interface ExpectedIndex {
  name: string;
  columns: string[];
  unique: boolean;
}

interface ExpectedForeignKey {
  name: string;
  column: string;
  referencedTable: string;
  referencedColumn: string;
  onDelete: string;
}

function parseColumn(line: string): BaseColumn {
  const match = /^(\w+) ([A-Z]+)(?:\(([^)]*)\))?( UNSIGNED)?(.*)$/.exec(line);
  if (!match) throw new Error(`Cannot read base-schema column: ${line}`);
  const [, name, type, args, unsigned, rest] = match;
  const primaryKey = / PRIMARY KEY/.test(rest);
  const defaultClause = / DEFAULT (.+)$/.exec(rest)?.[1];
  return {
    name,
    type,
    args,
    unsigned: Boolean(unsigned),
    // A column is nullable unless NOT NULL (or the primary key), as in MySQL.
    nullable: !/ NOT NULL/.test(rest) && !primaryKey,
    primaryKey,
    autoIncrement: / AUTO_INCREMENT/.test(rest),
    unique: / UNIQUE/.test(rest),
    default: defaultClause === undefined ? undefined : parseLiteral(defaultClause),
  };
}

function parseLiteral(literal: string): BaseDefault {
  if (/^'.*'$/.test(literal)) return { string: literal.slice(1, -1).replace(/''/g, "'") };
  if (/^(TRUE|FALSE)$/.test(literal)) return { boolean: literal === 'TRUE' };
  if (/^-?\d+(\.\d+)?$/.test(literal)) return { number: Number(literal) };
  throw new Error(`Cannot read base-schema default: ${literal}`);
}

function enumValues(column: BaseColumn): string[] {
  return [...(column.args ?? '').matchAll(/'((?:[^']|'')*)'/g)].map((m) =>
    m[1].replace(/''/g, "'"),
  );
}

function quote(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function parseIndex(line: string): ExpectedIndex {
  const match = /^(UNIQUE )?INDEX (\w+) \(([^)]+)\)$/.exec(line);
  if (!match) throw new Error(`Cannot read base-schema index: ${line}`);
  return { name: match[2], columns: match[3].split(/,\s*/), unique: Boolean(match[1]) };
}

function parseForeignKey(table: string, line: string): ExpectedForeignKey {
  const match =
    /^FOREIGN KEY \((\w+)\) REFERENCES (\w+)\((\w+)\) ON DELETE (CASCADE|SET NULL)$/.exec(line);
  if (!match) throw new Error(`Cannot read base-schema foreign key: ${line}`);
  const [, column, referencedTable, referencedColumn, onDelete] = match;
  return { name: `fk_${table}_${column}`, column, referencedTable, referencedColumn, onDelete };
}

/**
 * Columns that migrations after the base schema's add to its tables, in the base schema's notation. Later needs
 * are new migrations, never edits of landed ones, so they are listed here rather than edited into BASE_SCHEMA.
 */
const ADDED_AFTER_BASE: Record<string, string[]> = {
  // AddTwoFactorToUsers1704067251000
  users: [
    'two_factor_secret TEXT NULL',
    'two_factor_confirmed_at TIMESTAMP NULL',
    'two_factor_recovery_codes JSON NULL',
    'two_factor_last_step INT NULL',
  ],
  // AddRevokedAtToInvitations1704067212000
  invitations: ['revoked_at TIMESTAMP NULL'],
  // AddSyncVersionToTimeBlocks1704067213000
  time_blocks: [
    'sync_version INT NOT NULL DEFAULT 0',
    // AddCalendarSyncState1704067217000
    'synced_calendar_id BIGINT UNSIGNED NULL',
    'sync_attempts INT NOT NULL DEFAULT 0',
    'sync_retry_at TIMESTAMP NULL',
    // AddTwoWayCalendarSync1704067218000
    'synced_hash VARCHAR(64) NULL',
    // AddTimeBlockApproval1704067225000
    "approval_status ENUM('pending', 'approved', 'rejected', 'sent_to_billing') NOT NULL DEFAULT 'pending'",
    'approved_by BIGINT UNSIGNED NULL',
    'approved_at TIMESTAMP NULL',
    'rejection_note TEXT NULL',
    'invoice_reference VARCHAR(255) NULL',
    // AddInvoicingSyncState1704067230000
    'invoicing_sync_version INT NOT NULL DEFAULT 0',
    'invoicing_sync_error TEXT NULL',
    'invoicing_sync_attempts INT NOT NULL DEFAULT 0',
    'invoicing_sync_retry_at TIMESTAMP NULL',
    'invoicing_synced_hash VARCHAR(64) NULL',
  ],
  integrations: [
    // AddCalendarSyncState1704067217000
    'needs_reconnect BOOLEAN DEFAULT FALSE',
    'sync_lease_owner VARCHAR(100) NULL',
    'sync_lease_expires_at TIMESTAMP NULL',
    'sync_retry_at TIMESTAMP NULL',
    // AddSyncLeaseKind1704067219000
    'sync_lease_kind VARCHAR(20) NULL',
    // AddLastImportStartedAtToIntegrations1704067290000
    'last_import_started_at TIMESTAMP NULL',
    // AddWebhookToIntegrations1704067293000
    'webhook_id VARCHAR(100) NULL',
    'webhook_token TEXT NULL',
  ],
  // AddTwoWayCalendarSync1704067218000
  calendars: [
    'sync_cursor TEXT NULL',
    'next_pull_at TIMESTAMP NULL',
    'last_pulled_at TIMESTAMP NULL',
    'push_channel_id VARCHAR(255) NULL',
    'push_resource_id VARCHAR(255) NULL',
    'push_secret_hash VARCHAR(64) NULL',
    'push_expires_at TIMESTAMP NULL',
    // AddSharedWithOrganizationToCalendars1704067261000
    'shared_with_organization BOOLEAN NOT NULL DEFAULT FALSE',
  ],
  audit_logs: ['actor VARCHAR(100) NULL'],
};

/** Indexes later migrations added to base tables, as `INDEX name (columns)`. */
const INDEXES_ADDED_AFTER_BASE: Record<string, string[]> = {
  // AddTwoWayCalendarSync1704067218000: webhooks find their calendar by channel id
  calendars: ['INDEX idx_calendars_push_channel_id (push_channel_id)'],
  // AddInvoicingSyncState1704067230000: the invoicing reconciler's scan for due pending blocks
  time_blocks: [
    'INDEX idx_time_blocks_invoicing_pending (invoicing_sync_status, organization_id, invoicing_sync_retry_at)',
  ],
};

const FOREIGN_KEYS_ADDED_AFTER_BASE: Record<string, string[]> = {
  // AddCalendarSyncState1704067217000
  time_blocks: [
    'FOREIGN KEY (synced_calendar_id) REFERENCES calendars(id) ON DELETE SET NULL',
    // AddTimeBlockApproval1704067225000
    'FOREIGN KEY (approved_by) REFERENCES users(id) ON DELETE SET NULL',
  ],
};

const baseColumns = (table: string): BaseColumn[] =>
  [...BASE_SCHEMA[table].columns, ...(ADDED_AFTER_BASE[table] ?? [])].map(parseColumn);

function expectedForeignKeys(table: string): ExpectedForeignKey[] {
  return [...BASE_SCHEMA[table].foreignKeys, ...(FOREIGN_KEYS_ADDED_AFTER_BASE[table] ?? [])].map(
    (line) => parseForeignKey(table, line),
  );
}

/** The base schema's indexes under the naming rules at the top of this file. */
function expectedIndexes(table: string): ExpectedIndex[] {
  const nameCounts = new Map<string, number>();
  for (const spec of Object.values(BASE_SCHEMA)) {
    for (const line of spec.indexes) {
      const { name } = parseIndex(line);
      nameCounts.set(name, (nameCounts.get(name) ?? 0) + 1);
    }
  }
  const indexes = [...BASE_SCHEMA[table].indexes, ...(INDEXES_ADDED_AFTER_BASE[table] ?? [])]
    .map(parseIndex)
    .map((index) =>
      (nameCounts.get(index.name) ?? 0) > 1
        ? { ...index, name: index.name.replace(/^idx_/, `idx_${table}_`) }
        : index,
    );
  for (const column of baseColumns(table).filter((c) => c.unique)) {
    indexes.push({ name: `uq_${table}_${column.name}`, columns: [column.name], unique: true });
  }
  for (const { column } of expectedForeignKeys(table)) {
    if (!indexes.some((index) => index.columns[0] === column)) {
      indexes.push({ name: `idx_${table}_${column}`, columns: [column], unique: false });
    }
  }
  return indexes;
}

// ---------------------------------------------------------------------------------------------
// How each database spells a base-schema column in its catalogue
// ---------------------------------------------------------------------------------------------

interface ExpectedColumn {
  name: string;
  type: string;
  nullable: boolean;
  default: string | null;
  primaryKey: boolean;
  autoIncrement: boolean;
  extra: string;
}

/** MariaDB 10.11's information_schema.COLUMNS. */
function mariaDbColumn(column: BaseColumn): ExpectedColumn {
  const types: Record<string, () => string> = {
    BIGINT: () => `bigint(20)${column.unsigned ? ' unsigned' : ''}`,
    INT: () => 'int(11)',
    VARCHAR: () => `varchar(${column.args})`,
    DECIMAL: () => `decimal(${column.args})`,
    ENUM: () => `enum(${enumValues(column).map(quote).join(',')})`,
    BOOLEAN: () => 'tinyint(1)', // MySQL's BOOLEAN is a synonym for TINYINT(1)
    JSON: () => 'longtext', // MariaDB's JSON is LONGTEXT plus a json_valid CHECK
    TIMESTAMP: () => 'timestamp',
    DATETIME: () => 'datetime',
    TIME: () => 'time',
    TEXT: () => 'text',
  };
  // MariaDB ≥ 10.2.7 spells defaults as SQL: quoted strings, 'NULL' for DEFAULT NULL, and SQL
  // NULL for "no default" (a NOT NULL column without DEFAULT).
  const baseDefault = column.default;
  let defaultValue: string | null;
  if (baseDefault === undefined) defaultValue = column.nullable ? 'NULL' : null;
  else if ('string' in baseDefault) defaultValue = quote(baseDefault.string);
  else if ('boolean' in baseDefault) defaultValue = baseDefault.boolean ? '1' : '0';
  else defaultValue = String(baseDefault.number);

  return {
    name: column.name,
    type: types[column.type](),
    nullable: column.nullable,
    default: defaultValue,
    primaryKey: column.primaryKey,
    autoIncrement: column.autoIncrement,
    // Nothing else: in particular no `on update current_timestamp()` on a TIMESTAMP.
    extra: column.autoIncrement ? 'auto_increment' : '',
  };
}

/** SQLite's PRAGMA table_info (declared types compared case-insensitively). */
function sqliteColumn(column: BaseColumn): ExpectedColumn {
  const types: Record<string, () => string> = {
    // INTEGER, not BIGINT: only `INTEGER PRIMARY KEY` is the rowid alias that AUTOINCREMENT needs;
    // references use the same type as what they reference.
    BIGINT: () => 'integer',
    INT: () => 'int',
    VARCHAR: () => `varchar(${column.args})`,
    DECIMAL: () => `decimal(${column.args})`,
    ENUM: () => 'varchar', // plus a CHECK (… IN (…)) constraint
    BOOLEAN: () => 'boolean',
    JSON: () => 'json',
    TIMESTAMP: () => 'datetime', // SQLite has no TIMESTAMP; both hold UTC text
    DATETIME: () => 'datetime',
    TIME: () => 'time',
    TEXT: () => 'text',
  };
  const baseDefault = column.default;
  let defaultValue: string | null;
  if (baseDefault === undefined) defaultValue = null;
  else if ('string' in baseDefault) defaultValue = quote(baseDefault.string);
  else if ('boolean' in baseDefault) defaultValue = baseDefault.boolean ? 'TRUE' : 'FALSE';
  else defaultValue = String(baseDefault.number);

  return {
    name: column.name,
    type: types[column.type](),
    nullable: column.nullable,
    default: defaultValue,
    primaryKey: column.primaryKey,
    autoIncrement: column.autoIncrement,
    extra: '',
  };
}

/** SQLite reports an expression default with its parentheses: `('UTC')`; MariaDB folds them. */
function unwrapParentheses(value: string | null): string | null {
  let result = value;
  while (result !== null && /^\(.*\)$/s.test(result)) result = result.slice(1, -1).trim();
  return result;
}

/** The CHECK constraints each database should hold for a base table. */
function expectedChecks(table: string): string[] {
  return baseColumns(table).flatMap((column) => {
    if (databaseKind() === 'mysql')
      return column.type === 'JSON' ? [`json_valid(${column.name})`] : [];
    return column.type === 'ENUM'
      ? [`${column.name} IN (${enumValues(column).map(quote).join(',')})`]
      : [];
  });
}

/** Quoting and spacing differ between catalogues; the expressions must not. */
const squash = (expression: string): string => expression.replace(/[\s"`]/g, '');

// ---------------------------------------------------------------------------------------------

describe(`schema after all migrations (${databaseKind()})`, () => {
  let dataSource: DataSource;
  let close: () => Promise<void>;
  const catalogue = new Map<string, CatalogueTable>();

  beforeAll(async () => {
    ({ dataSource, close } = await createMigratedDataSource());
    if (databaseKind() === 'mysql') {
      const [{ version }] = await dataSource.query('SELECT VERSION() AS version');
      // The MySQL expectations are MariaDB's catalogue spelling; MySQL 8 spells several differently.
      expect(version).toMatch(/MariaDB/);
    }
    for (const table of Object.keys(BASE_SCHEMA))
      catalogue.set(table, await describeTable(dataSource, table));
  });

  afterAll(async () => {
    await close();
  });

  it('has every table of the base schema', async () => {
    const tables = await listTables(dataSource);
    expect(tables).toEqual(expect.arrayContaining(Object.keys(BASE_SCHEMA)));
  });

  describe.each(Object.keys(BASE_SCHEMA))('%s', (table) => {
    const actual = (): CatalogueTable => catalogue.get(table)!;

    it('has exactly the base schema columns, in order', () => {
      expect(actual().columns.map((c) => c.name)).toEqual(baseColumns(table).map((c) => c.name));
    });

    it.each(baseColumns(table).map((column) => [column.name, column] as const))(
      'column %s has the base schema type, nullability and default',
      (_name, column) => {
        const found = actual().columns.find((c) => c.name === column.name);
        expect(found).toBeDefined();
        if (databaseKind() === 'mysql') {
          expect(found).toEqual(mariaDbColumn(column));
        } else {
          expect({
            ...found,
            type: found!.type.toLowerCase(),
            default: unwrapParentheses(found!.default),
          }).toEqual(sqliteColumn(column));
        }
      },
    );

    it('has the base schema indexes (under the naming rules) and no others', () => {
      const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
      expect([...actual().indexes].sort(byName)).toEqual([...expectedIndexes(table)].sort(byName));
    });

    it('has the base schema foreign keys, with their ON DELETE actions, and no others', () => {
      // No ON UPDATE in the base schema: each database's default (RESTRICT ≡ NO ACTION).
      const onUpdate = databaseKind() === 'mysql' ? 'RESTRICT' : 'NO ACTION';
      const byColumn = (a: { column: string }, b: { column: string }) =>
        a.column.localeCompare(b.column);
      expect([...actual().foreignKeys].sort(byColumn)).toEqual(
        expectedForeignKeys(table)
          .map((fk) => ({ ...fk, onUpdate }))
          .sort(byColumn),
      );
    });

    it(
      databaseKind() === 'mysql'
        ? 'checks JSON columns with json_valid (MariaDB JSON is LONGTEXT)'
        : 'checks ENUM columns with CHECK … IN (…)',
      () => {
        expect(actual().checks.map(squash).sort()).toEqual(
          expectedChecks(table).map(squash).sort(),
        );
      },
    );
  });

  it('indexes every foreign key column (as the leading column of an index)', () => {
    const foreignKeys = [...catalogue.entries()].flatMap(([table, { foreignKeys, indexes }]) =>
      foreignKeys.map((fk) => ({
        fk: `${table}.${fk.column}`,
        indexed: indexes.some((index) => index.columns[0] === fk.column),
      })),
    );
    expect(foreignKeys).toHaveLength(
      Object.keys(BASE_SCHEMA).reduce(
        (count, table) => count + expectedForeignKeys(table).length,
        0,
      ),
    );
    expect(foreignKeys.filter(({ indexed }) => !indexed)).toEqual([]);
  });

  it('gives every index a name unique in the whole database (SQLite requires it)', async () => {
    const names = (await listIndexes(dataSource)).map((index) => index.name);
    expect(names.length).toBeGreaterThan(0);
    expect(new Set(names).size).toBe(names.length);
  });

  it('applies the base schema defaults to a row inserted with only its required columns', async () => {
    await dataSource.query(`INSERT INTO users (name, email, password) VALUES (?, ?, ?)`, [
      'Ada',
      'ada@example.test',
      'hash',
    ]);
    const [user] = await dataSource.query(`SELECT * FROM users WHERE email = ?`, [
      'ada@example.test',
    ]);
    expect({
      timezone: user.timezone,
      // mysql2 parses JSON columns in raw results; better-sqlite3 returns the text.
      workDays: typeof user.work_days === 'string' ? JSON.parse(user.work_days) : user.work_days,
      workHoursStart: user.work_hours_start,
      workHoursEnd: user.work_hours_end,
      createdAt: user.created_at,
    }).toEqual({
      timezone: 'UTC',
      workDays: ['mon', 'tue', 'wed', 'thu', 'fri'],
      workHoursStart: '08:00:00',
      workHoursEnd: '18:00:00',
      createdAt: null,
    });

    await dataSource.query(`INSERT INTO organizations (name, slug) VALUES (?, ?)`, [
      'Acme',
      'acme',
    ]);
    const [organization] = await dataSource.query(`SELECT * FROM organizations WHERE slug = ?`, [
      'acme',
    ]);
    expect(organization).toMatchObject({
      timezone: 'UTC',
      subscription_status: 'trial',
      owner_id: null,
    });

    await dataSource.query(
      `INSERT INTO integrations (organization_id, connected_by, provider, provider_type, access_token)
       VALUES (?, ?, 'google_calendar', 'calendar', 'ciphertext')`,
      [organization.id, user.id],
    );
    const [integration] = await dataSource.query(`SELECT * FROM integrations`);
    expect(integration).toMatchObject({ is_active: 1, error_count: 0 });

    await dataSource.query(
      `INSERT INTO calendars (organization_id, integration_id, external_id, name)
       VALUES (?, ?, 'primary', 'Work')`,
      [organization.id, integration.id],
    );
    const [calendar] = await dataSource.query(`SELECT * FROM calendars`);
    expect(calendar).toMatchObject({ is_primary: 0, is_enabled: 1, sync_direction: 'both' });

    await dataSource.query(
      `INSERT INTO organization_user (organization_id, user_id) VALUES (?, ?)`,
      [organization.id, user.id],
    );
    const [membership] = await dataSource.query(`SELECT * FROM organization_user`);
    expect(membership).toMatchObject({ role: 'member' });

    await dataSource.query(
      `INSERT INTO time_blocks (organization_id, user_id, title, start_time, end_time, timezone)
       VALUES (?, ?, 'Focus', '2024-01-01 09:00:00', '2024-01-01 10:00:00', 'UTC')`,
      [organization.id, user.id],
    );
    const [block] = await dataSource.query(`SELECT * FROM time_blocks`);
    expect(block).toMatchObject({
      is_billable: 1,
      calendar_sync_status: 'pending',
      invoicing_sync_status: 'disabled',
      deleted_at: null,
    });
  });
});
