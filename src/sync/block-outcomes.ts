import { EntityManager } from 'typeorm';
import { backoffSeconds } from '../jobs/backoff';
import { EventWrite, WriteFailure, WriteResult } from '../providers/calendar-events';
import { SyncStatus, TimeBlock } from '../time-blocks/time-block.entity';
import { eventHash } from './event-hash';
import { isUnconfirmed, UNCONFIRMED_PREFIX } from './event-plan';

/** One block's write and what the provider said. */
export interface BlockOutcome {
  block: TimeBlock;
  write: EventWrite;
  /** Where a create/update went (the calendar's id), to record with the event id. */
  calendarId: number;
  result: WriteResult;
}

export interface BackoffPolicy {
  baseSeconds: number;
  capSeconds: number;
}

export interface OutcomePolicy {
  backoff: BackoffPolicy;
  /** What to record for a create that got no answer (see `UNCONFIRMED_PREFIX`). */
  unconfirmedEventId(blockId: number, calendarId: number): string;
}

/**
 * Writing the provider's answers back onto the blocks (docs/architecture.md, "Version-conditional
 * write-back"). Two kinds of writes, deliberately separate:
 * - facts about the outside world (this event exists in that calendar; that event is gone) are
 *   recorded whatever happened to the block meanwhile, guarded only by the event reference they
 *   replace — losing one would leave an orphan event or a dangling id;
 * - the verdict (`synced`, `error`, backoff) only where the row still has the `sync_version` that
 *   was pushed: an edit made during the push leaves the block pending, and it is pushed again.
 *
 * Returns the event ids danwel created but could not record because the block meanwhile got
 * another event (a cross-integration race on a moved block): the caller deletes them.
 */
export async function recordOutcomes(
  manager: EntityManager,
  outcomes: BlockOutcome[],
  policy: OutcomePolicy,
  now: Date,
): Promise<Array<{ calendarExternalId: string; eventId: string }>> {
  const orphans: Array<{ calendarExternalId: string; eventId: string }> = [];
  for (const { block, write, calendarId, result } of outcomes) {
    if (!result.ok) {
      await recordFailure(manager, block, write, result.failure, policy, now);
      continue;
    }
    if (write.kind === 'delete') {
      await forgetEvent(manager, block.id, write.eventId);
      // A deleted block or one without a calendar is done; a moved one waits for its create.
      if (block.deletedAt !== null) await settle(manager, block, 'synced', now);
      else if (block.calendarId === null) await settle(manager, block, 'disabled', now);
      continue;
    }
    // A create that found an unconfirmed Graph event (by its transactionId) got that event as it
    // was first written, which may predate the block's last change: an update follows, and until
    // then what the event says is unknown (no digest, so a pull does not mistake it for an edit).
    const resolvedUnconfirmed =
      block.externalCalendarEventId !== null && isUnconfirmed(block.externalCalendarEventId);
    const recorded = await rememberEvent(
      manager,
      block.id,
      result.eventId,
      calendarId,
      resolvedUnconfirmed ? null : eventHash(write.event),
    );
    if (!recorded) {
      orphans.push({ calendarExternalId: write.calendarExternalId, eventId: result.eventId });
      continue;
    }
    // In another calendar than the block's, the create only resolved the event to delete.
    if (!resolvedUnconfirmed && block.deletedAt === null && block.calendarId === calendarId) {
      await settle(manager, block, 'synced', now);
    }
  }
  return orphans;
}

/** Settles a block without the provider (nothing to do, or its calendar is not writable). */
export async function settle(
  manager: EntityManager,
  block: TimeBlock,
  status: Extract<SyncStatus, 'synced' | 'disabled'>,
  now: Date,
): Promise<void> {
  await verdict(manager, block, {
    calendarSyncStatus: status,
    lastSyncedAt: status === 'synced' ? now : block.lastSyncedAt,
    syncError: null,
    syncAttempts: 0,
    syncRetryAt: null,
  });
}

async function recordFailure(
  manager: EntityManager,
  block: TimeBlock,
  write: EventWrite,
  failure: WriteFailure,
  policy: OutcomePolicy,
  now: Date,
): Promise<void> {
  const message = `${failure.code}: ${failure.message}`.slice(0, 1000);
  if (failure.kind === 'gone' && write.kind !== 'create') {
    // The event was deleted in the provider: forget it, and the next round creates it again.
    await forgetEvent(manager, block.id, write.eventId);
    return;
  }
  switch (failure.kind) {
    case 'permanent':
      await verdict(manager, block, { calendarSyncStatus: 'error', syncError: message });
      return;
    case 'throttled':
      // The whole integration waits (the caller sets that); the block keeps its place.
      return;
    default: {
      const attempts = block.syncAttempts + 1;
      const delay = Math.max(
        failure.retryAfterSeconds ?? 0,
        backoffSeconds(attempts, policy.backoff),
      );
      await verdict(manager, block, {
        syncAttempts: attempts,
        syncRetryAt: new Date(now.getTime() + delay * 1000),
        syncError: message,
      });
    }
  }
}

