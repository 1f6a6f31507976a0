import { DataSource } from 'typeorm';

export interface MigrationState {
  name: string;
  applied: boolean;
}

/**
 * Which of the code's migrations the database has applied. Read-only (unlike TypeORM's
 * showMigrations, which creates the migrations table), so health checks can call it freely.
 */
export async function migrationStatus(dataSource: DataSource): Promise<MigrationState[]> {
  const table = dataSource.options.migrationsTableName ?? 'migrations';
  const queryRunner = dataSource.createQueryRunner();
  try {
    const applied = new Set<string>();
    if (await queryRunner.hasTable(table)) {
      const rows: { name: string }[] = await queryRunner.query(`SELECT name FROM ${table}`);
      rows.forEach((row) => applied.add(row.name));
    }
    return dataSource.migrations.map((migration) => ({
      name: migration.name ?? migration.constructor.name,
      applied: applied.has(migration.name ?? migration.constructor.name),
    }));
  } finally {
    await queryRunner.release();
  }
}
