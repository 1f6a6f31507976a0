import {
  applyDecorators,
  Body,
  Controller,
  Headers,
  HttpCode,
  Param,
  Post,
  Query,
  RawBodyRequest,
  Req,
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
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../auth/decorators';
import { MalformedNotificationError, googleNotification } from './push-notification';
import { InvoicingWebhooksService } from './invoicing-webhooks.service';
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
 * Where Google Calendar and Microsoft Graph say that a watched calendar changed, and the invoicing
 * providers that a record changed. Public (the providers send no bearer token): a secret
 * authenticates each delivery (see `PushNotificationsService`, `InvoicingWebhooksService`). All
 * answer quickly and with empty bodies; the work is the workers'.
 */
@ApiTags('webhooks')
@Controller('webhooks')
export class WebhooksController {
  constructor(
    private readonly notifications: PushNotificationsService,
    private readonly invoicing: InvoicingWebhooksService,
  ) {}

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

  /** The webhook danwel registered in a Moneybird administration for integration `:id`. */
  @Post('moneybird/:integrationId')
  @Public()
  @HttpCode(200)
  @ApiBody({
    description: 'A Moneybird webhook delivery (other fields are allowed and ignored).',
    schema: {
      type: 'object',
      properties: {
        administration_id: { type: 'string' },
        webhook_id: { type: 'string' },
        webhook_token: { type: 'string' },
        entity_type: { type: 'string', example: 'TimeEntry' },
        entity_id: { type: 'string' },
        state: { type: 'string', nullable: true },
        action: { type: 'string', example: 'time_entry_sales_invoice_created' },
        entity: { type: 'object' },
      },
    },
  })
  @ApiOkResponse({ description: 'Empty. The entry is checked, or contacts and projects imported.' })
  @ApiUnauthorizedResponse({ description: 'Not the webhook’s token.' })
  @ApiNotFoundResponse({ description: 'Not a webhook danwel registered for this integration.' })
  @ApiBadRequestResponse({ description: 'Not a JSON object.' })
  async moneybird(
    @Param('integrationId') integrationId: string,
    @Req() request: RawBodyRequest<Request>,
    @Body() body: unknown,
  ): Promise<void> {
    const id = /^\d{1,15}$/.test(integrationId) ? Number(integrationId) : NaN;
    await this.invoicing.moneybird(id, body, request.rawBody);
  }

  /** Xero's webhook (configured in its developer portal), its intent-to-receive check included. */
  @Post('xero')
  @Public()
  @HttpCode(200)
  @ApiHeader({
    name: 'x-xero-signature',
    description: 'base64(HMAC-SHA256(raw body, the webhook key)).',
    required: true,
  })
  @ApiBody({
    description: 'Xero webhook events (other fields are allowed and ignored).',
    schema: {
      type: 'object',
      required: ['events'],
      properties: {
        events: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              resourceId: { type: 'string' },
              eventCategory: { type: 'string', example: 'INVOICE' },
              eventType: { type: 'string', example: 'CREATE' },
              tenantId: { type: 'string' },
            },
          },
        },
        firstEventSequence: { type: 'integer' },
        lastEventSequence: { type: 'integer' },
        entropy: { type: 'string' },
      },
    },
  })
  @ApiOkResponse({
    description: 'Empty. The tenant’s entries are checked, or its contacts imported.',
  })
  @ApiUnauthorizedResponse({ description: 'Not signed with the webhook key.' })
  @ApiNotFoundResponse({ description: 'No Xero webhook key is configured.' })
  @ApiBadRequestResponse({ description: 'Signed, but not `{ events: [...] }`.' })
  async xero(
    @Req() request: RawBodyRequest<Request>,
    @Headers('x-xero-signature') signature: unknown,
    @Body() body: unknown,
  ): Promise<void> {
    await this.invoicing.xero(
      request.rawBody,
      typeof signature === 'string' ? signature : null,
      body,
    );
  }
}
