import { EntityManager, SelectQueryBuilder } from 'typeorm';
import { Calendar } from '../calendars/calendar.entity';
import { TimeBlock } from '../time-blocks/time-block.entity';

/**
 * The calendar whose integration acts on a block, in SQL: the calendar holding the block's event
 * while that event must go (block deleted, calendar removed or changed — see `removalPending`),
 * else the calendar the block belongs in. Claims are per integration, so this decides which
 * worker's lease covers the block.
 */
const ACTING_CALENDAR = `CASE
  WHEN block.externalCalendarEventId IS NOT NULL AND block.syncedCalendarId IS NOT NULL
   AND (block.deletedAt IS NOT NULL OR block.calendarId IS NULL
        OR block.calendarId <> block.syncedCalendarId)
  THEN block.syncedCalendarId ELSE block.calendarId END`;

/**
 * Blocks (soft-deleted ones included: their events must be removed) joined, as `calendar`, to the
 * calendar whose integration acts on them.
 */
export function blocksWithActingCalendar(manager: EntityManager): SelectQueryBuilder<TimeBlock> {
  return manager
    .getRepository(TimeBlock)
    .createQueryBuilder('block')
    .withDeleted()
    .innerJoin(Calendar, 'calendar', `calendar.id = ${ACTING_CALENDAR}`);
}

/** Pending blocks that are due now, joined to their acting calendar. */
export function duePendingBlocks(manager: EntityManager, now: Date): SelectQueryBuilder<TimeBlock> {
  return blocksWithActingCalendar(manager)
    .where('block.calendarSyncStatus = :pending', { pending: 'pending' })
    .andWhere('(block.syncRetryAt IS NULL OR block.syncRetryAt <= :now)', { now });
}

/**
 * The next due pending blocks of one integration (whose calendars are `calendarIds`), oldest id
 * first. Its blocks are in or leaving one of those calendars: saying so lets the indexes on both
 * columns find them, where the acting-calendar join alone scans every pending block.
 */
export async function nextBlocksOf(
  manager: EntityManager,
  integrationId: number,
  calendarIds: number[],
  now: Date,
  limit: number,
): Promise<TimeBlock[]> {
  if (calendarIds.length === 0) return [];
  return duePendingBlocks(manager, now)
    .andWhere('calendar.integrationId = :integrationId', { integrationId })
    .andWhere(
      '(block.calendarId IN (:...calendarIds) OR block.syncedCalendarId IN (:...calendarIds))',
      { calendarIds },
    )
    .orderBy('block.id', 'ASC')
    .limit(limit)
    .getMany();
}
