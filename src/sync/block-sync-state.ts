import { EntityManager, UpdateQueryBuilder } from 'typeorm';
import { SyncStatus, TimeBlock } from '../time-blocks/time-block.entity';
import { UNCONFIRMED_PREFIX } from './event-plan';

/**
 * The one writer of a block's sync state (docs/architecture.md, "Sync state"): per target, its
 * status, version, error, attempts, retry time, where the external copy lives and the digest of
 * what was last written there. Each change of that state is a named transition below; callers
 * pass their entity manager, so a transition commits with the change that causes it.
 *
 * Version-conditional transitions (verdicts) apply only while the row still has the version that
 * was pushed and answer whether they did; facts about the outside world (an event exists, an
 * event is gone) are guarded only by the reference they replace (see "Version-conditional
 * write-back").
 */

/** Where a block is synced to. */
export type SyncTarget = 'calendar' | 'invoicing';
export const SYNC_TARGETS: readonly SyncTarget[] = ['calendar', 'invoicing'];

type Column<P extends keyof TimeBlock> = { property: P; column: string };

interface TargetColumns {
  status: Column<'calendarSyncStatus' | 'invoicingSyncStatus'>;
  version: Column<'syncVersion' | 'invoicingSyncVersion'>;
  error: Column<'syncError' | 'invoicingSyncError'>;
  attempts: Column<'syncAttempts' | 'invoicingSyncAttempts'>;
  retryAt: Column<'syncRetryAt' | 'invoicingSyncRetryAt'>;
  hash: Column<'syncedHash' | 'invoicingSyncedHash'>;
  externalId: Column<'externalCalendarEventId' | 'externalInvoicingEntryId'>;
  /** Where the external copy lives, when the target has several places (calendars). */
  place: Column<'syncedCalendarId'> | null;
  /** SQL: the block has somewhere to put an external copy on this target. */
  placed: string;
}

const TARGETS: Record<SyncTarget, TargetColumns> = {
  calendar: {
    status: { property: 'calendarSyncStatus', column: 'calendar_sync_status' },
    version: { property: 'syncVersion', column: 'sync_version' },
    error: { property: 'syncError', column: 'sync_error' },
    attempts: { property: 'syncAttempts', column: 'sync_attempts' },
    retryAt: { property: 'syncRetryAt', column: 'sync_retry_at' },
    hash: { property: 'syncedHash', column: 'synced_hash' },
    externalId: { property: 'externalCalendarEventId', column: 'external_calendar_event_id' },
    place: { property: 'syncedCalendarId', column: 'synced_calendar_id' },
    placed: 'calendar_id IS NOT NULL',
  },
  invoicing: {
    status: { property: 'invoicingSyncStatus', column: 'invoicing_sync_status' },
    version: { property: 'invoicingSyncVersion', column: 'invoicing_sync_version' },
    error: { property: 'invoicingSyncError', column: 'invoicing_sync_error' },
    attempts: { property: 'invoicingSyncAttempts', column: 'invoicing_sync_attempts' },
    retryAt: { property: 'invoicingSyncRetryAt', column: 'invoicing_sync_retry_at' },
    hash: { property: 'invoicingSyncedHash', column: 'invoicing_synced_hash' },
    externalId: { property: 'externalInvoicingEntryId', column: 'external_invoicing_entry_id' },
    place: null,
    placed: 'is_billable IS NOT NULL AND is_billable <> 0',
  },
};

/** The sync columns, as entity properties with their values. */
export type SyncValues = Partial<
  Pick<
    TimeBlock,
    | 'calendarSyncStatus'
    | 'syncVersion'
    | 'syncError'
    | 'syncAttempts'
    | 'syncRetryAt'
    | 'syncedHash'
    | 'externalCalendarEventId'
    | 'syncedCalendarId'
    | 'invoicingSyncStatus'
    | 'invoicingSyncVersion'
    | 'invoicingSyncError'
    | 'invoicingSyncAttempts'
    | 'invoicingSyncRetryAt'
    | 'invoicingSyncedHash'
    | 'externalInvoicingEntryId'
    | 'lastSyncedAt'
  >
