import { Module } from '@nestjs/common';
import { InvoicingProviders } from '../invoicing/invoicing-providers';
import { ProviderHttpModule } from '../providers/provider-http';
import { InvoicingBookingsCache } from '../sync/invoicing-bookings';
import { AccessTokens } from './access-tokens';
import { DepartedConnections } from './departures';
import { DisconnectEvents } from './disconnect-events';
import { IntegrationDisconnectService } from './integration-disconnect.service';
import { IntegrationProviders } from './integration-providers';
import { IntegrationSessions } from './integration-session';
import { IntegrationsController } from './integrations.controller';
import { IntegrationsService } from './integrations.service';
import { InvoicingAccounts } from './invoicing-accounts.service';
import { InvoicingBookingsController } from './invoicing-bookings.controller';
import { InvoicingBookingsService } from './invoicing-bookings.service';
import { InvoicingImportJobs } from './invoicing-import.jobs';
import { InvoicingImport } from './invoicing-import.service';
import { InvoicingWebhookRegistration } from './invoicing-webhook-registration';
import { OAuthCallbackController } from './oauth-callback.controller';
import { PendingGrants } from './pending-grants.service';

@Module({
  imports: [ProviderHttpModule],
  controllers: [IntegrationsController, InvoicingBookingsController, OAuthCallbackController],
  providers: [
    IntegrationsService,
    InvoicingAccounts,
    InvoicingBookingsService,
    InvoicingBookingsCache,
    InvoicingImport,
    InvoicingImportJobs,
    InvoicingWebhookRegistration,
    PendingGrants,
    IntegrationDisconnectService,
    DisconnectEvents,
    DepartedConnections,
    IntegrationProviders,
    InvoicingProviders,
    AccessTokens,
    IntegrationSessions,
  ],
  exports: [
    IntegrationProviders,
    InvoicingProviders,
    AccessTokens,
    IntegrationSessions,
    InvoicingBookingsCache,
  ],
})
export class IntegrationsModule {}
