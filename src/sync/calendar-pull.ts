import { EntityManager, In } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { CalendarEvent } from '../calendar-events/calendar-event.entity';
import { Calendar } from '../calendars/calendar.entity';
import { currentTimestamp } from '../database/timestamped.entity';
import { Integration } from '../integrations/integration.entity';
import { ChangePage, ExternalEvent, PullWindow } from '../providers/calendar-changes';
import { TimeBlock } from '../time-blocks/time-block.entity';
import * as syncState from './block-sync-state';
import { eventHash } from './event-hash';
import { removalPending } from './event-plan';

/** What one pull did, for logs and tests. */
export interface PullSummary {
  externalEvents: number;
  removedEvents: number;
  blocksUpdated: number;
  blocksDeleted: number;
  conflicts: number;
}

/**
 * Applies one pull of a calendar (docs/architecture.md, "Pulling back") in the caller's
 * transaction, then stores the new cursor in the same transaction — so the cursor never advances
 * past changes that were not committed.
 *
 * - Events danwel did not make are kept in `calendar_events` (busy time).
 * - danwel's own events (the block id in a private extended property) are compared with the block
 *   through `synced_hash`: unchanged since danwel wrote them → nothing (no echo). Changed in the
 *   provider, on a `both` calendar → the block takes the change, or, if the block changed too
 *   since the last sync, the later change wins and the loser goes to the audit log. Deleted in the
 *   provider → the block is soft-deleted (same rule). `write` calendars are not pulled: danwel
 *   owns their events, and the next change of a block overwrites (or re-creates) its event.
 */
export class CalendarPull {
  private readonly summary: PullSummary = {
    externalEvents: 0,
    removedEvents: 0,
    blocksUpdated: 0,
    blocksDeleted: 0,
    conflicts: 0,
  };
  private readonly actor: string;

  constructor(
    private readonly manager: EntityManager,
    private readonly audit: AuditService,
    private readonly integration: Integration,
    private readonly calendar: Calendar,
    private readonly schedule: {
      readStartedAt: Date;
      nextPullAt: Date;
      window: PullWindow;
      /** `settledOwnEvents` of the calendar, taken before the provider was read. */
      knownBeforeRead: ReadonlySet<string>;
    },
  ) {
    this.actor = `sync:${integration.provider}`;
  }

  async apply(page: ChangePage): Promise<PullSummary> {
    const seen = new Set<string>();
    for (const change of page.changes) {
      if (change.kind === 'removed') {
        await this.removed(change.id);
        continue;
      }
      seen.add(change.event.id);
      if (change.event.blockId !== null) await this.ownEvent(change.event);
      else await this.externalEvent(change.event);
    }
    if (page.full) {
      await this.forgetUnseen(seen);
      await this.missingOwnEvents(seen);
    }
    await this.manager.update(Calendar, this.calendar.id, {
      syncCursor: page.nextCursor,
      lastPulledAt: currentTimestamp(),
    });
    // A push notification that arrived during the read made the calendar due again: keep that.
    await this.manager
      .createQueryBuilder()
      .update(Calendar)
      .set({ nextPullAt: this.schedule.nextPullAt })
      .where('id = :id', { id: this.calendar.id })
      .andWhere('(next_pull_at IS NULL OR next_pull_at <= :readStartedAt)', {
        readStartedAt: this.schedule.readStartedAt,
      })
      .updateEntity(false)
      .execute();
    return this.summary;
  }

  private async externalEvent(event: ExternalEvent): Promise<void> {
    const existing = await this.manager.findOneBy(CalendarEvent, {
      calendarId: this.calendar.id,
      externalId: event.id,
    });
    const row =
      existing ??
      this.manager.create(CalendarEvent, {
        organizationId: this.calendar.organizationId,
        calendarId: this.calendar.id,
        userId: this.integration.connectedById,
        externalId: event.id,
      });
    Object.assign(row, {
      title: event.title.slice(0, 255),
      startTime: event.start,
      endTime: event.end,
      isAllDay: event.isAllDay,
      showAs: event.showAs,
      timezone: event.timeZone?.slice(0, 64) ?? null,
      providerUpdatedAt: event.updatedAt,
    });
    await this.manager.save(row);
    this.summary.externalEvents += 1;
  }

