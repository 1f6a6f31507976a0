import { DataSource } from 'typeorm';
import { MigrationState, migrationStatus } from '../database/migration-status';
import { Output, writeLine } from './output';
import { renderTable } from './table';

/** `migrate:status`: every migration in the code, in order, marked Applied or Pending. */
export async function migrateStatus(
  dataSource: DataSource,
  out: Output,
): Promise<MigrationState[]> {
  const status = await migrationStatus(dataSource);
  if (status.length === 0) {
    writeLine(out, 'No migrations found.');
    return status;
  }
  const rows = status.map((migration) => [
    migration.name,
    migration.applied ? 'Applied' : 'Pending',
  ]);
  writeLine(out, renderTable(['Migration', 'Status'], rows));
  const pending = status.filter((migration) => !migration.applied).length;
  writeLine(out, `\n${status.length - pending} applied, ${pending} pending.`);
  return status;
}
