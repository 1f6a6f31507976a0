import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiConflictResponse,
  ApiOkResponse,
  ApiParam,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { Membership } from '../auth/authenticated-user';
import { CurrentMembership, RequirePermission } from '../auth/decorators';
import { ParseIdPipe } from '../common/http/parse-id.pipe';
import { presentCalendar } from './calendar.presenter';
import { CalendarRefreshService } from './calendar-refresh.service';
import { CalendarsService } from './calendars.service';
import { CalendarQueryDto, UpdateCalendarDto } from './dto/calendar.dto';

const CalendarParam = () =>
  ApiParam({ name: 'calendarId', type: 'integer', description: 'The calendar.' });

/** The organization's calendars, from every connected Google and Microsoft 365 account. */
@ApiTags('calendars')
@Controller('organizations/:organizationId')
export class CalendarsController {
  constructor(
    private readonly calendars: CalendarsService,
    private readonly refresher: CalendarRefreshService,
  ) {}

  @Get('calendars')
  @RequirePermission('calendars:view')
  @ApiOkResponse({
    description:
      'Every calendar of the organization, by name, with its account and the member who ' +
      'connected it. `usable`: you can plan your own blocks onto it (it is writable, and yours ' +
      'or shared with the organization).',
  })
  async list(@CurrentMembership() membership: Membership, @Query() query: CalendarQueryDto) {
    const page = await this.calendars.list(membership, query);
    return {
      data: page.data.map((calendar) => presentCalendar(calendar, membership)),
      next_cursor: page.next_cursor,
    };
  }

  @Patch('calendars/:calendarId')
  @CalendarParam()
  @RequirePermission('integrations:manage:own')
  @ApiOkResponse({ description: 'The calendar. Its blocks follow in the same transaction.' })
  @ApiUnprocessableEntityResponse({ description: 'Invalid fields, named in `errors`.' })
  async update(
    @CurrentMembership() membership: Membership,
    @Param('calendarId', new ParseIdPipe('Calendar')) calendarId: number,
    @Body() dto: UpdateCalendarDto,
  ) {
    return presentCalendar(await this.calendars.update(membership, calendarId, dto), membership);
  }

  @Post('integrations/:integrationId/calendars/refresh')
  @HttpCode(200)
  @ApiParam({ name: 'integrationId', type: 'integer', description: 'The integration.' })
  @RequirePermission('integrations:manage:own')
  @ApiOkResponse({ description: 'The account’s calendars as the provider lists them now.' })
  @ApiConflictResponse({ description: '`code: needs_reconnect`: connect the account again.' })
  @ApiBadGatewayResponse({ description: 'The provider failed; nothing was changed.' })
  @ApiServiceUnavailableResponse({ description: 'The token endpoint failed; nothing changed.' })
  async refresh(
    @CurrentMembership() membership: Membership,
    @Param('integrationId', new ParseIdPipe('Integration')) integrationId: number,
  ) {
    const calendars = await this.refresher.refresh(membership, integrationId);
    return { data: calendars.map((calendar) => presentCalendar(calendar, membership)) };
  }
}
