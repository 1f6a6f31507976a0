import { TimeBlock } from '../../src/time-blocks/time-block.entity';
import { Team } from '../support/actors';
import { TestApp } from '../support/app';

export const HOUR_MS = 3_600_000;

/** A block body with the required fields; `at` is the UTC start hour on 2025-03-31 by default. */
export function blockBody(
  values: Record<string, unknown> = {},
  at = '2025-03-31T09:00:00Z',
): Record<string, unknown> {
  const start = new Date(at);
  return {
    title: 'Deep work',
    start_time: start.toISOString(),
    end_time: new Date(start.getTime() + HOUR_MS).toISOString(),
    ...values,
  };
}

/** The row as stored, soft-deleted or not. */
export async function storedBlock(t: TestApp, id: number): Promise<TimeBlock | null> {
  return t.dataSource.getRepository(TimeBlock).findOne({ where: { id }, withDeleted: true });
}

/** Every row of the organization's blocks and audit trail: compared to prove "nothing changed". */
export async function blockState(t: TestApp, organizationId: number) {
  return {
    blocks: await t.dataSource.query(
      'SELECT * FROM time_blocks WHERE organization_id = ? ORDER BY id',
      [organizationId],
    ),
    audit: await t.dataSource.query(
      'SELECT * FROM audit_logs WHERE organization_id = ? ORDER BY id',
      [organizationId],
    ),
  };
}

/** The audit rows about one block, oldest first. */
export async function blockAudit(t: TestApp, blockId: number) {
  const rows: {
    action: string;
    user_id: number | string | null;
    old_values: unknown;
    new_values: unknown;
  }[] = await t.dataSource.query(
    "SELECT action, user_id, old_values, new_values FROM audit_logs WHERE auditable_type = 'time_block' AND auditable_id = ? ORDER BY id",
    [blockId],
  );
  const json = (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value);
  return rows.map((row) => ({
    action: row.action,
    userId: row.user_id === null ? null : Number(row.user_id),
    oldValues: json(row.old_values),
    newValues: json(row.new_values),
  }));
}

/** Turns `prevent_overlaps` on or off the way an admin does: through the settings endpoint. */
export async function preventOverlaps(team: Team, on: boolean): Promise<void> {
  await team.admin.patch(team.url(), { settings: { prevent_overlaps: on } }).expect(200);
}
