import { DataSource } from 'typeorm';

/*
 * Reads a schema back from the database's own catalogue — information_schema on MySQL/MariaDB,
 * sqlite_master and PRAGMAs on SQLite — into one shape, so the schema specs check what the
 * database actually holds rather than what the migration code meant to create.
 * Values are reported as the catalogue gives them; interpreting them is the specs' job.
 */

export interface CatalogueColumn {
  name: string;
  /** MySQL: COLUMN_TYPE (`bigint(20) unsigned`, `enum('a','b')`); SQLite: the declared type. */
  type: string;
  nullable: boolean;
  /** The default as the catalogue spells it (MariaDB quotes strings and says 'NULL'); null: none. */
  default: string | null;
  primaryKey: boolean;
  autoIncrement: boolean;
  /** MySQL's EXTRA (e.g. `on update current_timestamp()`); '' on SQLite. */
  extra: string;
}

export interface CatalogueIndex {
  name: string;
  columns: string[];
  unique: boolean;
}

export interface CatalogueForeignKey {
  /** SQLite keeps constraint names only in the CREATE TABLE text; read from there. */
  name: string | undefined;
  column: string;
  referencedTable: string;
  referencedColumn: string;
  onDelete: string;
  onUpdate: string;
}

export interface CatalogueTable {
  columns: CatalogueColumn[];
  /** Secondary indexes; the primary key is reported on its column. */
  indexes: CatalogueIndex[];
  foreignKeys: CatalogueForeignKey[];
  /** CHECK constraint expressions, as the catalogue spells them. */
  checks: string[];
}

/** Tables in the database, minus SQLite's internal `sqlite_sequence`. */
export async function listTables(dataSource: DataSource): Promise<string[]> {
  const rows: { name: string }[] = isSqlite(dataSource)
    ? await dataSource.query(
        `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`,
      )
    : await dataSource.query(
        `SELECT TABLE_NAME AS name FROM information_schema.TABLES
          WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'`,
      );
  return rows.map((row) => row.name).sort();
}

/** Every index name in the database, with its table. */
export async function listIndexes(
  dataSource: DataSource,
): Promise<{ table: string; name: string }[]> {
  const rows: { table: string; name: string }[] = isSqlite(dataSource)
    ? await dataSource.query(
        `SELECT tbl_name AS "table", name FROM sqlite_master WHERE type = 'index'`,
      )
    : await dataSource.query(
        `SELECT DISTINCT TABLE_NAME AS \`table\`, INDEX_NAME AS name FROM information_schema.STATISTICS
          WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME <> 'PRIMARY'`,
      );
  return rows.map(({ table, name }) => ({ table, name }));
}

export async function describeTable(
  dataSource: DataSource,
  table: string,
): Promise<CatalogueTable> {
  return isSqlite(dataSource)
    ? describeSqliteTable(dataSource, table)
    : describeMysqlTable(dataSource, table);
}

function isSqlite(dataSource: DataSource): boolean {
  return dataSource.options.type === 'better-sqlite3';
}

