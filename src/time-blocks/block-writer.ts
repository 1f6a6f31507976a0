import { EntityManager } from 'typeorm';
import { AuditService, changes } from '../audit/audit.service';
import { Membership } from '../auth/authenticated-user';
import { can } from '../auth/permissions';
import {
  ForbiddenError,
  NotFoundError,
  ValidationFailedError,
} from '../common/errors/domain.error';
import { FieldErrors } from '../common/validation/field-errors';
import { isIanaTimeZone } from '../common/validation/validators';
import { currentTimestamp } from '../database/timestamped.entity';
import { Integration } from '../integrations/integration.entity';
import { Organization } from '../organizations/organization.entity';
import * as syncState from '../sync/block-sync-state';
import { approvalAfterEdit, approvalFields, assertDeletable } from './approval/approval-rules';
import { overlapsOf } from './block-overlaps';
import { BlockReferences } from './block-references';
import { MAX_BLOCK_MS, TimeInputError, toInstant } from './block-time';
import { BulkOperation } from './dto/bulk-time-blocks.dto';
import { CreateTimeBlockDto } from './dto/create-time-block.dto';
import { UpdateTimeBlockDto } from './dto/update-time-block.dto';
import { TimeBlock } from './time-block.entity';

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
  private readonly references: BlockReferences;

  constructor(
    private readonly manager: EntityManager,
    private readonly membership: Membership,
    private readonly audit: AuditService,
    private readonly locking: boolean,
  ) {
    this.references = new BlockReferences(manager, membership);
  }

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
    const owner = await this.references.member(userId);
    if (!owner) errors.add('user_id', 'user_id is not a member of this organization.');

    const timezone =
      data.timezone ?? [owner?.timezone, this.organization.timezone].find(isKnownZone) ?? 'UTC';
    const startTime = this.instant(errors, 'start_time', data.start_time, timezone);
    const endTime = this.instant(errors, 'end_time', data.end_time, timezone);
    if (startTime && endTime) this.checkDuration(errors, startTime, endTime);

    const { clientId, projectId } = await this.references.clientAndProject(errors, data, {
      clientId: null,
      projectId: null,
    });
    const calendarId = data.calendar_id ?? null;
    if (calendarId !== null) {
      await this.references.checkCalendar(errors, calendarId, owner ? userId : null);
    }
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
    let member = true;
    if (userId !== block.userId) {
      this.authorize(userId, 'update');
      member = (await this.references.member(userId)) !== null;
      if (!member) errors.add('user_id', 'user_id is not a member of this organization.');
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
    const { clientId, projectId } = await this.references.clientAndProject(errors, data, block);
    if (data.calendar_id !== undefined && data.calendar_id !== null) {
      await this.references.checkCalendar(errors, data.calendar_id, member ? userId : null);
    } else if (
      data.calendar_id === undefined &&
      block.calendarId !== null &&
      userId !== block.userId &&
      member
    ) {
      // Handed to another member, the block cannot stay on its previous owner's calendar.
      await this.references.checkCalendarOwner(errors, block.calendarId, userId);
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

  /** The other live blocks of each block's owner that overlap it (see `overlapsOf`). */
  overlaps(blocks: TimeBlock[]): Promise<Map<TimeBlock, TimeBlock[]>> {
    return overlapsOf(this.manager, this.membership, blocks, this.locking);
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