>;

/** A block's sync state on one target, read from the entity. */
export function of(target: SyncTarget, block: TimeBlock) {
  const t = TARGETS[target];
  return {
    status: block[t.status.property],
    version: block[t.version.property] ?? 0,
    attempts: block[t.attempts.property] ?? 0,
    externalId: block[t.externalId.property],
    hash: block[t.hash.property],
  };
}

/** The state of a block that was never synced anywhere (the columns' defaults). */
export function neverSynced(): Required<SyncValues> {
  return {
    calendarSyncStatus: 'disabled',
    syncVersion: 0,
    syncError: null,
    syncAttempts: 0,
    syncRetryAt: null,
    syncedHash: null,
    externalCalendarEventId: null,
    syncedCalendarId: null,
    invoicingSyncStatus: 'disabled',
    invoicingSyncVersion: 0,
    invoicingSyncError: null,
    invoicingSyncAttempts: 0,
    invoicingSyncRetryAt: null,
    invoicingSyncedHash: null,
    externalInvoicingEntryId: null,
    lastSyncedAt: null,
  };
}

/**
 * The block changed: each given target becomes `pending` (it has something to push) or
 * `disabled`, starts over (no error, no backoff), and — when any of them is pending — has its
 * version bumped, so that a push in flight for the old content writes no verdict. Targets not
 * given are left alone (an approval concerns the invoicing entry, not the calendar event).
 *
 * Unlike the other transitions this one writes nothing itself: it updates the entity and returns
 * the values for the caller's own INSERT or UPDATE of the block, so a change is one statement
 * (a 500-block import notices a second one).
 */
export function changed(
  block: SyncValues,
  pending: Partial<Record<SyncTarget, boolean>>,
): SyncValues {
  const targets = SYNC_TARGETS.filter((target) => pending[target] !== undefined);
  const bump = targets.some((target) => pending[target]);
  const values: Record<string, unknown> = {};
  for (const target of targets) {
    const t = TARGETS[target];
    values[t.status.property] = pending[target] ? 'pending' : 'disabled';
    if (bump) values[t.version.property] = (block[t.version.property] ?? 0) + 1;
    values[t.error.property] = null;
    values[t.attempts.property] = 0;
    values[t.retryAt.property] = null;
  }
  Object.assign(block, values);
  return values as SyncValues;
}

/*
 * Calendars that stop or start being writable, in the transaction of that change. Only live
 * blocks placed on the calendars are touched: soft-deleted ones and ones whose old event still
 * waits to be removed are the reconciler's, through `synced_calendar_id`. Both bump the version,
 * so a push in flight for the old state cannot write its verdict over the new one.
 */

/**
 * The calendars are no longer writable: their blocks become `disabled`. Their events stay in the
 * provider as they are — danwel stops updating them, it does not delete them (disconnecting with
 * `remove_events=true` is the way to clean up). Returns how many blocks it disabled.
 */
export function calendarDisabled(
  manager: EntityManager,
  organizationId: number,
  calendarIds: number[],
): Promise<number> {
  return markCalendarBlocks(manager, organizationId, calendarIds, 'disabled');
}

/** The calendars are writable again: their blocks are pushed again from a clean slate. */
export function calendarResumed(
  manager: EntityManager,
  organizationId: number,
  calendarIds: number[],
): Promise<number> {
  return markCalendarBlocks(manager, organizationId, calendarIds, 'pending');
}

async function markCalendarBlocks(
  manager: EntityManager,
  organizationId: number,
  calendarIds: number[],
  status: 'disabled' | 'pending',
): Promise<number> {
  if (calendarIds.length === 0) return 0;
  const query = blocks(manager)
    .set(startOver('calendar', status))
    .where('organization_id = :organizationId', { organizationId })
    .andWhere('calendar_id IN (:...calendarIds)', { calendarIds })
    .andWhere('deleted_at IS NULL');
  if (status === 'disabled') {
    query.andWhere("(calendar_sync_status IS NULL OR calendar_sync_status <> 'disabled')");
  }
  const result = await query.execute();
  return result.affected ?? 0;
}