/** Only while the row still has the version that was pushed. */
async function verdict(
  manager: EntityManager,
  block: TimeBlock,
  values: Partial<
    Pick<
      TimeBlock,
      'calendarSyncStatus' | 'lastSyncedAt' | 'syncError' | 'syncAttempts' | 'syncRetryAt'
    >
  >,
): Promise<void> {
  await manager
    .createQueryBuilder()
    .update(TimeBlock)
    .set(values)
    .where('id = :id AND sync_version = :version', { id: block.id, version: block.syncVersion })
    .updateEntity(false)
    .execute();
}

/**
 * Records that the block's event is `eventId` in calendar `calendarId`, unless the block meanwhile
 * got a different event (another integration created one for a newer placement).
 */
async function rememberEvent(
  manager: EntityManager,
  blockId: number,
  eventId: string,
  calendarId: number,
  syncedHash: string | null,
): Promise<boolean> {
  const result = await manager
    .createQueryBuilder()
    .update(TimeBlock)
    .set({ externalCalendarEventId: eventId, syncedCalendarId: calendarId, syncedHash })
    .where('id = :blockId', { blockId })
    .andWhere(
      `(external_calendar_event_id IS NULL
        OR ((external_calendar_event_id = :eventId OR external_calendar_event_id LIKE :unconfirmed)
            AND synced_calendar_id = :calendarId))`,
      { eventId, calendarId, unconfirmed: `${UNCONFIRMED_PREFIX}%` },
    )
    .updateEntity(false)
    .execute();
  return (result.affected ?? 0) > 0;
}

/**
 * Write-ahead for creates: before a create is sent, the block records where its event may come
 * to exist (`eventId` in `calendarId`). A worker killed mid-request, a timeout or a lost response
 * then leaves a trace the next round resolves (update it, or delete it if the block moved),
 * instead of an event nobody knows about. Only for a block that has no event reference yet.
 */
export async function rememberUnconfirmed(
  manager: EntityManager,
  blockId: number,
  eventId: string,
  calendarId: number,
  syncedHash: string,
): Promise<void> {
  await manager
    .createQueryBuilder()
    .update(TimeBlock)
    // The digest of what is being sent, too: a pull that finds the event before the answer
    // does must see danwel's own write, not an edit.
    .set({ externalCalendarEventId: eventId, syncedCalendarId: calendarId, syncedHash })
    .where('id = :blockId AND external_calendar_event_id IS NULL', { blockId })
    .updateEntity(false)
    .execute();
}

/** The event `eventId` no longer exists: drop the reference, if the block still holds it. */
async function forgetEvent(
  manager: EntityManager,
  blockId: number,
  eventId: string,
): Promise<void> {
  await manager
    .createQueryBuilder()
    .update(TimeBlock)
    .set({ externalCalendarEventId: null, syncedCalendarId: null })
    .where('id = :blockId AND external_calendar_event_id = :eventId', { blockId, eventId })
    .updateEntity(false)
    .execute();
  await settleIfNothingLeft(manager, blockId);
}

/**
 * A pending block without an event and with nowhere to put one (deleted, or taken off its
 * calendar) has nothing left to sync, whatever its version: settle it, or no worker would ever
 * act on it (no calendar's account is responsible for it).
 */
export async function settleIfNothingLeft(manager: EntityManager, blockId: number): Promise<void> {
  await manager
    .createQueryBuilder()
    .update(TimeBlock)
    .set({
      calendarSyncStatus: () =>
        "CASE WHEN deleted_at IS NOT NULL THEN 'synced' ELSE 'disabled' END",
      syncError: null,
      syncAttempts: 0,
      syncRetryAt: null,
    })
    .where('id = :blockId', { blockId })
    .andWhere("calendar_sync_status = 'pending'")
    .andWhere('external_calendar_event_id IS NULL')
    .andWhere('(deleted_at IS NOT NULL OR calendar_id IS NULL)')
    .updateEntity(false)
    .execute();
}
