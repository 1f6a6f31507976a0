import { Controller, Delete, Get, HttpCode, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Membership } from '../auth/authenticated-user';
import { CurrentMembership, RequirePermission } from '../auth/decorators';
import { presentCalendarFeed } from './calendar-feed.presenter';
import { IcalFeedsService } from './ical-feeds.service';

/** The caller's own secret calendar feed in this organization. Every role may manage its own. */
@ApiTags('ical-feeds')
@Controller('organizations/:organizationId/ical-feed')
export class IcalFeedsController {
  constructor(private readonly feeds: IcalFeedsService) {}

  @Get()
  @RequirePermission('calendar-feed:manage:own')
  @ApiOkResponse({
    description:
      'Whether you have a feed here, since when, and when it was last read. Never the URL.',
  })
  async show(@CurrentMembership() membership: Membership) {
    return presentCalendarFeed(await this.feeds.find(membership));
  }

  @Post()
  @RequirePermission('calendar-feed:manage:own')
  @ApiCreatedResponse({
    description:
      '`{ url, token }`, shown this once. Creates your feed, or rotates it: the previous URL stops working.',
  })
  issue(@CurrentMembership() membership: Membership) {
    return this.feeds.issue(membership);
  }

  @Delete()
  @HttpCode(204)
  @RequirePermission('calendar-feed:manage:own')
  @ApiNoContentResponse({ description: 'Deleted (or there was none): the URL stops working.' })
  async remove(@CurrentMembership() membership: Membership) {
    await this.feeds.remove(membership);
  }
}
