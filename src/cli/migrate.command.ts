import { DataSource } from 'typeorm';
import { migrationStatus } from '../database/migration-status';
import { CliError, describeError, Output, writeLine } from './output';

/**
 * `migrate`: applies every pending migration, each in its own transaction, so a failure leaves
 * the earlier ones applied and the failing one not at all (as far as the database allows: MySQL
 * commits DDL implicitly). Returns the names applied, in order.
 */
export async function migrate(dataSource: DataSource, out: Output): Promise<string[]> {
  const before = await migrationStatus(dataSource);
  const pending = before
    .filter((migration) => !migration.applied)
    .map((migration) => migration.name);
  if (pending.length === 0) {
    writeLine(out, 'Nothing to migrate.');
    return [];
  }

  try {
    // TypeORM reports applied migrations only when all are done; printing from the returned list
    // (or, on failure, from a fresh status) keeps the output true to what the database holds.
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    applied.forEach((migration) => writeLine(out, `Migrated: ${migration.name}`));
    return applied.map((migration) => migration.name);
  } catch (error) {
    // If even the status cannot be read (connection gone), report the original failure.
    const status = await migrationStatus(dataSource).catch(() => undefined);
    if (!status) throw error;
    const after = new Set(status.filter((m) => m.applied).map((m) => m.name));
    const applied = pending.filter((name) => after.has(name));
    applied.forEach((name) => writeLine(out, `Migrated: ${name}`));
    const failed = pending.find((name) => !after.has(name));
    throw new CliError(`Migration ${failed} failed: ${describeError(error)}`, { cause: error });
  }
}
