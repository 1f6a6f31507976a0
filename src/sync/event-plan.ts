import { isWritable } from '../calendars/calendar-blocks';
import { Calendar } from '../calendars/calendar.entity';
import { EventWrite } from '../providers/calendar-events';
import { TimeBlock } from '../time-blocks/time-block.entity';

/**
 * What one pending block needs from its integration's provider, decided from the row alone.
 *
 * The event a block has (`external_calendar_event_id` in `synced_calendar_id`) and the calendar it
 * should be in (`calendar_id`, if that is enabled and writable) are compared:
 * - an event in a calendar the block no longer belongs to (deleted block, calendar removed or
 *   changed) is deleted first — a move is "delete the old event", then, once that is recorded,
 *   "create the new one";
 * - no event yet in the right calendar: create it (idempotently);
 * - an event in the right calendar: overwrite it with the block's content.
 * When nothing needs the provider (no calendar, or it is disabled/read-only and there is no old
 * event), the block settles locally.
 */
export type EventPlan =
  | { kind: 'write'; write: EventWrite; calendar: Calendar }
  | { kind: 'settle'; status: 'synced' | 'disabled' };

/** The calendar whose integration acts on a pending block: the old one while a removal is due. */
export function removalPending(block: TimeBlock): boolean {
  return (
    block.externalCalendarEventId !== null &&
    block.syncedCalendarId !== null &&
    (block.deletedAt !== null ||
      block.calendarId === null ||
      block.calendarId !== block.syncedCalendarId)
  );
}

export function planEvent(block: TimeBlock, calendars: ReadonlyMap<number, Calendar>): EventPlan {
  const eventId = block.externalCalendarEventId;
  if (removalPending(block)) {
    const calendar = calendars.get(block.syncedCalendarId!);
    if (calendar) {
      // An unconfirmed Graph create is looked up first — by sending it again: its transactionId
      // answers the event if the lost request made one — and deleted in the next round.
      const write: EventWrite = isUnconfirmed(eventId!)
        ? {
            kind: 'create',
            calendarExternalId: calendar.externalId,
            calendarId: calendar.id,
            event: contentOf(block),
          }
        : { kind: 'delete', calendarExternalId: calendar.externalId, eventId: eventId! };
      return { kind: 'write', write, calendar };
    }
  }
  if (block.deletedAt !== null) return { kind: 'settle', status: 'synced' };
  const target = block.calendarId === null ? undefined : calendars.get(block.calendarId);
  if (!target || !isWritable(target)) return { kind: 'settle', status: 'disabled' };

  const event = contentOf(block);
  const write: EventWrite =
    eventId !== null && block.syncedCalendarId === target.id && !isUnconfirmed(eventId)
      ? { kind: 'update', calendarExternalId: target.externalId, eventId, event }
      : { kind: 'create', calendarExternalId: target.externalId, calendarId: target.id, event };
  return { kind: 'write', write, calendar: target };
}

/**
 * A create whose answer never came (timeout, reset, lost response) may or may not have made an
 * event. The block records where it may be, so that a move or delete before the retry cannot
 * leave it behind: Google's event id is known in advance (deterministic), so it is recorded as
 * is; a Graph event id is not, so the block records `unconfirmed:` + the create's transactionId.
 */
export const UNCONFIRMED_PREFIX = 'unconfirmed:';

export function isUnconfirmed(eventId: string): boolean {
  return eventId.startsWith(UNCONFIRMED_PREFIX);
}

function contentOf(block: TimeBlock) {
  return {
    blockId: block.id,
    title: block.title,
    description: block.description,
    start: block.startTime,
    end: block.endTime,
    timeZone: block.timezone,
  };
}