async function describeMysqlTable(dataSource: DataSource, table: string): Promise<CatalogueTable> {
  const columns: Record<string, string | null>[] = await dataSource.query(
    `SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, COLUMN_KEY, EXTRA
       FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?
      ORDER BY ORDINAL_POSITION`,
    [table],
  );
  const statistics: Record<string, string | number>[] = await dataSource.query(
    `SELECT INDEX_NAME, COLUMN_NAME, NON_UNIQUE FROM information_schema.STATISTICS
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?
      ORDER BY INDEX_NAME, SEQ_IN_INDEX`,
    [table],
  );
  const foreignKeys: Record<string, string>[] = await dataSource.query(
    `SELECT k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME,
            r.DELETE_RULE, r.UPDATE_RULE
       FROM information_schema.KEY_COLUMN_USAGE k
       JOIN information_schema.REFERENTIAL_CONSTRAINTS r
         ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA
        AND r.TABLE_NAME = k.TABLE_NAME
        AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME
      WHERE k.TABLE_SCHEMA = DATABASE() AND k.TABLE_NAME = ? AND k.REFERENCED_TABLE_NAME IS NOT NULL
      ORDER BY k.CONSTRAINT_NAME, k.ORDINAL_POSITION`,
    [table],
  );
  const checks: { CHECK_CLAUSE: string }[] = await dataSource.query(
    `SELECT CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS
      WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = ?`,
    [table],
  );

  const primary = statistics.filter((s) => s.INDEX_NAME === 'PRIMARY').map((s) => s.COLUMN_NAME);
  const indexes = new Map<string, CatalogueIndex>();
  for (const s of statistics) {
    if (s.INDEX_NAME === 'PRIMARY') continue;
    const name = String(s.INDEX_NAME);
    const index = indexes.get(name) ?? { name, columns: [], unique: Number(s.NON_UNIQUE) === 0 };
    index.columns.push(String(s.COLUMN_NAME));
    indexes.set(name, index);
  }

  return {
    columns: columns.map((c) => ({
      name: String(c.COLUMN_NAME),
      type: String(c.COLUMN_TYPE),
      nullable: c.IS_NULLABLE === 'YES',
      default: c.COLUMN_DEFAULT,
      primaryKey: primary.includes(String(c.COLUMN_NAME)),
      autoIncrement: String(c.EXTRA).includes('auto_increment'),
      extra: String(c.EXTRA),
    })),
    indexes: [...indexes.values()],
    foreignKeys: foreignKeys.map((fk) => ({
      name: fk.CONSTRAINT_NAME,
      column: fk.COLUMN_NAME,
      referencedTable: fk.REFERENCED_TABLE_NAME,
      referencedColumn: fk.REFERENCED_COLUMN_NAME,
      onDelete: fk.DELETE_RULE,
      onUpdate: fk.UPDATE_RULE,
    })),
    checks: checks.map((c) => c.CHECK_CLAUSE),
  };
}

async function describeSqliteTable(dataSource: DataSource, table: string): Promise<CatalogueTable> {
  const [{ sql }]: { sql: string }[] = await dataSource.query(
    `SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?`,
    [table],
  );
  const columns: {
    name: string;
    type: string;
    notnull: number;
    dflt_value: string | null;
    pk: number;
  }[] = await dataSource.query(`PRAGMA table_info("${table}")`);
  const indexList: { name: string; unique: number; origin: string }[] = await dataSource.query(
    `PRAGMA index_list("${table}")`,
  );
  const foreignKeys: {
    id: number;
    from: string;
    table: string;
    to: string;
    on_delete: string;
    on_update: string;
  }[] = await dataSource.query(`PRAGMA foreign_key_list("${table}")`);

  const indexes: CatalogueIndex[] = [];
  for (const index of indexList) {
    const info: { seqno: number; name: string }[] = await dataSource.query(
      `PRAGMA index_info("${index.name}")`,
    );
    indexes.push({
      name: index.name,
      columns: info.sort((a, b) => a.seqno - b.seqno).map((i) => i.name),
      unique: index.unique === 1,
    });
  }

  // Constraint names and CHECKs exist only in the CREATE TABLE text.
  const foreignKeyNames = new Map<string, string>();
  for (const match of sql.matchAll(/CONSTRAINT "(\w+)" FOREIGN KEY \("(\w+)"\)/g)) {
    foreignKeyNames.set(match[2], match[1]);
  }
  const checks = [...sql.matchAll(/CHECK\s*\(\s*(.*?)\s*\)\s*(?=NOT NULL|DEFAULT|,|\)$)/g)].map(
    (match) => match[1],
  );

  return {
    columns: columns.map((c) => ({
      name: c.name,
      type: c.type,
      nullable: c.notnull === 0 && c.pk === 0,
      default: c.dflt_value,
      primaryKey: c.pk > 0,
      // AUTOINCREMENT only exists on an INTEGER PRIMARY KEY and is only visible in the SQL.
      autoIncrement: new RegExp(`"${c.name}" integer PRIMARY KEY AUTOINCREMENT`, 'i').test(sql),
      extra: '',
    })),
    indexes,
    foreignKeys: foreignKeys.map((fk) => ({
      name: foreignKeyNames.get(fk.from),
      column: fk.from,
      referencedTable: fk.table,
      referencedColumn: fk.to,
      onDelete: fk.on_delete,
      onUpdate: fk.on_update,
    })),
    checks,
  };
}
