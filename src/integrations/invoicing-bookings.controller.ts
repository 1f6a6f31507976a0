import { Body, Controller, Get, Param, Put, Query } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiParam,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { Membership } from '../auth/authenticated-user';
import { CurrentMembership, RequirePermission } from '../auth/decorators';
import { ParseIdPipe } from '../common/http/parse-id.pipe';
import {
  BookingsQueryDto,
  ChooseBookedTaskDto,
  ChooseBookedUserDto,
  InvoicingBookingsDto,
  MemberBookingDto,
  ProjectBookingDto,
} from './dto/invoicing-bookings.dto';
import {
  presentBookings,
  presentMemberBooking,
  presentProjectBooking,
} from './invoicing-bookings.presenter';
import { InvoicingBookingsService } from './invoicing-bookings.service';

const FORBIDDEN =
  'Not an admin or owner: the mappings show the provider account’s users and their addresses. ' +
  'A member sees why a block of theirs cannot be booked on the block (`invoicing_sync_error`).';

/**
 * What an invoicing integration books time on: each imported project's task and each member's
 * provider user, with defaults and a person's choices. Admins and owners only.
 */
@ApiTags('integrations')
@Controller('organizations/:organizationId/integrations/:integrationId/bookings')
export class InvoicingBookingsController {
  constructor(private readonly bookings: InvoicingBookingsService) {}

  @Get()
  @RequirePermission('integrations:connect:invoicing')
  @ApiParam({ name: 'integrationId', type: 'integer', description: 'An invoicing integration.' })
  @ApiOkResponse({
    type: InvoicingBookingsDto,
    description:
      'A page of projects with their tasks (`next_cursor`), each member with their provider ' +
      'user, and gaps.',
  })
  @ApiUnprocessableEntityResponse({ description: 'A bad `cursor` or `limit`, named in `errors`.' })
  @ApiForbiddenResponse({ description: FORBIDDEN })
  @ApiNotFoundResponse({ description: 'No integration of this organization.' })
  @ApiConflictResponse({
    description: 'Not an invoicing integration, no account chosen yet, or `needs_reconnect`.',
  })
  @ApiBadGatewayResponse({ description: 'The provider failed; try again later.' })
  async list(
    @CurrentMembership() membership: Membership,
    @Param('integrationId', new ParseIdPipe('Integration')) integrationId: number,
    @Query() query: BookingsQueryDto,
  ): Promise<InvoicingBookingsDto> {
    return presentBookings(await this.bookings.list(membership, integrationId, query));
  }

  @Put('projects/:projectId')
  @RequirePermission('integrations:connect:invoicing')
  @ApiParam({ name: 'integrationId', type: 'integer', description: 'An invoicing integration.' })
  @ApiParam({ name: 'projectId', type: 'integer', description: 'A project imported by it.' })
  @ApiOkResponse({
    type: ProjectBookingDto,
    description:
      'The project’s time is booked on this task from now on; its billable blocks are pushed ' +
      'again, so booked entries move to the task and blocks that could not be booked are.',
  })
  @ApiUnprocessableEntityResponse({ description: 'Not one of the project’s bookable tasks.' })
  @ApiForbiddenResponse({ description: FORBIDDEN })
  @ApiNotFoundResponse({ description: 'No such integration, or no project imported by it.' })
  @ApiConflictResponse({
    description: 'The provider books without tasks (Moneybird), or as for the listing.',
  })
  @ApiBadGatewayResponse({ description: 'The provider failed; nothing was changed.' })
  async chooseTask(
    @CurrentMembership() membership: Membership,
    @Param('integrationId', new ParseIdPipe('Integration')) integrationId: number,
    @Param('projectId', new ParseIdPipe('Project')) projectId: number,
    @Body() body: ChooseBookedTaskDto,
  ): Promise<ProjectBookingDto> {
    return presentProjectBooking(
      await this.bookings.chooseTask(membership, integrationId, projectId, body.task_external_id),
    );
  }

  @Put('members/:userId')
  @RequirePermission('integrations:connect:invoicing')
  @ApiParam({ name: 'integrationId', type: 'integer', description: 'An invoicing integration.' })
  @ApiParam({ name: 'userId', type: 'integer', description: 'A member’s user id.' })
  @ApiOkResponse({
    type: MemberBookingDto,
    description:
      'The member’s time is booked for this provider user from now on; their billable blocks ' +
      'on the integration’s projects are pushed again.',
  })
  @ApiUnprocessableEntityResponse({ description: 'Not an active user of the provider account.' })
  @ApiForbiddenResponse({ description: FORBIDDEN })
  @ApiNotFoundResponse({ description: 'No such integration, or no member with this user id.' })
  @ApiConflictResponse({
    description: 'The provider books for the connected account (Harvest), or as for the listing.',
  })
  @ApiBadGatewayResponse({ description: 'The provider failed; nothing was changed.' })
  async chooseUser(
    @CurrentMembership() membership: Membership,
    @Param('integrationId', new ParseIdPipe('Integration')) integrationId: number,
    @Param('userId', new ParseIdPipe('Member')) userId: number,
    @Body() body: ChooseBookedUserDto,
  ): Promise<MemberBookingDto> {
    const chosen = await this.bookings.chooseUser(
      membership,
      integrationId,
      userId,
      body.user_external_id,
    );
    return presentMemberBooking(chosen, chosen.users);
  }
}
