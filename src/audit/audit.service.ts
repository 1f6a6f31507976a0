import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Membership } from '../auth/authenticated-user';
import { currentContext } from '../common/context/request-context';
import { CursorPage, paginate } from '../common/pagination/cursor';
import { AuditLog } from './audit-log.entity';
import { AuditLogQueryDto } from './dto/audit-log-query.dto';

export interface AuditEntry {
  /** `noun.verb` in the past tense: `member.role_changed`, `invitation.sent`. */
  action: string;
  organizationId: number | null;
  auditable?: { type: string; id: number };
  oldValues?: Record<string, unknown> | null;
  newValues?: Record<string, unknown> | null;
  /** Defaults to the signed-in user of the current request. */
  userId?: number | null;
  /** For changes no user made: `sync:<provider>` (then `userId` is null). */
  actor?: string;
}

/** Keys whose values never enter the trail, however a caller builds its before/after maps. */
const SECRET_KEY = /password|token|secret|api_key|authorization/i;

/**
 * Writes the audit trail. Always called with the transaction's EntityManager, so the entry
 * commits or rolls back with the change it describes. Append-only: nothing updates or deletes
 * audit rows (there is deliberately no method for it).
 */
@Injectable()
export class AuditService {
  constructor(private readonly dataSource: DataSource) {}

  async record(manager: EntityManager, entry: AuditEntry): Promise<void> {
    const context = currentContext();
    await manager.save(
      manager.create(AuditLog, {
        organizationId: entry.organizationId,
        userId: entry.userId !== undefined ? entry.userId : (context.userId ?? null),
        action: entry.action,
        auditableType: entry.auditable?.type ?? null,
        auditableId: entry.auditable?.id ?? null,
        oldValues: scrub(entry.oldValues),
        newValues: scrub(entry.newValues),
        ipAddress: context.ip?.slice(0, 45) ?? null,
        userAgent: context.userAgent?.slice(0, 500) ?? null,
        actor: entry.actor ?? null,
      }),
    );
  }

  /** The organization's trail, newest first, filtered as the query says. */
  list(membership: Membership, query: AuditLogQueryDto): Promise<CursorPage<AuditLog>> {
    const logs = membership.scope.query(this.dataSource.manager, AuditLog, 'log');
    if (query.action) logs.andWhere('log.action = :action', { action: query.action });
    if (query.user_id) logs.andWhere('log.userId = :userId', { userId: query.user_id });
    if (query.auditable_type)
      logs.andWhere('log.auditableType = :type', { type: query.auditable_type });
    if (query.auditable_id)
      logs.andWhere('log.auditableId = :auditableId', { auditableId: query.auditable_id });
    if (query.from) logs.andWhere('log.createdAt >= :from', { from: new Date(query.from) });
    if (query.to) logs.andWhere('log.createdAt < :to', { to: new Date(query.to) });
    return paginate(logs, [{ column: 'log.id', value: (log) => log.id }], query, 'DESC');
  }
}

function scrub(values: Record<string, unknown> | null | undefined): Record<string, unknown> | null {
  if (!values) return null;
  const clean: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    if (SECRET_KEY.test(key)) continue;
    clean[key] = value instanceof Date ? value.toISOString() : value;
  }
  return clean;
}

/** The before/after pair of the fields that actually changed. */
export function changes(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): { oldValues: Record<string, unknown>; newValues: Record<string, unknown> } {
  const oldValues: Record<string, unknown> = {};
  const newValues: Record<string, unknown> = {};
  for (const key of Object.keys(after)) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) {
      oldValues[key] = before[key];
      newValues[key] = after[key];
    }
  }
  return { oldValues, newValues };
}
