import { Module } from '@nestjs/common';
import { ProviderHttpModule } from '../providers/provider-http';
import { AccessTokens } from './access-tokens';
import { DepartedConnections } from './departures';
import { IntegrationDisconnectService } from './integration-disconnect.service';
import { IntegrationProviders } from './integration-providers';
import { IntegrationSessions } from './integration-session';
import { IntegrationsController } from './integrations.controller';
import { IntegrationsService } from './integrations.service';
import { OAuthCallbackController } from './oauth-callback.controller';
import { PendingGrants } from './pending-grants.service';

@Module({
  imports: [ProviderHttpModule],
  controllers: [IntegrationsController, OAuthCallbackController],
  providers: [
    IntegrationsService,
    PendingGrants,
    IntegrationDisconnectService,
    DepartedConnections,
    IntegrationProviders,
    AccessTokens,
    IntegrationSessions,
  ],
  exports: [IntegrationProviders, AccessTokens, IntegrationSessions],
})
export class IntegrationsModule {}
