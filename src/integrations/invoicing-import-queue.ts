import { EntityManager } from 'typeorm';
import { JobQueue } from '../jobs/job-queue.service';
import { Integration } from './integration.entity';

/** Imports one invoicing integration's contacts and projects (payload `integration_id`). */
export const INVOICING_IMPORT = 'invoicing.import';
/** Enqueues an import of every active invoicing integration. */
export const INVOICING_IMPORT_ALL = 'invoicing.import_all';
/**
 * Hourly: clients and projects change rarely, a later import asks only for changes, and an
 * import right after choosing the account (and on request) covers the first hour.
 */
export const IMPORT_EVERY_SECONDS = 3600;

export interface InvoicingImportPayload {
  integration_id: number;
}

/**
 * Enqueues an import of the integration in the caller's transaction, unless one is already
 * waiting to start. One invoicing integration per organization: the organization names the
 * job's target.
 */
export async function enqueueImport(
  manager: EntityManager,
  queue: JobQueue,
  integration: Pick<Integration, 'id' | 'organizationId'>,
): Promise<void> {
  const payload: InvoicingImportPayload = { integration_id: integration.id };
  await queue.enqueueUnlessWaiting(
    manager,
    INVOICING_IMPORT,
    { ...payload },
    {
      organizationId: integration.organizationId,
    },
  );
}
