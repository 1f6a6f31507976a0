import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, SelectQueryBuilder } from 'typeorm';
import { AuditService, changes } from '../audit/audit.service';
import { Membership } from '../auth/authenticated-user';
import { ForbiddenError, NotFoundError } from '../common/errors/domain.error';
import { CursorPage, paginate } from '../common/pagination/cursor';
import { currentTimestamp } from '../database/timestamped.entity';
import { inTransaction, isSqlite } from '../database/transaction';
import { canManageIntegration } from '../integrations/integration-access';
import * as syncState from '../sync/block-sync-state';
import { isWritable, widensAccess } from './calendar-blocks';
import { Calendar } from './calendar.entity';
import { CalendarQueryDto, UpdateCalendarDto } from './dto/calendar.dto';

/**
 * The organization's calendars. Every member with `calendars:view` sees all of them, not only
 * those of their own accounts, each with whether the viewer may plan their own blocks onto it
 * (`usable`): a block goes only onto its member's own calendars, or one its owner shared with
 * the organization (a team calendar). Tokens never leave the integration row; the list shows the
 * account (provider, e-mail, health) and who connected it.
 */
@Injectable()
export class CalendarsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  /** By name, then id; calendars of accounts that need a reconnect are listed too. */
  list(membership: Membership, query: CalendarQueryDto): Promise<CursorPage<Calendar>> {
    const calendars = this.withAccount(this.dataSource.manager, membership);
    if (query.integration_id !== undefined) {
      calendars.andWhere('calendar.integrationId = :integrationId', {
        integrationId: query.integration_id,
      });
    }
    if (query.is_enabled !== undefined) {
      calendars.andWhere(
        query.is_enabled
          ? 'calendar.isEnabled = :enabled'
          : '(calendar.isEnabled IS NULL OR calendar.isEnabled = :enabled)',
        { enabled: query.is_enabled },
      );
    }
    if (query.sync_direction !== undefined) {
      calendars.andWhere('calendar.syncDirection = :direction', {
        direction: query.sync_direction,
      });
    }
    return paginate(
      calendars,
      [
        { column: 'calendar.name', value: (c) => c.name },
        { column: 'calendar.id', value: (c) => c.id },
      ],
      query,
    );
  }

  /** Every calendar of one integration, primary first (what a refresh answers). */
  ofIntegration(
    manager: EntityManager,
    membership: Membership,
    integrationId: number,
  ): Promise<Calendar[]> {
    return this.withAccount(manager, membership)
      .andWhere('calendar.integrationId = :integrationId', { integrationId })
      .orderBy('calendar.isPrimary', 'DESC')
      .addOrderBy('calendar.name', 'ASC')
      .addOrderBy('calendar.id', 'ASC')
      .getMany();
  }

  /**
   * Enables or disables a calendar, changes its direction or colour. The account's owner and
   * admins may; other members see the calendar but get 403. Sharing it with the organization is
   * the owner's decision alone: it lets colleagues into their calendar. Blocks follow the calendar's
   * writability in the same transaction (see calendar-blocks.ts).
   */
  update(membership: Membership, calendarId: number, dto: UpdateCalendarDto): Promise<Calendar> {
    return inTransaction(this.dataSource, async (manager) => {
      const query = this.withAccount(manager, membership).andWhere('calendar.id = :calendarId', {
        calendarId,
      });
      if (!isSqlite(this.dataSource)) query.setLock('pessimistic_write');
      const calendar = await query.getOne();
      if (!calendar) throw new NotFoundError('Calendar');
      if (!canManageIntegration(membership, calendar.integration!)) {
        throw new ForbiddenError(
          'Only the member who connected this calendar account, or an admin, can change it.',
        );
      }

      if (
        dto.shared_with_organization !== undefined &&
        dto.shared_with_organization !== calendar.sharedWithOrganization &&
        calendar.integration!.connectedById !== membership.userId
      ) {
        throw new ForbiddenError(
          'Only the member who connected this calendar account can share it with the organization.',
        );
      }

      const before = calendarFields(calendar);
      const wasWritable = isWritable(calendar);
      if (dto.shared_with_organization !== undefined) {
        calendar.sharedWithOrganization = dto.shared_with_organization;
      }
      const access = { isEnabled: calendar.isEnabled, syncDirection: calendar.syncDirection };
      if (dto.is_enabled !== undefined) calendar.isEnabled = dto.is_enabled;
      if (dto.sync_direction !== undefined) calendar.syncDirection = dto.sync_direction;
      if (
        calendar.integration!.connectedById !== membership.userId &&
        widensAccess(access, calendar)
      ) {
        throw new ForbiddenError(
          'Only the member who connected this calendar account can enable a calendar or let ' +
            'danwel read or write more of it; an admin can only disable or narrow it.',
        );
      }
      if (dto.color !== undefined) calendar.color = dto.color;
      const diff = changes(before, calendarFields(calendar));
      if (Object.keys(diff.newValues).length === 0) return calendar;

      calendar.updatedAt = currentTimestamp();
      await manager.update(
        Calendar,
        { id: calendar.id, organizationId: membership.organizationId },
        {
          isEnabled: calendar.isEnabled,
          syncDirection: calendar.syncDirection,
          color: calendar.color,
          sharedWithOrganization: calendar.sharedWithOrganization,
          updatedAt: calendar.updatedAt,
        },
      );
      const blocks = { time_blocks_disabled: 0, time_blocks_resumed: 0 };
      if (wasWritable && !isWritable(calendar)) {
        blocks.time_blocks_disabled = await syncState.calendarDisabled(
          manager,
          membership.organizationId,
          [calendar.id],
        );
      } else if (!wasWritable && isWritable(calendar)) {
        blocks.time_blocks_resumed = await syncState.calendarResumed(
          manager,
          membership.organizationId,
          [calendar.id],
        );
      }
      await this.audit.record(manager, {
        action: 'calendar.updated',
        organizationId: membership.organizationId,
        auditable: { type: 'calendar', id: calendar.id },
        oldValues: diff.oldValues,
        newValues: { ...diff.newValues, ...blocks },
      });
      return calendar;
    });
  }

  /**
   * The organization's calendars with their account and its owner: only the columns the API
   * shows, so no token is even read.
   */
  private withAccount(
    manager: EntityManager,
    membership: Membership,
  ): SelectQueryBuilder<Calendar> {
    return membership.scope
      .query(manager, Calendar, 'calendar')
      .innerJoin(
        'calendar.integration',
        'integration',
        'integration.organizationId = calendar.organizationId',
      )
      .leftJoin('integration.connectedBy', 'owner')
      .addSelect([
        'integration.id',
        'integration.provider',
        'integration.providerAccountEmail',
        'integration.connectedById',
        'integration.isActive',
        'integration.needsReconnect',
        'owner.id',
        'owner.name',
      ]);
  }
}

/** What the audit trail records of a calendar (API names). */
function calendarFields(calendar: Calendar) {
  return {
    is_enabled: calendar.isEnabled,
    sync_direction: calendar.syncDirection,
    color: calendar.color,
    shared_with_organization: calendar.sharedWithOrganization,
  };
}
