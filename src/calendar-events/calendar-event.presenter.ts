import { CalendarEvent } from './calendar-event.entity';

/** What a colleague's event is called when its title is not the caller's to read. */
export const MASKED_TITLE = 'Busy';

/**
 * An external event as the API shows it: times in UTC, `timezone` the provider's zone for it.
 * `showTitle` false (someone else's event, see `CalendarEventsService.titleVisibility`) replaces
 * the title with "Busy"; the times and `show_as` stay, which is all a planner needs.
 */
export function presentCalendarEvent(event: CalendarEvent, showTitle: boolean) {
  return {
    id: event.id,
    calendar_id: event.calendarId,
    user_id: event.userId,
    title: showTitle ? event.title : MASKED_TITLE,
    start_time: event.startTime.toISOString(),
    end_time: event.endTime.toISOString(),
    is_all_day: event.isAllDay === true,
    show_as: event.showAs ?? 'busy',
    timezone: event.timezone,
    updated_at: event.updatedAt?.toISOString() ?? null,
  };
}
