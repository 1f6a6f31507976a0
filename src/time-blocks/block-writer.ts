import { EntityManager, SelectQueryBuilder } from 'typeorm';
import { AuditService, changes } from '../audit/audit.service';
import { Membership } from '../auth/authenticated-user';
import { can } from '../auth/permissions';
import { Calendar } from '../calendars/calendar.entity';
import { Client } from '../clients/client.entity';
import {
  ForbiddenError,
  NotFoundError,
  ValidationFailedError,
} from '../common/errors/domain.error';
import { isIanaTimeZone } from '../common/validation/validators';
import { currentTimestamp } from '../database/timestamped.entity';
import { Integration } from '../integrations/integration.entity';
import { OrganizationMember } from '../organizations/organization-member.entity';
import { Organization } from '../organizations/organization.entity';
import { Project } from '../projects/project.entity';
import * as syncState from '../sync/block-sync-state';
import { approvalAfterEdit, approvalFields, assertDeletable } from './approval/approval-rules';
import { MAX_BLOCK_MS, TimeInputError, toInstant } from './block-time';
import { BulkOperation } from './dto/bulk-time-blocks.dto';
import { CreateTimeBlockDto } from './dto/create-time-block.dto';
import { UpdateTimeBlockDto } from './dto/update-time-block.dto';
import { TimeBlock } from './time-block.entity';

/**
 * Blocks of one member overlapping `[from, to)` (half-open: touching is not overlapping). The
 * `start_time > from − 24 h` bound is implied by the 24-hour limit on blocks and gives the index
 * range (organization_id, user_id, start_time) both ends, so a range far in a long history does
 * not scan everything before it.
 */
export function whereOverlaps<T extends TimeBlock>(
  query: SelectQueryBuilder<T>,
  alias: string,
  from: Date,
  to: Date,
): SelectQueryBuilder<T> {
  return query
    .andWhere(`${alias}.startTime < :rangeTo`, { rangeTo: to })
    .andWhere(`${alias}.startTime > :earliestStart`, {
      earliestStart: new Date(from.getTime() - MAX_BLOCK_MS),
    })
    .andWhere(`${alias}.endTime > :rangeFrom`, { rangeFrom: from });
}

/** Zone names already checked: building the Intl formatter that checks one costs about 1 ms. */
const knownZones = new Map<string, boolean>();
function isKnownZone(zone: string | null | undefined): zone is string {
  if (typeof zone !== 'string') return false;
  if (!knownZones.has(zone)) knownZones.set(zone, isIanaTimeZone(zone));
  return knownZones.get(zone)!;
}

/** The audited fields of a block, in the API's names. */
function blockFields(block: TimeBlock) {
  return {
    user_id: block.userId,
    title: block.title,
    description: block.description,
    start_time: block.startTime,
    end_time: block.endTime,
    timezone: block.timezone,
    color: block.color,
    client_id: block.clientId,
    project_id: block.projectId,
    calendar_id: block.calendarId,
    is_billable: block.isBillable,
  };
}

/** Field messages gathered while checking one operation, thrown together as one 422. */
export class FieldErrors {
  readonly errors: Record<string, string[]> = {};

  add(field: string, message: string): void {
    (this.errors[field] ??= []).push(message);
  }

  has(field?: string): boolean {
    return field === undefined ? Object.keys(this.errors).length > 0 : field in this.errors;
  }

  throwIfAny(): void {
    if (this.has()) throw new ValidationFailedError(this.errors);
  }
}

/** Whether a missing block is the path's 404 or a bulk operation's 422 on its `id`. */
export type Mode = 'single' | 'bulk';

export interface Outcome {
  block: TimeBlock;
  status: 'created' | 'updated' | 'unchanged' | 'deleted';
  /** Created, or its start, end or owner changed: overlaps must be checked. */
  moved: boolean;
}