/**
 * The calendars are going away with their account (a disconnect), before `calendar_id` is
 * cleared: blocks placed on them or holding an event there become `disabled` (when pending,
 * failed or synced) — unless the block still has something to do elsewhere: an event in another
 * account's calendar to remove, or a place in another account's calendar. Then every reference
 * to an event in these calendars is dropped.
 */
export async function calendarsDetached(
  manager: EntityManager,
  organizationId: number,
  calendarIds: number[],
): Promise<void> {
  if (calendarIds.length === 0) return;
  const params = { organizationId, calendarIds };
  await blocks(manager)
    .set(startOver('calendar', 'disabled'))
    .where('organization_id = :organizationId', params)
    .andWhere(
      '(calendar_id IN (:...calendarIds) OR synced_calendar_id IN (:...calendarIds))',
      params,
    )
    .andWhere("calendar_sync_status IN ('pending', 'error', 'synced')")
    .andWhere(
      '(deleted_at IS NOT NULL OR calendar_id IS NULL OR calendar_id IN (:...calendarIds))',
      params,
    )
    .andWhere(
      '(external_calendar_event_id IS NULL OR synced_calendar_id IS NULL OR synced_calendar_id IN (:...calendarIds))',
      params,
    )
    .execute();
  await blocks(manager)
    .set({ syncedCalendarId: null, externalCalendarEventId: null })
    .where('organization_id = :organizationId', params)
    .andWhere('synced_calendar_id IN (:...calendarIds)', params)
    .execute();
}

/** Where a block's external copy is, or may come to be: its id, place and written digest. */
export interface ExternalCopy {
  externalId: string;
  /** The calendar holding the event (calendar target only). */
  calendarId?: number;
  /** Digest of what was written there; null when that is unknown. */
  hash: string | null;
}

/** The blocks an invoicing mapping concerns: a project's, or a member's on the account's projects. */
export type BookedBlocks =
  | { organizationId: number; projectId: number }
  | { organizationId: number; userId: number; integrationId: number };

/**
 * What blocks are booked on in the invoicing system changed (a project's task, a member's
 * provider user): their invoicing side is pushed again from a clean slate, so an entry moves to
 * the new mapping and a block that failed for want of one is booked. Only live billable blocks
 * with an entry or something to push; blocks sent to billing stay as billed. Returns how many.
 */
export async function bookingChanged(manager: EntityManager, which: BookedBlocks): Promise<number> {
  const t = TARGETS.invoicing;
  const query = blocks(manager)
    .set(startOver('invoicing', 'pending'))
    .where('organization_id = :organizationId', { organizationId: which.organizationId })
    .andWhere('deleted_at IS NULL')
    .andWhere(t.placed)
    .andWhere("(approval_status IS NULL OR approval_status <> 'sent_to_billing')")
    .andWhere(`(${t.externalId.column} IS NOT NULL OR ${t.status.column} IN ('pending', 'error'))`);
  if ('projectId' in which) {
    query.andWhere('project_id = :projectId', { projectId: which.projectId });
  } else {
    query
      .andWhere('user_id = :userId', { userId: which.userId })
      .andWhere('project_id IN (SELECT id FROM projects WHERE integration_id = :integrationId)', {
        integrationId: which.integrationId,
      });
  }
  const result = await query.execute();
  return result.affected ?? 0;
}

/**
 * Write-ahead for creates: before a create is sent, the block records where its copy may come to
 * exist — and the digest of what is being sent, so that a pull that finds the event before the
 * answer does sees danwel's own write, not an edit. A worker killed mid-request, a timeout or a
 * lost response then leaves a trace the next round resolves. Only for a block that has no
 * reference yet.
 */
export async function createIntended(
  manager: EntityManager,
  target: SyncTarget,
  blockId: number,
  copy: ExternalCopy,
): Promise<boolean> {
  const t = TARGETS[target];
  const result = await blocks(manager)
    .set(copyValues(t, copy))
    .where(`id = :blockId AND ${t.externalId.column} IS NULL`, { blockId })
    .execute();
  return (result.affected ?? 0) > 0;
}

