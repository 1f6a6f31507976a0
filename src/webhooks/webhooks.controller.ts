import {
  applyDecorators,
  Body,
  Controller,
  Headers,
  HttpCode,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiPayloadTooLargeResponse,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../auth/decorators';
import { MalformedNotificationError, googleNotification } from './push-notification';
import { PushNotificationsService } from './push-notifications.service';

const GOOGLE_HEADERS: [string, string][] = [
  ['X-Goog-Channel-ID', 'The watch channel danwel opened for the calendar.'],
  ['X-Goog-Channel-Token', 'The channel’s secret token.'],
  ['X-Goog-Resource-State', '`sync` (the channel’s first message), `exists` or `not_exists`.'],
  ['X-Goog-Resource-ID', 'Google’s id of the watched resource.'],
  ['X-Goog-Message-Number', 'The message’s sequence number.'],
];

const GoogleHeaders = () =>
  applyDecorators(
    ...GOOGLE_HEADERS.map(([name, description]) =>
      ApiHeader({ name, description, required: false }),
    ),
  );

/**
 * Where Google Calendar and Microsoft Graph say that a watched calendar changed. Public (the
 * providers send no bearer token): the channel's secret authenticates each notification (see
 * `PushNotificationsService`). Both answer quickly and with empty bodies; the pull itself is the
 * sync worker's.
 */
@ApiTags('webhooks')
@Controller('webhooks')
export class WebhooksController {
  constructor(private readonly notifications: PushNotificationsService) {}

  @Post('google-calendar')
  @Public()
  @HttpCode(200)
  @GoogleHeaders()
  @ApiOkResponse({ description: 'Empty. The calendar is pulled at once (not for `sync`).' })
  @ApiNotFoundResponse({ description: 'Not a live channel of danwel’s (or a wrong token).' })
  async google(@Headers() headers: Record<string, string | string[] | undefined>) {
    await this.notifications.google(googleNotification(headers));
  }

  /**
   * With `validationToken`: the subscription handshake, answered with the token as text/plain.
   * Otherwise change notifications: 202 whether or not any was authentic.
   */
  @Post('office365')
  @Public()
  @ApiQuery({
    name: 'validationToken',
    required: false,
    description: 'Sent by Graph when a subscription is created: echoed back as text/plain.',
  })
  @ApiBody({
    required: false,
    description: 'Graph change notifications (other fields are allowed and ignored).',
    schema: {
      type: 'object',
      required: ['value'],
      properties: {
        value: {
          type: 'array',
          items: {
            type: 'object',
            required: ['subscriptionId'],
            properties: {
              subscriptionId: { type: 'string' },
              clientState: { type: 'string' },
              changeType: { type: 'string', example: 'updated' },
              resource: { type: 'string' },
            },
          },
        },
      },
    },
  })
  @ApiOkResponse({
    description: 'The handshake: the decoded validationToken, as text/plain.',
    content: { 'text/plain': { schema: { type: 'string' } } },
  })
  @ApiAcceptedResponse({ description: 'Empty. Authentic notifications’ calendars are pulled.' })
  @ApiBadRequestResponse({ description: 'Not JSON, or not `{ value: [{ subscriptionId }] }`.' })
  @ApiPayloadTooLargeResponse({ description: 'Larger than the API’s body limit.' })
  async office365(
    @Query('validationToken') validationToken: unknown,
    @Body() body: unknown,
    @Res() response: Response,
  ): Promise<void> {
    if (validationToken === undefined) {
      await this.notifications.graph(body);
      response.status(202).end();
    } else if (typeof validationToken === 'string') {
      response.status(200).type('text/plain').send(validationToken);
    } else {
      throw new MalformedNotificationError('validationToken must be given once.');
    }
  }
}
