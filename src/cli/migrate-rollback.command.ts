import { DataSource } from 'typeorm';
import { migrationStatus } from '../database/migration-status';
import { Output, writeLine } from './output';

/**
 * `migrate:rollback --steps N`: undoes the last N applied migrations, newest first, each in its
 * own transaction. Stops early (without error) when nothing is left to undo. Returns the names
 * rolled back, in the order they were undone.
 */
export async function migrateRollback(
  dataSource: DataSource,
  out: Output,
  options: { steps: number },
): Promise<string[]> {
  const rolledBack: string[] = [];
  let applied = await appliedNames(dataSource);
  while (rolledBack.length < options.steps && applied.size > 0) {
    await dataSource.undoLastMigration({ transaction: 'each' });
    // TypeORM undoes the most recently *recorded* migration and does not say which; the status
    // before and after tells us without a second copy of its ordering rules.
    const remaining = await appliedNames(dataSource);
    const undone = [...applied].filter((name) => !remaining.has(name));
    undone.forEach((name) => writeLine(out, `Rolled back: ${name}`));
    rolledBack.push(...undone);
    if (undone.length === 0) break; // nothing changed: never loop forever
    applied = remaining;
  }
  if (rolledBack.length === 0) writeLine(out, 'Nothing to roll back.');
  return rolledBack;
}

async function appliedNames(dataSource: DataSource): Promise<Set<string>> {
  const status = await migrationStatus(dataSource);
  return new Set(
    status.filter((migration) => migration.applied).map((migration) => migration.name),
  );
}
