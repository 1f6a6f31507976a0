import { QueryRunner, TableColumnOptions, TableForeignKey, TableIndex } from 'typeorm';

/*
 * Column builders shared by the migrations so one file runs on MySQL/MariaDB and SQLite.
 * They live beside the migrations (not in src/) because migrations are frozen history:
 * changing application code must never change what an old migration creates.
 *
 * Naming rules (the schema e2e spec expects exactly these, on both databases):
 * - Indexes keep the base schema's names (`idx_slug`, `idx_org_user`, …). SQLite index names are global
 *   to the database while MySQL's are per table, so the one name the base schema reuses across tables,
 *   `idx_org_external` (clients and projects), is qualified with its table on every database:
 *   `idx_clients_org_external`, `idx_projects_org_external`. One rule, one schema on both.
 * - The base schema's column-level UNIQUE constraints become unique indexes named `uq_<table>_<column>`.
 * - Every foreign key is named `fk_<table>_<column>` (see `foreignKey`).
 * - Where no base-schema index leads with a foreign-key column, the migration adds `idx_<table>_<column>`
 *   (see `foreignKeyIndex`): every foreign key is indexed, and on MySQL InnoDB would
 *   otherwise invent one with a name of its own.
 */

export function isSqlite(queryRunner: QueryRunner): boolean {
  return queryRunner.connection.driver.options.type === 'better-sqlite3';
}

/** `BIGINT UNSIGNED PRIMARY KEY AUTO_INCREMENT` on MySQL; `INTEGER PRIMARY KEY AUTOINCREMENT` on SQLite. */
export function id(queryRunner: QueryRunner): TableColumnOptions {
  return isSqlite(queryRunner)
    ? {
        name: 'id',
        type: 'integer',
        isPrimary: true,
        isGenerated: true,
        generationStrategy: 'increment',
      }
    : {
        name: 'id',
        type: 'bigint',
        unsigned: true,
        isPrimary: true,
        isGenerated: true,
        generationStrategy: 'increment',
      };
}

/** A `BIGINT UNSIGNED` reference column (matching the `id` it points at). */
export function foreignId(
  queryRunner: QueryRunner,
  name: string,
  options: { nullable?: boolean } = {},
): TableColumnOptions {
  return isSqlite(queryRunner)
    ? { name, type: 'integer', isNullable: options.nullable ?? false }
    : { name, type: 'bigint', unsigned: true, isNullable: options.nullable ?? false };
}

/**
 * The base schema's TIMESTAMP columns; SQLite has no TIMESTAMP type, so DATETIME there (UTC text).
 * Nullable ones are written with an explicit `NULL`, which is what keeps MySQL's legacy
 * TIMESTAMP auto-initialisation (DEFAULT CURRENT_TIMESTAMP ON UPDATE …) away from them even where
 * `explicit_defaults_for_timestamp` is off; MariaDB ≥ 10.10 and MySQL 8 have it on by default.
 */
export function timestamp(
  queryRunner: QueryRunner,
  name: string,
  options: { nullable?: boolean } = {},
): TableColumnOptions {
  return {
    name,
    type: isSqlite(queryRunner) ? 'datetime' : 'timestamp',
    isNullable: options.nullable ?? true,
  };
}

/** `created_at` and `updated_at`, both nullable as in the base schema (the application fills them). */
export function timestamps(queryRunner: QueryRunner): TableColumnOptions[] {
  return [timestamp(queryRunner, 'created_at'), timestamp(queryRunner, 'updated_at')];
}

/** A JSON column. MariaDB stores JSON as LONGTEXT with a JSON_VALID check; SQLite as text. */
export function json(
  name: string,
  options: { nullable?: boolean; default?: unknown } = {},
): TableColumnOptions {
  return {
    name,
    type: 'json',
    isNullable: options.nullable ?? true,
    // MySQL 8 only accepts an expression default on JSON columns: DEFAULT ('…').
    ...(options.default !== undefined
      ? { default: `('${JSON.stringify(options.default).replace(/'/g, "''")}')` }
      : {}),
  };
}

/** An ENUM on MySQL; SQLite gets the same values as a CHECK constraint. */
export function enumeration(
  name: string,
  values: readonly string[],
  options: { nullable?: boolean; default?: string } = {},
): TableColumnOptions {
  return {
    name,
    type: 'enum',
    enum: [...values],
    isNullable: options.nullable ?? true,
    ...(options.default !== undefined ? { default: `'${options.default}'` } : {}),
  };
}

/**
 * The base schema's `BOOLEAN DEFAULT TRUE|FALSE` (nullable, as the base schema leaves it): TINYINT(1) on MySQL,
 * BOOLEAN affinity (stored 0/1) on SQLite, which understands TRUE/FALSE since 3.23.
 */
export function boolean(name: string, options: { default: boolean }): TableColumnOptions {
  return { name, type: 'boolean', isNullable: true, default: options.default ? 'TRUE' : 'FALSE' };
}

/** A foreign key named `fk_<table>_<column>`, referencing `<referencedTable>.id`. */
export function foreignKey(
  table: string,
  column: string,
  referencedTable: string,
  onDelete: 'CASCADE' | 'SET NULL',
): TableForeignKey {
  return new TableForeignKey({
    name: `fk_${table}_${column}`,
    columnNames: [column],
    referencedTableName: referencedTable,
    referencedColumnNames: ['id'],
    onDelete,
  });
}

/** The index on a foreign key the base schema leaves unindexed: `idx_<table>_<column>`. */
export function foreignKeyIndex(table: string, column: string): TableIndex {
  return new TableIndex({ name: `idx_${table}_${column}`, columnNames: [column] });
}

/** The base schema's column-level UNIQUE, as a unique index named `uq_<table>_<column>`. */
export function uniqueIndex(table: string, column: string): TableIndex {
  return new TableIndex({ name: `uq_${table}_${column}`, columnNames: [column], isUnique: true });
}
