import { localIso } from './block-time';
import { TimeBlock } from './time-block.entity';

/** What the API shows of a block: all the list reads of a row (time-block-list.ts). */
export const PRESENTED_PROPERTIES = [
  'id',
  'userId',
  'title',
  'description',
  'startTime',
  'endTime',
  'timezone',
  'color',
  'clientId',
  'projectId',
  'calendarId',
  'isBillable',
  'approvalStatus',
  'approvedBy',
  'approvedAt',
  'rejectionNote',
  'invoiceReference',
  'calendarSyncStatus',
  'invoicingSyncStatus',
  'syncVersion',
  'syncError',
  'invoicingSyncError',
  'lastSyncedAt',
  'createdAt',
  'updatedAt',
] as const satisfies readonly (keyof TimeBlock)[];

export type PresentedBlock = Pick<TimeBlock, (typeof PRESENTED_PROPERTIES)[number]>;

/**
 * A block as the API shows it: `start_time`/`end_time` in UTC, `local_start`/`local_end` the same
 * instants with the offset of the block's timezone (what a calendar UI displays).
 */
export function presentTimeBlock(block: PresentedBlock) {
  return {
    id: block.id,
    user_id: block.userId,
    title: block.title,
    description: block.description,
    start_time: block.startTime.toISOString(),
    end_time: block.endTime.toISOString(),
    local_start: localIso(block.startTime, block.timezone),
    local_end: localIso(block.endTime, block.timezone),
    timezone: block.timezone,
    color: block.color,
    client_id: block.clientId,
    project_id: block.projectId,
    calendar_id: block.calendarId,
    is_billable: block.isBillable ?? false,
    approval_status: block.approvalStatus,
    approved_by: block.approvedBy,
    approved_at: block.approvedAt?.toISOString() ?? null,
    rejection_note: block.rejectionNote,
    invoice_reference: block.invoiceReference,
    calendar_sync_status: block.calendarSyncStatus,
    invoicing_sync_status: block.invoicingSyncStatus,
    sync_version: block.syncVersion,
    sync_error: block.syncError,
    /** Why the invoicing system could not book it (with `invoicing_sync_status` `error`). */
    invoicing_sync_error: block.invoicingSyncError,
    last_synced_at: block.lastSyncedAt?.toISOString() ?? null,
    created_at: block.createdAt?.toISOString() ?? null,
    updated_at: block.updatedAt?.toISOString() ?? null,
  };
}
