import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { Membership } from '../auth/authenticated-user';
import { CurrentMembership, RequirePermission } from '../auth/decorators';
import { presentCalendarEvent } from './calendar-event.presenter';
import { CalendarEventsService } from './calendar-events.service';
import { ListCalendarEventsQueryDto } from './dto/list-calendar-events.dto';

/** Busy time: the events of members' calendars that danwel did not make, pulled by the sync. */
@ApiTags('calendar-events')
@Controller('organizations/:organizationId/calendar-events')
export class CalendarEventsController {
  constructor(private readonly events: CalendarEventsService) {}

  /** Events overlapping `[from, to)`, in start order. */
  @Get()
  @RequirePermission('calendars:view')
  @ApiOkResponse({
    description:
      '`{ data: [{ id, calendar_id, user_id, title, start_time, end_time, is_all_day, show_as, ' +
      'timezone, updated_at }], next_cursor }`. Other members’ events are titled "Busy" unless ' +
      'you are an admin or owner.',
  })
  @ApiUnprocessableEntityResponse({ description: 'A bad range or filter, named in `errors`.' })
  async list(
    @CurrentMembership() membership: Membership,
    @Query() query: ListCalendarEventsQueryDto,
  ) {
    const page = await this.events.list(membership, query);
    const showTitle = this.events.titleVisibility(membership);
    return {
      data: page.data.map((event) => presentCalendarEvent(event, showTitle(event))),
      next_cursor: page.next_cursor,
    };
  }
}
