import { AuditLog } from '../../src/audit/audit-log.entity';
import { Client } from '../../src/clients/client.entity';
import { Project } from '../../src/projects/project.entity';
import { TimeBlock } from '../../src/time-blocks/time-block.entity';
import { TestApp } from '../support/app';

/** The audit rows about one client or project, oldest first, as the trail shows them. */
export async function auditTrail(t: TestApp, type: 'client' | 'project', id: number) {
  const rows = await t.dataSource.getRepository(AuditLog).find({
    where: { auditableType: type, auditableId: id },
    order: { id: 'ASC' },
  });
  return rows.map((row) => ({
    action: row.action,
    user_id: row.userId,
    old_values: row.oldValues,
    new_values: row.newValues,
  }));
}

export const clientRow = (t: TestApp, id: number) =>
  t.dataSource.getRepository(Client).findOneBy({ id });

export const projectRow = (t: TestApp, id: number) =>
  t.dataSource.getRepository(Project).findOneBy({ id });

/** A block as stored, soft-deleted or not. */
export const blockRow = (t: TestApp, id: number) =>
  t.dataSource.getRepository(TimeBlock).findOneOrFail({ where: { id }, withDeleted: true });

/** `?a=1&b=x`, from an object (undefined values left out). */
export function queryString(params: Record<string, string | number | boolean | undefined>) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined) search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}
