import { Module } from '@nestjs/common';
import { ProviderHttpModule } from '../providers/provider-http';
import { IntegrationProviders } from './integration-providers';
import { IntegrationsController } from './integrations.controller';
import { IntegrationsService } from './integrations.service';
import { OAuthCallbackController } from './oauth-callback.controller';

@Module({
  imports: [ProviderHttpModule],
  controllers: [IntegrationsController, OAuthCallbackController],
  providers: [IntegrationsService, IntegrationProviders],
})
export class IntegrationsModule {}