/**
 * One transaction's worth of block writes: the rules, the sync marks and the audit rows. The
 * organization's settings and the rows that bodies refer to are read once per transaction.
 */
export class BlockWriter {
  private organization!: Organization;
  private invoicing: boolean | undefined;
  private readonly members = new Map<number, { timezone: string | null } | null>();
  private readonly clients = new Map<number, Client | null>();
  private readonly projects = new Map<number, Project | null>();
  private readonly calendars = new Map<number, Calendar | null>();

  constructor(
    private readonly manager: EntityManager,
    private readonly membership: Membership,
    private readonly audit: AuditService,
    private readonly locking: boolean,
  ) {}

  async open(): Promise<this> {
    this.organization = await this.manager.findOneByOrFail(Organization, {
      id: this.membership.organizationId,
    });
    return this;
  }

  get preventOverlaps(): boolean {
    return this.organization.settings?.prevent_overlaps === true;
  }

  apply(operation: BulkOperation, mode: Mode): Promise<Outcome> {
    switch (operation.op) {
      case 'create':
        return this.create(operation.data);
      case 'update':
        return this.update(operation.id, operation.data, mode);
      case 'delete':
        return this.remove(operation.id, mode);
    }
  }

  async create(data: CreateTimeBlockDto): Promise<Outcome> {
    const userId = data.user_id ?? this.membership.userId;
    this.authorize(userId, 'create');
    const errors = new FieldErrors();
    const owner = await this.member(userId);
    if (!owner) errors.add('user_id', 'user_id is not a member of this organization.');

    const timezone =
      data.timezone ?? [owner?.timezone, this.organization.timezone].find(isKnownZone) ?? 'UTC';
    const startTime = this.instant(errors, 'start_time', data.start_time, timezone);
    const endTime = this.instant(errors, 'end_time', data.end_time, timezone);
    if (startTime && endTime) this.checkDuration(errors, startTime, endTime);

    const { clientId, projectId } = await this.clientAndProject(errors, data, {
      clientId: null,
      projectId: null,
    });
    const calendarId = data.calendar_id ?? null;
    if (calendarId !== null) await this.checkCalendar(errors, calendarId);
    errors.throwIfAny();

    const block = this.manager.create(TimeBlock, {
      organizationId: this.membership.organizationId,
      ...syncState.neverSynced(),
      userId,
      calendarId,
      title: data.title,
      description: data.description ?? null,
      startTime: startTime!,
      endTime: endTime!,
      timezone,
      color: data.color ?? null,
      clientId,
      projectId,
      isBillable: data.is_billable ?? true,
      approvalStatus: 'pending',
      approvedBy: null,
      approvedAt: null,
      rejectionNote: null,
      invoiceReference: null,
      deletedAt: null,
    });
    await this.insert(block, await this.markForSync(block));
    await this.record('time_block.created', block, { newValues: blockFields(block) });
    return { block, status: 'created', moved: true };
  }

