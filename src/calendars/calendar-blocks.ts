import { EntityManager } from 'typeorm';
import { ProviderCalendar } from '../providers/calendar-provider';
import { TimeBlock } from '../time-blocks/time-block.entity';
import { Calendar } from './calendar.entity';

/** Blocks are pushed only to enabled calendars that danwel may write to. */
export function isWritable(calendar: Pick<Calendar, 'isEnabled' | 'syncDirection'>): boolean {
  return (
    calendar.isEnabled === true &&
    (calendar.syncDirection === 'write' || calendar.syncDirection === 'both')
  );
}

/** The provider's view of a calendar (name, colour, primary flag) onto our row. */
export function applyProviderCalendar(calendar: Calendar, found: ProviderCalendar): void {
  calendar.name = found.name.slice(0, 255);
  calendar.color = found.color ? found.color.slice(0, 20) : null;
  calendar.isPrimary = found.primary;
}

/*
 * The sync marks of blocks when their calendar stops or starts being writable, written in the
 * transaction of that change (docs/architecture.md, "Marks in one transaction"). Only live
 * blocks placed on the calendar are touched: soft-deleted ones and ones whose old event still
 * waits to be removed are the reconciler's, through `synced_calendar_id`. Both bump
 * `sync_version`, so a push in flight for the old state cannot write its verdict over the new one
 * (the write-back is conditional on it).
 */

/**
 * The calendar is no longer writable (`disabled`), or writable again (`pending`: pushed again from
 * a clean slate). Stopping leaves the blocks' events in the provider calendar as they are — danwel
 * stops updating them, it does not delete them (the user may keep using that calendar;
 * disconnecting with `remove_events=true` is the way to clean up). Either way `sync_version` moves
 * on, so that a push in flight cannot write back a stale verdict.
 */
export async function markCalendarBlocks(
  manager: EntityManager,
  organizationId: number,
  calendarIds: number[],
  status: 'disabled' | 'pending',
): Promise<number> {
  if (calendarIds.length === 0) return 0;
  const query = manager
    .createQueryBuilder()
    .update(TimeBlock)
    .set({
      calendarSyncStatus: status,
      syncVersion: () => 'sync_version + 1',
      syncAttempts: 0,
      syncRetryAt: null,
      syncError: null,
    })
    .where('organization_id = :organizationId', { organizationId })
    .andWhere('calendar_id IN (:...calendarIds)', { calendarIds })
    .andWhere('deleted_at IS NULL');
  if (status === 'disabled') {
    query.andWhere("(calendar_sync_status IS NULL OR calendar_sync_status <> 'disabled')");
  }
  const result = await query.updateEntity(false).execute();
  return result.affected ?? 0;
}

export const disableCalendarBlocks = (
  manager: EntityManager,
  organizationId: number,
  calendarIds: number[],
) => markCalendarBlocks(manager, organizationId, calendarIds, 'disabled');

export const resumeCalendarBlocks = (
  manager: EntityManager,
  organizationId: number,
  calendarIds: number[],
) => markCalendarBlocks(manager, organizationId, calendarIds, 'pending');