  private async ownEvent(event: ExternalEvent): Promise<void> {
    const block = await this.manager.findOne(TimeBlock, {
      where: { id: event.blockId!, organizationId: this.calendar.organizationId },
      withDeleted: true,
    });
    // Not (or no longer) this block's event: the push side deletes strays it knows of.
    if (!block || block.externalCalendarEventId !== event.id) return;
    if (block.syncedCalendarId !== this.calendar.id || block.deletedAt !== null) return;
    const hash = eventHash(event);
    // Unknown (never confirmed) or equal to what danwel last wrote: not an edit made by a person.
    if (block.syncedHash === null || hash === block.syncedHash) return;
    if (this.calendar.syncDirection !== 'both') return; // danwel owns write calendars
    if (hash === eventHash({ title: block.title, start: block.startTime, end: block.endTime })) {
      // The event already says what the block says: a write of danwel's whose answer was never
      // recorded (a worker died, a response was lost). Record it; nobody edited anything.
      await syncState.eventConfirmed(this.manager, 'calendar', block.id, hash);
      return;
    }

    const blockChanged = block.calendarSyncStatus === 'pending';
    const blockIsLater =
      blockChanged &&
      (event.updatedAt === null ||
        (block.updatedAt !== null && block.updatedAt.getTime() > event.updatedAt.getTime()));
    if (blockIsLater) {
      await this.conflict(block, 'danwel', {
        title: event.title,
        start: event.start,
        end: event.end,
      });
      return; // the push overwrites the event with the block
    }
    if (blockChanged) {
      await this.conflict(block, 'provider', {
        title: block.title,
        start: block.startTime,
        end: block.endTime,
      });
    }
    const oldValues = { title: block.title, start_time: block.startTime, end_time: block.endTime };
    const title = event.title.slice(0, 255);
    const now = currentTimestamp();
    await this.manager.update(TimeBlock, block.id, {
      title,
      startTime: event.start,
      endTime: event.end,
      updatedAt: now,
    });
    await syncState.externallyEdited(
      this.manager,
      block,
      { calendarId: this.calendar.id, hash },
      now,
    );
    await this.record('time_block.updated', block, oldValues, {
      title,
      start_time: event.start,
      end_time: event.end,
    });
    this.summary.blocksUpdated += 1;
  }

  private async removed(externalId: string): Promise<void> {
    const deleted = await this.manager.delete(CalendarEvent, {
      calendarId: this.calendar.id,
      externalId,
    });
    if ((deleted.affected ?? 0) > 0) this.summary.removedEvents += 1;

    const block = await this.manager.findOne(TimeBlock, {
      where: {
        organizationId: this.calendar.organizationId,
        externalCalendarEventId: externalId,
        syncedCalendarId: this.calendar.id,
      },
      withDeleted: true,
    });
    if (!block || block.deletedAt !== null) return; // not ours, or our own delete coming back

    const changedSinceLastPull =
      block.calendarSyncStatus === 'pending' &&
      (this.calendar.lastPulledAt === null ||
        (block.updatedAt !== null && block.updatedAt > this.calendar.lastPulledAt));
    if (this.calendar.syncDirection !== 'both' || removalPending(block)) {
      // A read calendar holds no live blocks (they were disabled with it); and a block that
      // left this calendar wanted the event gone anyway — most likely this is danwel's own
      // delete, seen before its answer was recorded (a worker died in between). Only forget it
      // (and settle the block if that left it nothing to do).
      await syncState.eventForgotten(this.manager, 'calendar', {
        blockId: block.id,
        externalId,
      });
      await syncState.nothingLeft(this.manager, 'calendar', block.id);
      return;
    }
    if (changedSinceLastPull) {
      // The block changed after our last look, so its change is the later one: it wins, and
      // its event is made again.
      await this.conflict(block, 'danwel', { deleted: true });
      await syncState.externallyDeleted(this.manager, block, 'danwel', currentTimestamp());
      return;
    }
    const now = currentTimestamp();
    await syncState.externallyDeleted(this.manager, block, 'provider', now);
    await this.manager.update(TimeBlock, block.id, { deletedAt: now, updatedAt: now });
    await this.record('time_block.deleted', block, {
      title: block.title,
      start_time: block.startTime,
      end_time: block.endTime,
    });
    this.summary.blocksDeleted += 1;
  }

