import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../../audit/audit.service';
import { Membership } from '../../auth/authenticated-user';
import { ValidationFailedError } from '../../common/errors/domain.error';
import { currentTimestamp } from '../../database/timestamped.entity';
import { inTransaction, isSqlite } from '../../database/transaction';
import { Integration } from '../../integrations/integration.entity';
import { OrganizationMember } from '../../organizations/organization-member.entity';
import * as syncState from '../../sync/block-sync-state';
import { whereOverlaps } from '../block-overlaps';
import { listRange } from '../list-range';
import { TimeBlock } from '../time-block.entity';
import { approvalFields, SentToBillingError, setApproval } from './approval-rules';
import { ApproveTimeBlocksDto, MAX_REVIEWED_BLOCKS, RejectTimeBlocksDto } from './approval.dto';

/**
 * Admins' and owners' decisions on blocks, each block's transition audited in the transaction
 * that makes it. All or nothing: one unknown id or one block already sent to billing and no
 * block changes.
 */
@Injectable()
export class ApprovalsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  /**
   * Approves the given blocks (pending or rejected; approved ones stay as they are), or every
   * pending block overlapping the range — rejected ones wait for the member's edit or for an
   * approval by id.
   */
  approve(membership: Membership, dto: ApproveTimeBlocksDto): Promise<TimeBlock[]> {
    const byIds = dto.ids !== undefined;
    const byRange = dto.from !== undefined || dto.to !== undefined || dto.user_id !== undefined;
    if (byIds === byRange) {
      throw ValidationFailedError.field(
        'ids',
        'Give either ids, or from and to (optionally with user_id).',
      );
    }
    return inTransaction(this.dataSource, async (manager) => {
      const blocks = byIds
        ? await this.byIds(manager, membership, dto.ids!)
        : await this.byRange(manager, membership, dto);
      refuseSentToBilling(blocks, 'it can no longer be approved');
      const invoicing = await this.invoicingActive(manager, membership);
      const at = currentTimestamp();
      for (const block of blocks) {
        if (block.approvalStatus === 'approved') continue;
        await this.transition(manager, membership, invoicing, block, 'time_block.approved', () =>
          setApproval(block, 'approved', { by: membership.userId, at }),
        );
      }
      return blocks;
    });
  }

  /** Rejects the given blocks with a note the member sees; a rejected block gets the new note. */
  reject(membership: Membership, dto: RejectTimeBlocksDto): Promise<TimeBlock[]> {
    return inTransaction(this.dataSource, async (manager) => {
      const blocks = await this.byIds(manager, membership, dto.ids);
      refuseSentToBilling(blocks, 'it can no longer be rejected');
      const invoicing = await this.invoicingActive(manager, membership);
      for (const block of blocks) {
        if (block.approvalStatus === 'rejected' && block.rejectionNote === dto.note) continue;
        await this.transition(manager, membership, invoicing, block, 'time_block.rejected', () =>
          setApproval(block, 'rejected', { note: dto.note }),
        );
      }
      return blocks;
    });
  }

  /** The blocks with these ids, locked, in the order given; 422 naming the ids that are not. */
  private async byIds(
    manager: EntityManager,
    membership: Membership,
    ids: number[],
  ): Promise<TimeBlock[]> {
    const query = membership.scope
      .query(manager, TimeBlock, 'block')
      .andWhere('block.id IN (:...ids)', { ids });
    if (!isSqlite(this.dataSource)) query.setLock('pessimistic_write');
    const found = new Map((await query.getMany()).map((block) => [block.id, block]));
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length > 0) {
      throw ValidationFailedError.field(
        'ids',
        `${missing.length === 1 ? 'id' : 'ids'} ${missing.join(', ')} ` +
          `${missing.length === 1 ? 'does' : 'do'} not exist in this organization.`,
      );
    }
    return ids.map((id) => found.get(id)!);
  }

  /** Pending blocks overlapping `[from, to)`, of one member or everyone's, in start order. */
  private async byRange(
    manager: EntityManager,
    membership: Membership,
    dto: ApproveTimeBlocksDto,
  ): Promise<TimeBlock[]> {
    const errors: Record<string, string[]> = {};
    if (dto.from === undefined) errors.from = ['from is required with to or user_id'];
    if (dto.to === undefined) errors.to = ['to is required with from or user_id'];
    if (Object.keys(errors).length > 0) throw new ValidationFailedError(errors);
    const { from, to } = listRange({ from: dto.from!, to: dto.to! });
    const query = membership.scope
      .query(manager, TimeBlock, 'block')
      .andWhere('block.approvalStatus = :pending', { pending: 'pending' });
    if (dto.user_id !== undefined) {
      const member = await membership.scope
        .query(manager, OrganizationMember, 'membership')
        .andWhere('membership.userId = :userId', { userId: dto.user_id })
        .getExists();
      if (!member) {
        throw ValidationFailedError.field(
          'user_id',
          'user_id is not a member of this organization.',
        );
      }
      query.andWhere('block.userId = :userId', { userId: dto.user_id });
    }
    whereOverlaps(query, 'block', from, to)
      .orderBy('block.startTime', 'ASC')
      .addOrderBy('block.id', 'ASC')
      .take(MAX_REVIEWED_BLOCKS + 1);
    if (!isSqlite(this.dataSource)) query.setLock('pessimistic_write');
    const blocks = await query.getMany();
    if (blocks.length > MAX_REVIEWED_BLOCKS) {
      throw ValidationFailedError.field(
        'to',
        `More than ${MAX_REVIEWED_BLOCKS} pending blocks fall in this range: approve a shorter one.`,
      );
    }
    return blocks;
  }

  /**
   * One block's decision: the change, its audit row, and — where the organization books time in
   * an invoicing system — the invoicing mark, so the worker (re)considers the block and a push
   * that read the block before the decision does not write back "synced".
   */
  private async transition(
    manager: EntityManager,
    membership: Membership,
    invoicing: boolean,
    block: TimeBlock,
    action: string,
    decide: () => void,
  ): Promise<void> {
    const before = approvalFields(block);
    decide();
    // The decision concerns the invoicing entry only: the calendar's event and version stay.
    const sync =
      invoicing && (block.isBillable === true || block.externalInvoicingEntryId !== null)
        ? syncState.changed(block, { invoicing: true })
        : {};
    block.updatedAt = currentTimestamp();
    await manager
      .createQueryBuilder()
      .update(TimeBlock)
      .set({
        approvalStatus: block.approvalStatus,
        approvedBy: block.approvedBy,
        approvedAt: block.approvedAt,
        rejectionNote: block.rejectionNote,
        updatedAt: block.updatedAt,
        ...sync,
      })
      .where('id = :id', { id: block.id })
      .updateEntity(false)
      .execute();
    await this.audit.record(manager, {
      action,
      organizationId: membership.organizationId,
      auditable: { type: 'time_block', id: block.id },
      oldValues: before,
      newValues: approvalFields(block),
    });
  }

  /**
   * The provider has locked or invoiced the block's entry: from now on its billing fields stay
   * as billed. Called by the invoicing sync with the transaction that records what it found;
   * `actor` is `sync:<provider>`.
   */
  async markSentToBilling(
    manager: EntityManager,
    block: TimeBlock,
    invoiceReference: string | null,
    actor: string,
  ): Promise<void> {
    if (block.approvalStatus === 'sent_to_billing' && block.invoiceReference === invoiceReference)
      return;
    const before = { ...approvalFields(block), invoice_reference: block.invoiceReference };
    block.approvalStatus = 'sent_to_billing';
    block.invoiceReference = invoiceReference;
    await manager
      .createQueryBuilder()
      .update(TimeBlock)
      .set({
        approvalStatus: block.approvalStatus,
        invoiceReference,
        updatedAt: currentTimestamp(),
      })
      .where('id = :id', { id: block.id })
      .updateEntity(false)
      .execute();
    await this.audit.record(manager, {
      action: 'time_block.sent_to_billing',
      organizationId: block.organizationId,
      auditable: { type: 'time_block', id: block.id },
      oldValues: before,
      newValues: { ...approvalFields(block), invoice_reference: invoiceReference },
      userId: null,
      actor,
    });
  }

  private invoicingActive(manager: EntityManager, membership: Membership): Promise<boolean> {
    return membership.scope
      .query(manager, Integration, 'integration')
      .andWhere('integration.providerType = :type', { type: 'invoicing' })
      .andWhere('integration.isActive = :active', { active: true })
      .getExists();
  }
}

function refuseSentToBilling(blocks: TimeBlock[], what: string): void {
  const billed = blocks.filter((block) => block.approvalStatus === 'sent_to_billing');
  if (billed.length === 0) return;
  const error = new SentToBillingError(billed[0], what);
  Object.assign(error.extensions, { sent_to_billing_ids: billed.map((block) => block.id) });
  throw error;
}
