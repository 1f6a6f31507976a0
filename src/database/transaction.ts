import { DataSource, EntityManager } from 'typeorm';

/*
 * The one way to write: `inTransaction(dataSource, async (manager) => …)`.
 *
 * On MySQL each transaction gets its own pooled connection. SQLite has a single connection, so
 * two overlapping TypeORM transactions would interleave on it ("cannot start a transaction within
 * a transaction", or worse, one request's statements landing in another's transaction). Here
 * transactions on SQLite wait their turn in a per-DataSource queue.
 */
const sqliteQueues = new WeakMap<DataSource, Promise<unknown>>();

export async function inTransaction<T>(
  dataSource: DataSource,
  work: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  if (dataSource.options.type !== 'better-sqlite3') return dataSource.transaction(work);

  const previous = sqliteQueues.get(dataSource) ?? Promise.resolve();
  const run = previous.catch(() => undefined).then(() => dataSource.transaction(work));
  sqliteQueues.set(
    dataSource,
    run.catch(() => undefined),
  );
  return run;
}

export function isSqlite(dataSource: DataSource): boolean {
  return dataSource.options.type === 'better-sqlite3';
}

/** A duplicate key on a unique index, on either driver (for races the pre-checks cannot close). */
export function isUniqueViolation(error: unknown): boolean {
  const driverError = (error as { driverError?: { code?: string } })?.driverError;
  const code = driverError?.code ?? (error as { code?: string })?.code;
  return code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
