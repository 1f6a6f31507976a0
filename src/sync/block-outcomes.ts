import { EntityManager } from 'typeorm';
import { backoffSeconds } from '../jobs/backoff';
import { EventWrite, WriteFailure, WriteResult } from '../providers/calendar-events';
import { TimeBlock } from '../time-blocks/time-block.entity';
import * as syncState from './block-sync-state';
import { eventHash } from './event-hash';
import { isUnconfirmed } from './event-plan';

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
 * write-back"), through the transitions of `block-sync-state.ts`. Two kinds of writes,
 * deliberately separate:
 * - facts about the outside world (this event exists in that calendar; that event is gone) are
 *   recorded whatever happened to the block meanwhile, guarded only by the event reference they
 *   replace — losing one would leave an orphan event or a dangling id;
 * - the verdict (`synced`, `error`, backoff) only where the row still has the version that
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
      if (block.deletedAt !== null || block.calendarId === null) {
        const status = block.deletedAt !== null ? 'synced' : 'disabled';
        await syncState.settled(manager, 'calendar', block, status, now);
      }
      continue;
    }
    // A create that found an unconfirmed Graph event (by its transactionId) got that event as it
    // was first written, which may predate the block's last change: an update follows, and until
    // then what the event says is unknown (no digest, so a pull does not mistake it for an edit).
    const resolvedUnconfirmed =
      block.externalCalendarEventId !== null && isUnconfirmed(block.externalCalendarEventId);
    const recorded = await syncState.eventRecorded(manager, 'calendar', block.id, {
      externalId: result.eventId,
      calendarId,
      hash: resolvedUnconfirmed ? null : eventHash(write.event),
    });
    if (!recorded) {
      orphans.push({ calendarExternalId: write.calendarExternalId, eventId: result.eventId });
      continue;
    }
    // In another calendar than the block's, the create only resolved the event to delete.
    if (!resolvedUnconfirmed && block.deletedAt === null && block.calendarId === calendarId) {
      await syncState.settled(manager, 'calendar', block, 'synced', now);
    }
  }
  return orphans;
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
      await syncState.failed(manager, 'calendar', block, message);
      return;
    case 'throttled':
      // The whole integration waits (the caller sets that); the block keeps its place.
      return;
    default:
      await blockBackedOff(manager, 'calendar', block, failure, policy.backoff, now);
  }
}

/** The event `eventId` no longer exists: drop the reference, and settle what has nothing left. */
async function forgetEvent(
  manager: EntityManager,
  blockId: number,
  eventId: string,
): Promise<void> {
  await syncState.eventForgotten(manager, 'calendar', { blockId, externalId: eventId });
  await syncState.nothingLeft(manager, 'calendar', blockId);
}

/**
 * A retryable failure of one block on a target: it waits for its next attempt, after the
 * provider's `Retry-After` when it said, else with backoff. Version-conditional.
 */
export async function blockBackedOff(
  manager: EntityManager,
  target: syncState.SyncTarget,
  block: TimeBlock,
  failure: WriteFailure,
  backoff: BackoffPolicy,
  now: Date,
): Promise<void> {
  const attempts = syncState.of(target, block).attempts + 1;
  const delay = Math.max(failure.retryAfterSeconds ?? 0, backoffSeconds(attempts, backoff));
  await syncState.backedOff(manager, target, block, {
    attempts,
    retryAt: new Date(now.getTime() + delay * 1000),
    error: `${failure.code}: ${failure.message}`.slice(0, 1000),
  });
}