/**
 * The provider answered a create or update: the block's copy is `copy`, unless the block
 * meanwhile got a different one (another integration created one for a newer placement). A fact,
 * recorded whatever the version; false when it was not (the caller removes the stray copy).
 */
export async function eventRecorded(
  manager: EntityManager,
  target: SyncTarget,
  blockId: number,
  copy: ExternalCopy,
): Promise<boolean> {
  const t = TARGETS[target];
  const same = t.place
    ? `((${t.externalId.column} = :externalId OR ${t.externalId.column} LIKE :unconfirmed)
        AND ${t.place.column} = :place)`
    : `(${t.externalId.column} = :externalId OR ${t.externalId.column} LIKE :unconfirmed)`;
  const result = await blocks(manager)
    .set(copyValues(t, copy))
    .where('id = :blockId', { blockId })
    .andWhere(`(${t.externalId.column} IS NULL OR ${same})`, {
      externalId: copy.externalId,
      place: copy.calendarId ?? null,
      unconfirmed: `${UNCONFIRMED_PREFIX}%`,
    })
    .execute();
  return (result.affected ?? 0) > 0;
}

/**
 * The provider's copy already says what the block says, though its answer was never recorded (a
 * worker died, a response was lost): record the digest, so it is not taken for an edit.
 */
export async function eventConfirmed(
  manager: EntityManager,
  target: SyncTarget,
  blockId: number,
  hash: string,
): Promise<void> {
  const t = TARGETS[target];
  await blocks(manager)
    .set({ [t.hash.property]: hash })
    .where('id = :blockId', { blockId })
    .execute();
}

/**
 * The copy `externalId` no longer exists (deleted by danwel, or gone in the provider): drop the
 * reference, if the block still holds it. `organizationId` adds the tenant to the guard for
 * callers that act on one organization's blocks; `then.startOver` also gives the block a new
 * status (a settled block whose copy vanished becomes `pending` to be pushed again).
 */
export async function eventForgotten(
  manager: EntityManager,
  target: SyncTarget,
  ref: { blockId: number; externalId: string; organizationId?: number },
  then?: { startOver: SyncStatus },
): Promise<boolean> {
  const t = TARGETS[target];
  const query = blocks(manager)
    .set({
      [t.externalId.property]: null,
      ...(t.place ? { [t.place.property]: null } : {}),
      [t.hash.property]: null,
      ...(then ? startOver(target, then.startOver) : {}),
    })
    .where(`id = :blockId AND ${t.externalId.column} = :externalId`, ref);
  if (ref.organizationId !== undefined) {
    query.andWhere('organization_id = :organizationId', ref);
  }
  const result = await query.execute();
  return (result.affected ?? 0) > 0;
}

/**
 * A pending block without a copy and with nowhere to put one (deleted, or taken off the target)
 * has nothing left to sync, whatever its version: settle it, or no worker would ever act on it
 * (no account is responsible for it).
 */
export async function nothingLeft(
  manager: EntityManager,
  target: SyncTarget,
  blockId: number,
): Promise<void> {
  const t = TARGETS[target];
  await blocks(manager)
    .set({
      [t.status.property]: () =>
        "CASE WHEN deleted_at IS NOT NULL THEN 'synced' ELSE 'disabled' END",
      [t.error.property]: null,
      [t.attempts.property]: 0,
      [t.retryAt.property]: null,
    })
    .where('id = :blockId', { blockId })
    .andWhere(`${t.status.column} = 'pending'`)
    .andWhere(`${t.externalId.column} IS NULL`)
    .andWhere(`(deleted_at IS NOT NULL OR NOT (${t.placed}))`)
    .execute();
}

/**
 * The target is in line with the pushed version (`synced`), or has nothing to push it to
 * (`disabled`): no error, no backoff. Version-conditional.
 */
export function settled(
  manager: EntityManager,
  target: SyncTarget,
  block: TimeBlock,
  status: Extract<SyncStatus, 'synced' | 'disabled'>,
  now: Date,
): Promise<boolean> {
  const t = TARGETS[target];
  return verdict(manager, target, block, {
    [t.status.property]: status,
    lastSyncedAt: status === 'synced' ? now : block.lastSyncedAt,
    [t.error.property]: null,
    [t.attempts.property]: 0,
    [t.retryAt.property]: null,
  });
}