  async update(id: number, data: UpdateTimeBlockDto, mode: Mode): Promise<Outcome> {
    const block = await this.load(id, mode);
    this.authorize(block.userId, 'update');
    const errors = new FieldErrors();
    const userId = data.user_id ?? block.userId;
    if (userId !== block.userId) {
      this.authorize(userId, 'update');
      if (!(await this.member(userId)))
        errors.add('user_id', 'user_id is not a member of this organization.');
    }

    // Wall-clock times are read in the zone the block will have.
    const timezone = data.timezone ?? block.timezone;
    const startTime =
      data.start_time === undefined
        ? block.startTime
        : this.instant(errors, 'start_time', data.start_time, timezone);
    const endTime =
      data.end_time === undefined
        ? block.endTime
        : this.instant(errors, 'end_time', data.end_time, timezone);
    if (startTime && endTime && (data.start_time ?? data.end_time) !== undefined) {
      this.checkDuration(errors, startTime, endTime);
    }
    const { clientId, projectId } = await this.clientAndProject(errors, data, block);
    if (data.calendar_id !== undefined && data.calendar_id !== null) {
      await this.checkCalendar(errors, data.calendar_id);
    }
    errors.throwIfAny();

    const before = blockFields(block);
    Object.assign(block, {
      userId,
      title: data.title ?? block.title,
      description: data.description === undefined ? block.description : data.description,
      startTime: startTime!,
      endTime: endTime!,
      timezone,
      color: data.color === undefined ? block.color : data.color,
      clientId,
      projectId,
      calendarId: data.calendar_id === undefined ? block.calendarId : data.calendar_id,
      isBillable: data.is_billable ?? block.isBillable,
    });
    const diff = changes(before, blockFields(block));
    if (Object.keys(diff.newValues).length === 0) {
      return { block, status: 'unchanged', moved: false };
    }
    const approvalBefore = approvalAfterEdit(block, Object.keys(diff.newValues));
    await this.store(block, await this.markForSync(block));
    await this.record('time_block.updated', block, diff);
    if (approvalBefore) {
      await this.record('time_block.approval_reset', block, {
        oldValues: approvalBefore,
        newValues: approvalFields(block),
      });
    }
    const moved = ['start_time', 'end_time', 'user_id'].some((field) => field in diff.newValues);
    return { block, status: 'updated', moved };
  }

  /** Soft delete, marked for sync, so the worker removes the calendar event and time entry. */
  async remove(id: number, mode: Mode): Promise<Outcome> {
    const block = await this.load(id, mode);
    this.authorize(block.userId, 'delete');
    assertDeletable(block);
    block.deletedAt = currentTimestamp();
    await this.store(block, await this.markForSync(block));
    await this.record('time_block.deleted', block, { oldValues: blockFields(block) });
    return { block, status: 'deleted', moved: false };
  }

  /**
   * For each given block, the other live blocks of its owner that overlap it, as the database
   * holds them now (this transaction's writes included). On MySQL the owner's range is read
   * with FOR UPDATE: its next-key locks keep a concurrent transaction from writing into the same
   * range until this one ends (the loser of such a race deadlocks and is retried, and then sees
   * the winner's block). SQLite runs one transaction at a time.
   */
  async overlaps(blocks: TimeBlock[]): Promise<Map<TimeBlock, TimeBlock[]>> {
    const found = new Map<TimeBlock, TimeBlock[]>();
    const byUser = new Map<number, TimeBlock[]>();
    for (const block of blocks)
      byUser.set(block.userId, [...(byUser.get(block.userId) ?? []), block]);
    for (const [userId, own] of byUser) {
      const from = new Date(Math.min(...own.map((block) => block.startTime.getTime())));
      const to = new Date(Math.max(...own.map((block) => block.endTime.getTime())));
      const query = whereOverlaps(
        this.membership.scope
          .query(this.manager, TimeBlock, 'block')
          .andWhere('block.userId = :userId', { userId }),
        'block',
        from,
        to,
      );
      if (this.locking) query.setLock('pessimistic_write');
      const neighbours = await query.getMany();
      for (const block of own) {
        const conflicting = neighbours
          .filter(
            (other) =>
              other.id !== block.id &&
              other.startTime.getTime() < block.endTime.getTime() &&
              other.endTime.getTime() > block.startTime.getTime(),
          )
          .sort((a, b) => a.startTime.getTime() - b.startTime.getTime() || a.id - b.id);
        if (conflicting.length > 0) found.set(block, conflicting);
      }
    }
    return found;
  }

  /** Own blocks need the `:own` permission (the route's); anyone else's the `:all` one. */
  private authorize(ownerId: number, action: 'create' | 'update' | 'delete'): void {
    const own = ownerId === this.membership.userId;
    const permission = `time-blocks:${action}:${own ? 'own' : 'all'}` as const;
    if (can(this.membership.role, permission)) return;
    throw new ForbiddenError(
      own
        ? `Your role cannot ${action} time blocks.`
        : action === 'create'
          ? 'You can only plan time blocks for yourself.'
          : `You can only ${action} your own time blocks.`,
    );
  }

