import { EntityManager, IsNull } from 'typeorm';
import { Job } from '../jobs/job.entity';
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
  const waiting = await manager.findBy(Job, {
    type: CHECK_INTEGRATION_LOCKS,
    organizationId: integration.organizationId,
    reservedBy: IsNull(),
    failedAt: IsNull(),
  });
  const covered = (job: Job) => {
    const payload = job.payload as Partial<LockCheckPayload>;
    if (payload.integration_id !== integration.id) return false;
    if (payload.entry_ids === undefined) return true;
    return entryIds !== undefined && entryIds.every((id) => payload.entry_ids!.includes(id));
  };
  if (waiting.some(covered)) return;
  const payload: LockCheckPayload = {
    integration_id: integration.id,
    ...(entryIds === undefined ? {} : { entry_ids: [...new Set(entryIds)] }),
  };
  await queue.enqueue(
    manager,
    CHECK_INTEGRATION_LOCKS,
    { ...payload },
    {
      organizationId: integration.organizationId,
    },
  );
}
