import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { Membership } from '../auth/authenticated-user';
import { ConflictError, NotFoundError } from '../common/errors/domain.error';
import { currentTimestamp } from '../database/timestamped.entity';
import { inTransaction, isSqlite } from '../database/transaction';
import { manageableIntegrations } from '../integrations/integration-access';
import { isBeingDisconnected, IntegrationSessions } from '../integrations/integration-session';
import { Integration } from '../integrations/integration.entity';
import { providerProblem } from '../integrations/integration.errors';
import { IntegrationProviders, isCalendarProvider } from '../integrations/integration-providers';
import { ProviderCalendar, ProviderError } from '../providers/calendar-provider';
import { TimeBlock } from '../time-blocks/time-block.entity';
import * as syncState from '../sync/block-sync-state';
import { applyProviderCalendar, discoveredCalendar, isWritable } from './calendar-blocks';
import { Calendar } from './calendar.entity';
import { CalendarsService } from './calendars.service';

/**
 * Re-reads an account's calendar list from the provider (a calendar added, renamed, recoloured or
 * deleted there since it was connected). Nothing changes unless the provider answered.
 */
@Injectable()
export class CalendarRefreshService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly providers: IntegrationProviders,
    private readonly sessions: IntegrationSessions,
    private readonly calendars: CalendarsService,
  ) {}

  async refresh(membership: Membership, integrationId: number): Promise<Calendar[]> {
    const integration = await manageableIntegrations(this.dataSource.manager, membership)
      .andWhere('integration.id = :integrationId', { integrationId })
      .getOne();
    if (!integration) throw new NotFoundError('Integration');
    assertNotDisconnecting(integration);

    let found: ProviderCalendar[];
    try {
      found = await this.listAtProvider(integration);
    } catch (error) {
      throw providerProblem(integration.id, error);
    }

    return inTransaction(this.dataSource, async (manager) => {
      // Locked, so that two refreshes (or a refresh and a disconnect) take turns.
      const query = manageableIntegrations(manager, membership).andWhere(
        'integration.id = :integrationId',
        { integrationId },
      );
      if (!isSqlite(this.dataSource)) query.setLock('pessimistic_write');
      const current = await query.getOne();
      if (!current) throw new NotFoundError('Integration');
      assertNotDisconnecting(current);

      const summary = await this.reconcile(manager, current, found);
      await this.audit.record(manager, {
        action: 'integration.calendars_refreshed',
        organizationId: membership.organizationId,
        auditable: { type: 'integration', id: current.id },
        newValues: summary,
      });
      return this.calendars.ofIntegration(manager, membership, current.id);
    });
  }

  /** The provider's list, with one retry on a fresh token if the first answer was a refusal. */
  private async listAtProvider(integration: Integration): Promise<ProviderCalendar[]> {
    if (!isCalendarProvider(integration.provider)) {
      throw new ConflictError('Only calendar integrations have calendars to refresh.');
    }
    const provider = this.providers.get(integration.provider);
    return this.sessions
      .open(integration, integration.provider, 'refresh')
      .call((token) => provider.listCalendars(token), mayBeUnauthorized);
  }

  /**
   * Upserts by external id (name, colour, primary flag from the provider; enabled and direction
   * stay the user's). A calendar gone at the provider is deleted when no block refers to it, else
   * kept disabled (blocks keep pointing at it, and are `disabled` like any disabled calendar's).
   * One that reappears later stays disabled until someone enables it again.
   */
  private async reconcile(
    manager: EntityManager,
    integration: Integration,
    found: ProviderCalendar[],
  ) {
    const known = await manager.findBy(Calendar, {
      organizationId: integration.organizationId,
      integrationId: integration.id,
    });
    const added: string[] = [];
    const updated: string[] = [];
    for (const item of found) {
      const existing = known.find((row) => row.externalId === item.externalId);
      if (!existing) {
        const calendar = discoveredCalendar(
          manager,
          { organizationId: integration.organizationId, integrationId: integration.id },
          item,
        );
        added.push(calendar.name);
        await manager.save(calendar);
        continue;
      }
      const shown = () => JSON.stringify([existing.name, existing.color, existing.isPrimary]);
      const before = shown();
      applyProviderCalendar(existing, item);
      if (shown() === before) continue;
      updated.push(existing.name);
      await manager.save(existing);
    }

    const gone = known.filter((row) => !found.some((item) => item.externalId === row.externalId));
    const removed: string[] = [];
    const disabled: string[] = [];
    let blocksDisabled = 0;
    for (const calendar of gone) {
      if (await this.isReferenced(manager, calendar)) {
        if (isWritable(calendar)) {
          blocksDisabled += await syncState.calendarDisabled(manager, calendar.organizationId, [
            calendar.id,
          ]);
        }
        if (calendar.isEnabled !== false) {
          await manager.update(
            Calendar,
            { id: calendar.id, organizationId: calendar.organizationId },
            { isEnabled: false, updatedAt: currentTimestamp() },
          );
          disabled.push(calendar.name);
        }
      } else {
        await manager.delete(Calendar, {
          id: calendar.id,
          organizationId: calendar.organizationId,
        });
        removed.push(calendar.name);
      }
    }
    return {
      calendars: found.length,
      added,
      updated,
      removed,
      disabled,
      time_blocks_disabled: blocksDisabled,
    };
  }

  /** Any block, soft-deleted ones included, placed on it or holding an event in it. */
  private isReferenced(manager: EntityManager, calendar: Calendar): Promise<boolean> {
    return manager
      .getRepository(TimeBlock)
      .createQueryBuilder('block')
      .withDeleted()
      .where('block.organizationId = :organizationId', {
        organizationId: calendar.organizationId,
      })
      .andWhere('(block.calendarId = :calendarId OR block.syncedCalendarId = :calendarId)', {
        calendarId: calendar.id,
      })
      .getExists();
  }
}

/** A disconnect holds the integration: refreshing its calendars now would be undone at once. */
function assertNotDisconnecting(integration: Integration): void {
  if (isBeingDisconnected(integration)) {
    throw new ConflictError('This calendar account is being disconnected.');
  }
}

/**
 * Whether a failed call may have been a refusal of the access token. A provider error that names
 * its HTTP status is one exactly when that is 401; one that does not (the calendar-list clients
 * report only a code) may be, and a fresh token is the cheap thing to try once.
 */
function mayBeUnauthorized(error: unknown): boolean {
  if (!(error instanceof ProviderError)) return false;
  const status = (error as { status?: unknown }).status;
  return typeof status === 'number' ? status === 401 : true;
}
