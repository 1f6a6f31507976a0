import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { Calendar } from '../calendars/calendar.entity';
import { inTransaction } from '../database/transaction';
import { CalendarEventsClient, EventWrite } from '../providers/calendar-events';
import * as syncState from '../sync/block-sync-state';
import { TimeBlock } from '../time-blocks/time-block.entity';
import type { OrganizationView } from './integration-disconnect.service';
import { IntegrationSession } from './integration-session';
import { Integration } from './integration.entity';
import { EventsNotRemovedError, providerProblem } from './integration.errors';

/** An event danwel created, to delete before disconnecting. */
interface DanwelEvent {
  blockId: number;
  calendarExternalId: string;
  eventId: string;
}

/**
 * A disconnect with `remove_events=true`: every event danwel created in the account's calendars —
 * of live and soft-deleted blocks alike — deleted in the provider's batches, through the
 * disconnect's integration session (its lease, one token refresh on 401). The ones removed are
 * forgotten on their blocks even when others could not be.
 */
@Injectable()
export class DisconnectEvents {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  /**
   * Deletes danwel's events in the account's calendars, `maxBatchSize` at a time. Returns how many
   * were removed; throws EventsNotRemovedError (after recording the removed ones) when some were
   * not, and the problem of the token or provider when it cannot start at all.
   */
  async removeAll(
    membership: OrganizationView,
    integration: Integration,
    client: CalendarEventsClient,
    session: IntegrationSession,
  ): Promise<number> {
    const events = await this.danwelEvents(membership, integration.id);
    if (events.length === 0) return 0;

    const removed: DanwelEvent[] = [];
    let failed = 0;
    let reason = '';
    for (let start = 0; start < events.length; start += client.maxBatchSize) {
      if (start > 0 && !(await session.renew())) {
        failed += events.length - start;
        reason ||= 'the disconnect took too long';
        break;
      }
      const chunk = events.slice(start, start + client.maxBatchSize);
      let results;
      try {
        results = await session.apply(client, chunk.map(deleteWrite));
      } catch (error) {
        throw providerProblem(integration.id, error);
      }
      chunk.forEach((event, i) => {
        const result = results[i];
        // The events clients count 404/410 on delete as done; `gone` is the same news.
        if (result.ok || result.failure.kind === 'gone') removed.push(event);
        else {
          failed += 1;
          reason ||= result.failure.code;
        }
      });
    }

    if (failed > 0) {
      await inTransaction(this.dataSource, async (manager) => {
        await this.forgetEvents(manager, membership, removed);
        await this.audit.record(manager, {
          action: 'integration.events_removal_failed',
          organizationId: membership.organizationId,
          auditable: { type: 'integration', id: integration.id },
          newValues: { events_removed: removed.length, events_not_removed: failed, reason },
        });
      });
      throw new EventsNotRemovedError(removed.length, failed, reason);
    }
    return removed.length;
  }

  /** Every event danwel holds in the account's calendars: blocks' `synced_calendar_id` there. */
  private async danwelEvents(
    membership: OrganizationView,
    integrationId: number,
  ): Promise<DanwelEvent[]> {
    const rows = await membership.scope
      .query(this.dataSource.manager, TimeBlock, 'block')
      .withDeleted()
      .innerJoin(
        Calendar,
        'calendar',
        'calendar.id = block.syncedCalendarId AND calendar.organizationId = block.organizationId',
      )
      .andWhere('calendar.integrationId = :integrationId', { integrationId })
      .andWhere('block.externalCalendarEventId IS NOT NULL')
      .select('block.id', 'block_id')
      .addSelect('block.externalCalendarEventId', 'event_id')
      .addSelect('calendar.externalId', 'calendar_external_id')
      .orderBy('block.id', 'ASC')
      .getRawMany<{ block_id: number | string; event_id: string; calendar_external_id: string }>();
    return rows.map((row) => ({
      blockId: Number(row.block_id),
      calendarExternalId: row.calendar_external_id,
      eventId: row.event_id,
    }));
  }

  /** Drops the references to events that are gone (only while the block still holds them). */
  private async forgetEvents(
    manager: EntityManager,
    membership: OrganizationView,
    events: DanwelEvent[],
  ): Promise<void> {
    for (const event of events) {
      await syncState.eventForgotten(manager, 'calendar', {
        blockId: event.blockId,
        externalId: event.eventId,
        organizationId: membership.organizationId,
      });
    }
  }
}

const deleteWrite = (event: DanwelEvent): EventWrite => ({
  kind: 'delete',
  calendarExternalId: event.calendarExternalId,
  eventId: event.eventId,
});
