import { setImmediate as nextTurn } from 'node:timers/promises';
import { EntityManager } from 'typeorm';
import { Membership } from '../auth/authenticated-user';
import { ApprovalStatus, SyncStatus, TimeBlock } from '../time-blocks/time-block.entity';

/** Rows per query: a report holds at most one page of blocks in memory at a time. */
export const REPORT_PAGE_SIZE = 1000;

export interface ReportFilters {
  /** Unix seconds, half-open. */
  fromSecond: number;
  toSecond: number;
  userId?: number;
  clientId?: number;
  projectId?: number;
  isBillable?: boolean;
  approvalStatus?: ApprovalStatus;
  invoicingStatus?: SyncStatus;
}

/** A block as reports see it: times in whole Unix seconds, names and the project's rate joined. */
export interface ReportBlock {
  id: number;
  userId: number;
  userName: string | null;
  title: string;
  start: number;
  end: number;
  timezone: string;
  clientId: number | null;
  clientName: string | null;
  projectId: number | null;
  projectName: string | null;
  /** The project's `hourly_rate` as the driver returns it (string on mysql2, number on SQLite). */
  projectRate: unknown;
  billable: boolean;
  approvalStatus: ApprovalStatus;
  /** `disabled` where the column is NULL (rows from before invoicing): nothing to book. */
  invoicingStatus: SyncStatus;
  invoiceReference: string | null;
}

interface RawBlock {
  id: string | number;
  user_id: string | number;
  user_name: string | null;
  title: string;
  start_time: Date | string;
  end_time: Date | string;
  timezone: string;
  client_id: string | number | null;
  client_name: string | null;
  project_id: string | number | null;
  project_name: string | null;
  project_rate: unknown;
  is_billable: number | boolean | null;
  approval_status: ApprovalStatus;
  invoicing_status: SyncStatus | null;
  invoice_reference: string | null;
}

/**
 * The organization's live (not soft-deleted) blocks overlapping `[from, to)`, read page by page
 * with keyset pagination, in `id` order (cheapest: the primary key; for summaries, where order
 * does not matter) or `chronological` order (start time, then id; for exports).
 *
 * Why not `.stream()`: TypeORM 1.1.1's SQLite runner throws "Stream is not supported by sqlite
 * driver", and on MySQL a stream would hold a pooled connection for as long as the slowest client
 * takes to download. So both databases take the same path: one bounded query per page, each
 * continuing after the previous page's last row (its `start_time` bound back exactly as the
 * driver returned it, so SQLite compares the stored text with itself), the connection free in
 * between. Between pages the event loop gets a turn, so a long report on SQLite's synchronous
 * driver neither starves other requests nor the response being streamed.
 */
export async function* reportBlocks(
  manager: EntityManager,
  membership: Membership,
  filters: ReportFilters,
  order: 'id' | 'chronological',
): AsyncGenerator<ReportBlock> {
  let after: { start: Date | string; id: string | number } | null = null;
  for (;;) {
    const query = membership.scope
      .query(manager, TimeBlock, 'block')
      .select('block.id', 'id')
      .addSelect('block.userId', 'user_id')
      .addSelect('user.name', 'user_name')
      .addSelect('block.title', 'title')
      .addSelect('block.startTime', 'start_time')
      .addSelect('block.endTime', 'end_time')
      .addSelect('block.timezone', 'timezone')
      .addSelect('client.id', 'client_id')
      .addSelect('client.name', 'client_name')
      .addSelect('project.id', 'project_id')
      .addSelect('project.name', 'project_name')
      .addSelect('project.hourlyRate', 'project_rate')
      .addSelect('block.isBillable', 'is_billable')
      .addSelect('block.approvalStatus', 'approval_status')
      .addSelect('block.invoicingSyncStatus', 'invoicing_status')
      .addSelect('block.invoiceReference', 'invoice_reference')
      .leftJoin('block.user', 'user')
      // The same organization again: a stray cross-tenant id could never lend a name or a rate.
      .leftJoin('block.client', 'client', 'client.organizationId = block.organizationId')
      .leftJoin('block.project', 'project', 'project.organizationId = block.organizationId')
      .andWhere('block.deletedAt IS NULL')
      .andWhere('block.startTime < :to AND block.endTime > :from', {
        from: new Date(filters.fromSecond * 1000),
        to: new Date(filters.toSecond * 1000),
      });
    if (filters.userId !== undefined)
      query.andWhere('block.userId = :userId', { userId: filters.userId });
    if (filters.clientId !== undefined)
      query.andWhere('block.clientId = :clientId', { clientId: filters.clientId });
    if (filters.projectId !== undefined)
      query.andWhere('block.projectId = :projectId', { projectId: filters.projectId });
    if (filters.isBillable === true) query.andWhere('block.isBillable = 1');
    if (filters.isBillable === false)
      query.andWhere('(block.isBillable = 0 OR block.isBillable IS NULL)');
    if (filters.approvalStatus !== undefined) {
      query.andWhere('block.approvalStatus = :approvalStatus', {
        approvalStatus: filters.approvalStatus,
      });
    }
    if (filters.invoicingStatus === 'disabled') {
      query.andWhere(
        '(block.invoicingSyncStatus = :invoicingStatus OR block.invoicingSyncStatus IS NULL)',
        { invoicingStatus: 'disabled' },
      );
    } else if (filters.invoicingStatus !== undefined) {
      query.andWhere('block.invoicingSyncStatus = :invoicingStatus', {
        invoicingStatus: filters.invoicingStatus,
      });
    }
    if (order === 'chronological') {
      if (after) {
        query.andWhere(
          '(block.startTime > :afterStart OR (block.startTime = :afterStart AND block.id > :afterId))',
          { afterStart: after.start, afterId: after.id },
        );
      }
      query.orderBy('block.startTime', 'ASC').addOrderBy('block.id', 'ASC');
    } else {
      if (after) query.andWhere('block.id > :afterId', { afterId: after.id });
      query.orderBy('block.id', 'ASC');
    }
    const rows = await query.limit(REPORT_PAGE_SIZE).getRawMany<RawBlock>();
    for (const row of rows) yield toReportBlock(row);
    if (rows.length < REPORT_PAGE_SIZE) return;
    const last = rows[rows.length - 1];
    after = { start: last.start_time, id: last.id };
    await nextTurn();
  }
}

function toReportBlock(row: RawBlock): ReportBlock {
  return {
    id: Number(row.id),
    userId: Number(row.user_id),
    userName: row.user_name,
    title: row.title,
    start: Math.floor(utcMillis(row.start_time) / 1000),
    end: Math.floor(utcMillis(row.end_time) / 1000),
    timezone: row.timezone,
    clientId: row.client_id === null ? null : Number(row.client_id),
    clientName: row.client_name,
    projectId: row.project_id === null ? null : Number(row.project_id),
    projectName: row.project_name,
    projectRate: row.project_rate,
    // NULL (the column allows it) is not billable: nothing is invoiced that was not marked so.
    billable: row.is_billable === true || Number(row.is_billable) === 1,
    approvalStatus: row.approval_status,
    invoicingStatus: row.invoicing_status ?? 'disabled',
    invoiceReference: row.invoice_reference,
  };
}

/** mysql2 gives Dates (the connection is UTC); SQLite gives the stored UTC text. */
function utcMillis(value: Date | string): number {
  if (value instanceof Date) return value.getTime();
  const text = value.includes('T') ? value : value.replace(' ', 'T');
  return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`);
}
