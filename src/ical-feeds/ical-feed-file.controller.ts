import { Controller, Get, Param, Res } from '@nestjs/common';
import {
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiParam,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../auth/decorators';
import { IcalFeedsService } from './ical-feeds.service';

export const ICAL_CONTENT_TYPE = 'text/calendar; charset=utf-8';

/**
 * The subscription URL itself, `GET /ical/<token>.ics` (outside /api/v1: calendar apps expect a
 * plain file). The token is the only credential. The ETag is weak and covers the events, not
 * DTSTAMP, so a poll with If-None-Match answers 304 until something changes (Express does the
 * comparison when the body is sent).
 */
@ApiTags('ical-feeds')
@Controller('ical')
export class IcalFeedFileController {
  constructor(private readonly feeds: IcalFeedsService) {}

  @Get(':token.ics')
  @Public()
  @ApiParam({ name: 'token', description: 'The secret feed token (`cal_…`).' })
  @ApiProduces(ICAL_CONTENT_TYPE)
  @ApiOkResponse({ description: 'RFC 5545 calendar: your blocks from 30 days back to 180 ahead.' })
  @ApiNotFoundResponse({ description: 'Unknown, rotated or deleted feed, or no longer a member.' })
  async show(@Param('token') token: string, @Res({ passthrough: true }) response: Response) {
    const { body, etag } = await this.feeds.render(token);
    response.set({
      'Content-Type': ICAL_CONTENT_TYPE,
      'Cache-Control': 'private, max-age=300',
      ETag: etag,
    });
    return body;
  }
}
