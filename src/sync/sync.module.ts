import { Module } from '@nestjs/common';
import { IntegrationsModule } from '../integrations/integrations.module';
import { CalendarPuller } from './calendar-puller';
import { CalendarReconciler } from './calendar-reconciler';
import { InvoicingLocks } from './invoicing-locks';
import { InvoicingReconciler } from './invoicing-reconciler';
import { SyncWorker } from './sync-worker';
import { TimeBlocksModule } from '../time-blocks/time-blocks.module';

/**
 * Pushing blocks to Google Calendar and Microsoft 365, and billable time to Moneybird, Harvest
 * and Xero (docs/architecture.md, "Sync" and "Invoicing").
 */
@Module({
  imports: [IntegrationsModule, TimeBlocksModule],
  providers: [CalendarReconciler, CalendarPuller, InvoicingReconciler, InvoicingLocks, SyncWorker],
  exports: [CalendarReconciler, InvoicingReconciler, InvoicingLocks],
})
export class SyncModule {}
