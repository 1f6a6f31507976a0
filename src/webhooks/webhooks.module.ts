import { Module } from '@nestjs/common';
import { PushNotificationsService } from './push-notifications.service';
import { WebhooksController } from './webhooks.controller';

/** The providers' push notifications (Google watch channels, Graph subscriptions). */
@Module({
  controllers: [WebhooksController],
  providers: [PushNotificationsService],
})
export class WebhooksModule {}
