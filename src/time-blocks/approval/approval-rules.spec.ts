import { ConflictError } from '../../common/errors/domain.error';
import { TimeBlock } from '../time-block.entity';
import { approvalAfterEdit, isReadyForBilling } from './approval-rules';

const NOW = new Date('2025-03-31T12:00:00Z');

function block(values: Partial<TimeBlock> = {}): TimeBlock {
  return Object.assign(new TimeBlock(), {
    id: 7,
    startTime: new Date('2025-03-31T09:00:00Z'),
    endTime: new Date('2025-03-31T10:00:00Z'),
    isBillable: true,
    projectId: 3,
    deletedAt: null,
    approvalStatus: 'pending',
    approvedBy: null,
    approvedAt: null,
    rejectionNote: null,
    invoiceReference: null,
    ...values,
  });
}

describe('isReadyForBilling', () => {
  it('books an ended billable block with a project once approved when approval is required', () => {
    expect(isReadyForBilling(block(), true, NOW)).toBe(false);
    expect(isReadyForBilling(block({ approvalStatus: 'approved' }), true, NOW)).toBe(true);
  });

  it('books pending blocks without the setting, but never rejected or billed ones', () => {
    expect(isReadyForBilling(block(), false, NOW)).toBe(true);
    expect(isReadyForBilling(block({ approvalStatus: 'rejected' }), false, NOW)).toBe(false);
    expect(isReadyForBilling(block({ approvalStatus: 'sent_to_billing' }), false, NOW)).toBe(false);
  });

  it('waits for the end and needs billable time with a project on a live block', () => {
    const approved = { approvalStatus: 'approved' as const };
    const running = { endTime: new Date('2025-03-31T12:00:01Z') };
    expect(isReadyForBilling(block({ ...approved, ...running }), true, NOW)).toBe(false);
    expect(isReadyForBilling(block({ ...approved, endTime: NOW }), true, NOW)).toBe(true);
    expect(isReadyForBilling(block({ ...approved, isBillable: false }), true, NOW)).toBe(false);
    expect(isReadyForBilling(block({ ...approved, projectId: null }), true, NOW)).toBe(false);
    expect(isReadyForBilling(block({ ...approved, deletedAt: NOW }), true, NOW)).toBe(false);
  });
});

describe('approvalAfterEdit', () => {
  it('resets a reviewed block when what was reviewed changes', () => {
    const approved = block({ approvalStatus: 'approved', approvedBy: 2, approvedAt: NOW });
    expect(approvalAfterEdit(approved, ['color'])).toBeNull();
    expect(approved.approvalStatus).toBe('approved');
    expect(approvalAfterEdit(approved, ['title'])).toEqual({
      approval_status: 'approved',
      approved_by: 2,
      approved_at: NOW,
      rejection_note: null,
    });
    expect(approved).toMatchObject({
      approvalStatus: 'pending',
      approvedBy: null,
      approvedAt: null,
    });
  });

  it('refuses billing fields of a billed block with a 409 naming them', () => {
    const billed = block({ approvalStatus: 'sent_to_billing', invoiceReference: '#12' });
    expect(approvalAfterEdit(billed, ['title', 'color'])).toBeNull();
    let error: unknown;
    try {
      approvalAfterEdit(billed, ['title', 'end_time', 'user_id']);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).extensions).toEqual({
      locked_fields: ['end_time', 'user_id'],
      invoice_reference: '#12',
    });
  });
});
