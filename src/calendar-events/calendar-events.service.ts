import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Membership } from '../auth/authenticated-user';
import { can } from '../auth/permissions';
import { CursorPage, KeysetOrder, paginate } from '../common/pagination/cursor';
import { listRange } from '../time-blocks/list-range';
import { CalendarEvent } from './calendar-event.entity';
import { ListCalendarEventsQueryDto } from './dto/list-calendar-events.dto';

/** Lists run in start order, ties by id: the keyset the cursor continues from. */
export const CALENDAR_EVENT_ORDER: KeysetOrder<CalendarEvent>[] = [
  { column: 'event.startTime', value: (event) => event.startTime, date: true },
  { column: 'event.id', value: (event) => event.id },
];

/**
 * The busy time pulled from members' calendars (`calendar_events`, filled by src/sync), shown
 * beside the blocks. Every member sees when everyone is busy — that is what planning a team needs
 * — but not what everyone is doing: see `titleVisibility`.
 */
@Injectable()
export class CalendarEventsService {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Events overlapping `[from, to)`, in start order, of calendars that are enabled and read from
   * (`read`/`both`): a calendar danwel no longer reads would show stale busy time. Filters naming
   * another organization's member or calendar simply match nothing.
   */
  list(
    membership: Membership,
    query: ListCalendarEventsQueryDto,
  ): Promise<CursorPage<CalendarEvent>> {
    const { from, to } = listRange(query);
    const events = membership.scope
      .query(this.dataSource.manager, CalendarEvent, 'event')
      .innerJoin(
        'event.calendar',
        'calendar',
        'calendar.organizationId = event.organizationId AND calendar.isEnabled = :enabled ' +
          'AND calendar.syncDirection IN (:...readable)',
        { enabled: true, readable: ['read', 'both'] },
      );
    if (query.user_id !== 'all') {
      const userId = query.user_id === undefined ? membership.userId : Number(query.user_id);
      events.andWhere('event.userId = :userId', { userId });
    }
    if (query.calendar_id !== undefined)
      events.andWhere('event.calendarId = :calendarId', { calendarId: query.calendar_id });
    // Half-open: an event ending exactly at `from` (or starting at `to`) only touches the range.
    // Events have no maximum length (a week's holiday), so the start has no lower bound here.
    events
      .andWhere('event.startTime < :rangeTo', { rangeTo: to })
      .andWhere('event.endTime > :rangeFrom', { rangeFrom: from });
    return paginate(events, CALENDAR_EVENT_ORDER, query);
  }

  /**
   * Whose titles the caller may read. Privacy, as Reclaim and Cal.com do it: a colleague's
   * meeting shows as "Busy" (with its `show_as`), its title stays private — except to the member
   * whose calendar it is and to admins and owners (`integrations:view:all`, who may see every
   * calendar account anyway).
   */
  titleVisibility(membership: Membership): (event: CalendarEvent) => boolean {
    if (can(membership.role, 'integrations:view:all')) return () => true;
    return (event) => event.userId === membership.userId;
  }
}
