import { EntityManager } from 'typeorm';
import { JobQueue } from '../jobs/job-queue.service';
import type { Integration } from '../integrations/integration.entity';

/** Checks one invoicing integration's entries for locks and invoices (payload below). */
export const CHECK_INTEGRATION_LOCKS = 'invoicing.check_locks_of';

export interface LockCheckPayload {
  integration_id: number;
  /** Only the blocks booked as these entries; absent: every pushed block of the integration. */
  entry_ids?: string[];
}

/**
 * Enqueues a lock check of the integration in the caller's transaction (a provider's webhook
 * said something changed). A whole-account check already waiting to start covers any other, so
 * a burst of deliveries adds one job.
 */
export async function enqueueLockCheck(
  manager: EntityManager,
  queue: JobQueue,
  integration: Pick<Integration, 'id' | 'organizationId'>,
  entryIds?: string[],
): Promise<void> {
  const payload: LockCheckPayload = {
    integration_id: integration.id,
    ...(entryIds === undefined ? {} : { entry_ids: [...new Set(entryIds)] }),
  };
  const covers = (waiting: Partial<LockCheckPayload>) =>
    waiting.integration_id === integration.id &&
    (waiting.entry_ids === undefined ||
      (entryIds !== undefined && entryIds.every((id) => waiting.entry_ids!.includes(id))));
  await queue.enqueueUnlessWaiting(
    manager,
    CHECK_INTEGRATION_LOCKS,
    { ...payload },
    { organizationId: integration.organizationId, covers },
  );
}
