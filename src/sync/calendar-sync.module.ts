import { Module } from '@nestjs/common';
import { IntegrationsModule } from '../integrations/integrations.module';
import { CalendarPuller } from './calendar-puller';
import { CalendarReconciler } from './calendar-reconciler';
import { CalendarSyncWorker } from './calendar-sync-worker';

/** Pushing blocks to Google Calendar and Microsoft 365 (docs/architecture.md, "Sync"). */
@Module({
  imports: [IntegrationsModule],
  providers: [CalendarReconciler, CalendarPuller, CalendarSyncWorker],
  exports: [CalendarReconciler],
})
export class CalendarSyncModule {}