  /** The block, locked for the rest of the transaction on MySQL. Gone: 404, or 422 in bulk. */
  private async load(id: number, mode: Mode): Promise<TimeBlock> {
    const query = this.membership.scope
      .query(this.manager, TimeBlock, 'block')
      .andWhere('block.id = :id', { id });
    if (this.locking) query.setLock('pessimistic_write');
    const block = await query.getOne();
    if (block) return block;
    if (mode === 'single') throw new NotFoundError('Time block');
    throw ValidationFailedError.field('id', 'id does not exist in this organization.');
  }

  private instant(errors: FieldErrors, field: string, value: string, zone: string): Date | null {
    try {
      return toInstant(field, value, zone);
    } catch (error) {
      if (!(error instanceof TimeInputError)) throw error;
      errors.add(field, error.message);
      return null;
    }
  }

  private checkDuration(errors: FieldErrors, start: Date, end: Date): void {
    if (end.getTime() <= start.getTime()) {
      errors.add('end_time', 'end_time must be after start_time');
    } else if (end.getTime() - start.getTime() > MAX_BLOCK_MS) {
      errors.add('end_time', 'end_time must be at most 24 hours after start_time');
    }
  }

  /**
   * The client and project the block will have. A project's client (if it has one) must be the
   * block's client; when the request names a project but no client, the project's fills it in.
   */
  private async clientAndProject(
    errors: FieldErrors,
    data: { client_id?: number | null; project_id?: number | null },
    current: { clientId: number | null; projectId: number | null },
  ): Promise<{ clientId: number | null; projectId: number | null }> {
    if (data.client_id !== undefined && data.client_id !== null) {
      if (!(await this.find(Client, this.clients, data.client_id)))
        errors.add('client_id', 'client_id does not exist in this organization.');
    }
    let project: Project | null = null;
    const projectId = data.project_id === undefined ? current.projectId : data.project_id;
    if (projectId !== null) {
      project = await this.find(Project, this.projects, projectId);
      if (!project && data.project_id !== undefined)
        errors.add('project_id', 'project_id does not exist in this organization.');
    }
    let clientId = data.client_id === undefined ? current.clientId : data.client_id;
    if (project?.clientId != null && data.client_id === undefined && data.project_id != null) {
      clientId = project.clientId;
    }
    if (
      project?.clientId != null &&
      clientId !== project.clientId &&
      !errors.has('client_id') &&
      !errors.has('project_id')
    ) {
      errors.add(
        data.client_id !== undefined ? 'client_id' : 'project_id',
        `client_id must be the project's client (${project.clientId}).`,
      );
    }
    return { clientId, projectId };
  }

  private async checkCalendar(errors: FieldErrors, calendarId: number): Promise<void> {
    const calendar = await this.find(Calendar, this.calendars, calendarId);
    if (!calendar) {
      errors.add('calendar_id', 'calendar_id does not exist in this organization.');
    } else if (calendar.isEnabled !== true) {
      errors.add('calendar_id', 'calendar_id is a disabled calendar.');
    } else if (calendar.syncDirection !== 'write' && calendar.syncDirection !== 'both') {
      errors.add('calendar_id', 'calendar_id is read-only: blocks cannot be written to it.');
    }
  }

  /** A member's timezone, or null when `userId` is no member of this organization. */
  private async member(userId: number): Promise<{ timezone: string | null } | null> {
    if (!this.members.has(userId)) {
      const membership = await this.membership.scope
        .query(this.manager, OrganizationMember, 'membership')
        .innerJoinAndSelect('membership.user', 'user')
        .andWhere('membership.userId = :userId', { userId })
        .getOne();
      this.members.set(userId, membership ? { timezone: membership.user!.timezone } : null);
    }
    return this.members.get(userId)!;
  }