/** A retryable failure: the block keeps its place and waits until `retryAt`. Version-conditional. */
export function backedOff(
  manager: EntityManager,
  target: SyncTarget,
  block: TimeBlock,
  failure: { attempts: number; retryAt: Date; error: string },
): Promise<boolean> {
  const t = TARGETS[target];
  return verdict(manager, target, block, {
    [t.attempts.property]: failure.attempts,
    [t.retryAt.property]: failure.retryAt,
    [t.error.property]: failure.error,
  });
}

/** The provider refused the block for good: `error` until the block changes. Version-conditional. */
export function failed(
  manager: EntityManager,
  target: SyncTarget,
  block: TimeBlock,
  error: string,
): Promise<boolean> {
  const t = TARGETS[target];
  return verdict(manager, target, block, {
    [t.status.property]: 'error',
    [t.error.property]: error,
  });
}

/**
 * A pull found the block's event edited by a person and the block took the edit (its content is
 * the caller's to write): the event's digest is recorded and the version moves on. The block is
 * in line with its event — unless it waits for a move to another calendar than `calendarId`.
 */
export async function externallyEdited(
  manager: EntityManager,
  block: TimeBlock,
  event: { calendarId: number; hash: string },
  now: Date,
): Promise<void> {
  await blocks(manager)
    .set({
      syncedHash: event.hash,
      calendarSyncStatus: block.calendarId === event.calendarId ? 'synced' : 'pending',
      syncVersion: () => 'sync_version + 1',
      syncError: null,
      syncAttempts: 0,
      syncRetryAt: null,
      lastSyncedAt: now,
    })
    .where('id = :id', { id: block.id })
    .execute();
}

/**
 * A pull found the block's event deleted by a person. When the deletion wins, the block (which
 * the caller soft-deletes) is in line with it; when the block's own later change wins, its event
 * is made again from a clean slate. Either way the reference is dropped and the version moves on.
 */
export async function externallyDeleted(
  manager: EntityManager,
  block: TimeBlock,
  winner: 'provider' | 'danwel',
  now: Date,
): Promise<void> {
  const forget = { externalCalendarEventId: null, syncedCalendarId: null, syncedHash: null };
  await blocks(manager)
    .set({
      ...forget,
      ...startOver('calendar', winner === 'provider' ? 'synced' : 'pending'),
      ...(winner === 'provider' ? { lastSyncedAt: now } : {}),
    })
    .where('id = :id', { id: block.id })
    .execute();
}

function blocks(manager: EntityManager): UpdateQueryBuilder<TimeBlock> {
  return manager.createQueryBuilder().update(TimeBlock).updateEntity(false);
}

/** A new status with the version moved on and no error or backoff left, in SQL. */
function startOver(target: SyncTarget, status: SyncStatus): Record<string, unknown> {
  const t = TARGETS[target];
  return {
    [t.status.property]: status,
    [t.version.property]: () => `${t.version.column} + 1`,
    [t.attempts.property]: 0,
    [t.retryAt.property]: null,
    [t.error.property]: null,
  };
}

function copyValues(t: TargetColumns, copy: ExternalCopy): Record<string, unknown> {
  return {
    [t.externalId.property]: copy.externalId,
    ...(t.place ? { [t.place.property]: copy.calendarId ?? null } : {}),
    [t.hash.property]: copy.hash,
  };
}

/** Only while the row still has the version that was pushed. */
async function verdict(
  manager: EntityManager,
  target: SyncTarget,
  block: TimeBlock,
  values: Record<string, unknown>,
): Promise<boolean> {
  const t = TARGETS[target];
  const result = await blocks(manager)
    .set(values)
    .where(`id = :id AND ${t.version.column} = :version`, {
      id: block.id,
      version: block[t.version.property] ?? 0,
    })
    .execute();
  return (result.affected ?? 0) > 0;
}
