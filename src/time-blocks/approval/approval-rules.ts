import { ConflictError } from '../../common/errors/domain.error';
import { ApprovalStatus, TimeBlock } from '../time-block.entity';

/**
 * The fields an invoice is made of. Once the provider has locked or invoiced a block's entry
 * (`sent_to_billing`) they stay as billed.
 */
export const BILLING_FIELDS = [
  'start_time',
  'end_time',
  'user_id',
  'project_id',
  'client_id',
  'is_billable',
] as const;

/**
 * The fields a reviewer looked at: a change to any of them puts an approved or rejected block
 * back to pending (title and description become the entry's text). Colour, calendar and
 * timezone do not change what is billed.
 */
export const REVIEWED_FIELDS = [...BILLING_FIELDS, 'title', 'description'] as const;

/** 409: the block's time entry is locked or invoiced in the provider. */
export class SentToBillingError extends ConflictError {
  constructor(block: TimeBlock, what: string, fields: string[] = []) {
    const invoice = block.invoiceReference ? ` (invoice ${block.invoiceReference})` : '';
    super(
      `Time block ${block.id} has been sent to billing${invoice}: ${what}.`,
      fields.length > 0
        ? { locked_fields: fields, invoice_reference: block.invoiceReference }
        : { invoice_reference: block.invoiceReference },
    );
  }
}

/** The approval columns, as audited. */
export function approvalFields(block: TimeBlock) {
  return {
    approval_status: block.approvalStatus,
    approved_by: block.approvedBy,
    approved_at: block.approvedAt,
    rejection_note: block.rejectionNote,
  };
}

/**
 * What an edit of `changed` (API field names) does to the block's approval: refused (409) where
 * it touches the billing fields of a block sent to billing; an approved or rejected block whose
 * reviewed fields changed goes back to pending (the block is changed in place). Answers the
 * approval fields as they were when it reset them, else null.
 */
export function approvalAfterEdit(
  block: TimeBlock,
  changed: readonly string[],
): ReturnType<typeof approvalFields> | null {
  if (block.approvalStatus === 'sent_to_billing') {
    const locked = BILLING_FIELDS.filter((field) => changed.includes(field));
    if (locked.length > 0) {
      throw new SentToBillingError(block, `${locked.join(', ')} can no longer change`, locked);
    }
    return null;
  }
  if (block.approvalStatus === 'pending') return null;
  if (!REVIEWED_FIELDS.some((field) => changed.includes(field))) return null;
  const before = approvalFields(block);
  setApproval(block, 'pending');
  return before;
}

/** Deleting billed time would leave the invoice without its block: refused. */
export function assertDeletable(block: TimeBlock): void {
  if (block.approvalStatus === 'sent_to_billing') {
    throw new SentToBillingError(block, 'it can no longer be deleted');
  }
}

/** Sets the status and the columns that go with it. */
export function setApproval(
  block: TimeBlock,
  status: Exclude<ApprovalStatus, 'sent_to_billing'>,
  decision: { by?: number; at?: Date; note?: string } = {},
): void {
  block.approvalStatus = status;
  block.approvedBy = status === 'approved' ? (decision.by ?? null) : null;
  block.approvedAt = status === 'approved' ? (decision.at ?? null) : null;
  block.rejectionNote = status === 'rejected' ? (decision.note ?? null) : null;
}

/**
 * Whether the invoicing side may book the block now: live, billable, with a project, ended, and
 * — when the organization requires approval — approved. Without that setting anything not
 * rejected goes. A block already sent to billing is the provider's.
 */
export function isReadyForBilling(block: TimeBlock, requireApproval: boolean, now: Date): boolean {
  if (block.deletedAt !== null || block.isBillable !== true || block.projectId === null) {
    return false;
  }
  if (block.endTime.getTime() > now.getTime()) return false;
  switch (block.approvalStatus) {
    case 'approved':
      return true;
    case 'pending':
      return !requireApproval;
    case 'rejected':
    case 'sent_to_billing':
      return false;
  }
}