  private async find<T extends Client | Project | Calendar>(
    entity: new () => T,
    cache: Map<number, T | null>,
    id: number,
  ): Promise<T | null> {
    if (!cache.has(id)) {
      const row = await this.membership.scope
        .query(this.manager, entity, 'row')
        .andWhere('row.id = :id', { id })
        .getOne();
      cache.set(id, row);
    }
    return cache.get(id)!;
  }

  /**
   * The sync marks, written with the change itself (docs/architecture.md, "Marks in one
   * transaction"): the calendar side is pending when the block has a calendar; the invoicing
   * side when the organization has an active invoicing integration and the block is billable —
   * or was pushed there already, so that the entry is corrected or removed.
   */
  private async markForSync(block: TimeBlock): Promise<syncState.SyncValues> {
    this.invoicing ??= await this.membership.scope
      .query(this.manager, Integration, 'integration')
      .andWhere('integration.providerType = :type', { type: 'invoicing' })
      .andWhere('integration.isActive = :active', { active: true })
      .getExists();
    // A block that has an event somewhere stays pending even without a calendar: the event must go.
    const hasEvent = block.externalCalendarEventId !== null && block.syncedCalendarId !== null;
    return syncState.changed(block, {
      calendar: block.calendarId !== null || hasEvent,
      invoicing:
        this.invoicing && (block.isBillable === true || block.externalInvoicingEntryId !== null),
    });
  }

  /*
   * Writes go through the query builder rather than `save()`: a block's every column is known
   * here, so save's reload and diffing would only cost time — about 3 ms a block, which a
   * 500-block import notices. (The query builder sets no timestamps: these two do.)
   */

  private async insert(block: TimeBlock, sync: syncState.SyncValues): Promise<void> {
    block.createdAt = block.updatedAt = currentTimestamp();
    const result = await this.manager
      .createQueryBuilder()
      .insert()
      .into(TimeBlock)
      .values({
        organizationId: block.organizationId,
        createdAt: block.createdAt,
        ...this.ownColumns(block),
        ...sync,
      })
      .updateEntity(false)
      .execute();
    // better-sqlite3 answers the new rowid, mysql2 a result header with insertId.
    const raw = result.raw as number | bigint | { insertId: number | string };
    block.id = Number(typeof raw === 'object' ? raw.insertId : raw);
  }

  private async store(block: TimeBlock, sync: syncState.SyncValues): Promise<void> {
    block.updatedAt = currentTimestamp();
    await this.manager
      .createQueryBuilder()
      .update(TimeBlock)
      .set({ ...this.ownColumns(block), ...sync })
      .where('id = :id', { id: block.id })
      .updateEntity(false)
      .execute();
  }

  /** The columns a request changes; the sync state is `markForSync`'s. */
  private ownColumns(block: TimeBlock) {
    return {
      userId: block.userId,
      title: block.title,
      description: block.description,
      startTime: block.startTime,
      endTime: block.endTime,
      timezone: block.timezone,
      color: block.color,
      clientId: block.clientId,
      projectId: block.projectId,
      calendarId: block.calendarId,
      isBillable: block.isBillable,
      approvalStatus: block.approvalStatus,
      approvedBy: block.approvedBy,
      approvedAt: block.approvedAt,
      rejectionNote: block.rejectionNote,
      deletedAt: block.deletedAt,
      updatedAt: block.updatedAt,
    };
  }

  private record(
    action: string,
    block: TimeBlock,
    values: { oldValues?: Record<string, unknown>; newValues?: Record<string, unknown> },
  ): Promise<void> {
    return this.audit.record(this.manager, {
      action,
      organizationId: this.membership.organizationId,
      auditable: { type: 'time_block', id: block.id },
      ...values,
    });
  }
}
