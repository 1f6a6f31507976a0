import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { migrationStatus } from '../database/migration-status';

@Injectable()
export class HealthService {
  constructor(private readonly dataSource: DataSource) {}

  /** Why the service cannot take traffic, or null when it can. */
  async readinessProblem(): Promise<string | null> {
    try {
      await this.dataSource.query('SELECT 1');
    } catch {
      return 'The database is not reachable.';
    }
    const pending = (await migrationStatus(this.dataSource)).filter((m) => !m.applied);
    if (pending.length > 0) {
      return `${pending.length} migration(s) pending: run \`npm run cli -- migrate\`.`;
    }
    return null;
  }
}
