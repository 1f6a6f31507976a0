import { Module } from '@nestjs/common';
import { InvoicingWebhooksService } from './invoicing-webhooks.service';
import { PushNotificationsService } from './push-notifications.service';
import { WebhooksController } from './webhooks.controller';

/** The providers' push notifications (Google watch channels, Graph subscriptions, invoicing webhooks). */
@Module({
  controllers: [WebhooksController],
  providers: [PushNotificationsService, InvoicingWebhooksService],
})
export class WebhooksModule {}
