import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NotFoundError } from '../common/errors/domain.error';
import { inTransaction } from '../database/transaction';
import { JobHandlerRegistry } from '../jobs/job-handler';
import { JobQueue } from '../jobs/job-queue.service';
import {
  enqueueImport,
  IMPORT_EVERY_SECONDS,
  INVOICING_IMPORT,
  INVOICING_IMPORT_ALL,
  InvoicingImportPayload,
} from './invoicing-import-queue';
import { workingInvoicingIntegrations } from './invoicing-integrations';
import { invoicingJobError } from './invoicing-job-errors';
import { InvoicingImport } from './invoicing-import.service';

/**
 * The import as background work: after an account is chosen and every hour. Each integration is
 * its own job, so a provider failure is retried by the worker (with the provider's Retry-After
 * when it throttles) without holding up the others; the import applies all or nothing.
 */
@Injectable()
export class InvoicingImportJobs implements OnModuleInit {
  private readonly logger = new Logger(InvoicingImportJobs.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly registry: JobHandlerRegistry,
    private readonly queue: JobQueue,
    private readonly importer: InvoicingImport,
  ) {}

  onModuleInit(): void {
    this.registry.register<InvoicingImportPayload>(INVOICING_IMPORT, {
      handle: (payload) => this.importOne(payload.integration_id),
    });
    this.registry.registerRecurring(INVOICING_IMPORT_ALL, IMPORT_EVERY_SECONDS, {
      handle: () => this.enqueueAll(),
    });
  }

  private async importOne(integrationId: number): Promise<void> {
    try {
      const counts = await this.importer.importIntegration(integrationId, {
        actor: 'job:invoicing.import',
      });
      if (counts) this.logger.log({ msg: 'invoicing import', integration: integrationId, counts });
    } catch (error) {
      // Disconnected while the job waited: nothing left to import into.
      if (error instanceof NotFoundError) return;
      throw invoicingJobError(error, integrationId);
    }
  }

  /** One import job for every invoicing integration that can be worked with. */
  private async enqueueAll(): Promise<void> {
    const integrations = await workingInvoicingIntegrations(this.dataSource.manager);
    for (const integration of integrations) {
      await inTransaction(this.dataSource, (manager) =>
        enqueueImport(manager, this.queue, integration),
      );
    }
  }
}