  /** A full read saw everything there is: external events it did not see are gone. */
  private async forgetUnseen(seen: Set<string>): Promise<void> {
    const known = await this.manager.find(CalendarEvent, {
      select: { id: true, externalId: true },
      where: { calendarId: this.calendar.id },
    });
    const gone = known.filter((row) => !seen.has(row.externalId)).map((row) => row.id);
    for (let i = 0; i < gone.length; i += 500) {
      await this.manager.delete(CalendarEvent, { id: In(gone.slice(i, i + 500)) });
    }
    this.summary.removedEvents += gone.length;
  }

  /**
   * A full read lists every event of the window, but not the ones deleted while the cursor was
   * stale (Graph reports no deletions then): a settled block in the window whose event it did not
   * see lost its event in the provider. Only events danwel knew before the read began count: one
   * written meanwhile (by a worker that took the lease over) may be missing from the listing.
   * Pending blocks are left to the push, which finds out.
   */
  private async missingOwnEvents(seen: Set<string>): Promise<void> {
    const blocks = await settledOwnEvents(this.manager, this.calendar.id, this.schedule.window);
    for (const block of blocks) {
      const eventId = block.externalCalendarEventId!;
      if (!seen.has(eventId) && this.schedule.knownBeforeRead.has(eventId)) {
        await this.removed(eventId);
      }
    }
  }

  /** Both sides changed since the last sync; `winner` says whose change stands. */
  private async conflict(
    block: TimeBlock,
    winner: 'danwel' | 'provider',
    lost: Record<string, unknown>,
  ): Promise<void> {
    this.summary.conflicts += 1;
    await this.audit.record(this.manager, {
      action: 'time_block.sync_conflict',
      organizationId: block.organizationId,
      userId: null,
      actor: this.actor,
      auditable: { type: 'time_block', id: block.id },
      newValues: {
        winner,
        calendar_id: this.calendar.id,
        // The change that did not make it, from the losing side.
        lost,
      },
    });
  }

  private record(
    action: string,
    block: TimeBlock,
    oldValues: Record<string, unknown>,
    newValues?: Record<string, unknown>,
  ): Promise<void> {
    return this.audit.record(this.manager, {
      action,
      organizationId: block.organizationId,
      userId: null,
      actor: this.actor,
      auditable: { type: 'time_block', id: block.id },
      oldValues,
      newValues: newValues ?? null,
    });
  }
}

/** The calendar's settled blocks in the window, with the events danwel wrote for them. */
export function settledOwnEvents(
  manager: EntityManager,
  calendarId: number,
  window: PullWindow,
): Promise<TimeBlock[]> {
  return manager
    .getRepository(TimeBlock)
    .createQueryBuilder('block')
    .select(['block.id', 'block.externalCalendarEventId'])
    .where('block.syncedCalendarId = :calendarId', { calendarId })
    .andWhere('block.externalCalendarEventId IS NOT NULL')
    .andWhere('block.calendarSyncStatus = :synced', { synced: 'synced' })
    .andWhere('block.endTime > :from AND block.startTime < :to', window)
    .getMany();
}
