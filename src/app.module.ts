import { DynamicModule, Module } from '@nestjs/common';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { CalendarsModule } from './calendars/calendars.module';
import { ClientsModule } from './clients/clients.module';
import { CryptoModule } from './common/crypto/crypto.module';
import { AppConfig, ConfigModule } from './config';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { HousekeepingModule } from './housekeeping/housekeeping.module';
import { IcalFeedsModule } from './ical-feeds/ical-feeds.module';
import { IntegrationsModule } from './integrations/integrations.module';
import { InvitationsModule } from './invitations/invitations.module';
import { JobsModule } from './jobs/jobs.module';
import { MailModule } from './mail/mail.module';
import { MetricsModule } from './metrics/metrics.module';
import { OrganizationsModule } from './organizations/organizations.module';
import { ProjectsModule } from './projects/projects.module';
import { ReportsModule } from './reports/reports.module';
import { TimeBlocksModule } from './time-blocks/time-blocks.module';
import { UsersModule } from './users/users.module';
import { SyncModule } from './sync/sync.module';
import { CalendarEventsModule } from './calendar-events/calendar-events.module';
import { WebhooksModule } from './webhooks/webhooks.module';

/**
 * The whole application. The API, the worker and the CLI all build from this module; what differs
 * is whether an HTTP server listens and whether the job worker polls.
 */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, options: { runWorker: boolean }): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot(config),
        JobsModule.forRoot({ runWorker: options.runWorker }),
        CryptoModule,
        MailModule,
        AuditModule,
        HealthModule,
        MetricsModule,
        HousekeepingModule,
        AuthModule,
        UsersModule,
        OrganizationsModule,
        InvitationsModule,
        ClientsModule,
        ProjectsModule,
        IcalFeedsModule,
        ReportsModule,
        TimeBlocksModule,
        IntegrationsModule,
        SyncModule,
        CalendarsModule,
        CalendarEventsModule,
        WebhooksModule,
      ],
    };
  }
}
