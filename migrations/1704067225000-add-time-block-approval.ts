import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { enumeration, foreignId, foreignKey, foreignKeyIndex, timestamp } from './support/schema';

export const APPROVAL_STATUSES = ['pending', 'approved', 'rejected', 'sent_to_billing'];

/**
 * Approval of billable time before it is invoiced.
 *
 * time_blocks
 * - `approval_status`: pending → approved or rejected (by an admin or owner); an edit of a
 *   reviewed block puts it back to pending; sent_to_billing once the invoicing provider has locked
 *   or invoiced its entry, after which its billing fields no longer change.
 * - `approved_by`, `approved_at`: who approved it and when (cleared when it leaves `approved`).
 * - `rejection_note`: why it was rejected, shown to the member.
 * - `invoice_reference`: the provider's invoice (number or id) the entry ended up on.
 */
export class AddTimeBlockApproval1704067225000 implements MigrationInterface {
  name = 'AddTimeBlockApproval1704067225000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('time_blocks', [
      new TableColumn(
        enumeration('approval_status', APPROVAL_STATUSES, { nullable: false, default: 'pending' }),
      ),
      new TableColumn(foreignId(queryRunner, 'approved_by', { nullable: true })),
      new TableColumn(timestamp(queryRunner, 'approved_at')),
      new TableColumn({ name: 'rejection_note', type: 'text', isNullable: true }),
      new TableColumn({
        name: 'invoice_reference',
        type: 'varchar',
        length: '255',
        isNullable: true,
      }),
    ]);
    await queryRunner.createIndex('time_blocks', foreignKeyIndex('time_blocks', 'approved_by'));
    await queryRunner.createForeignKey(
      'time_blocks',
      foreignKey('time_blocks', 'approved_by', 'users', 'SET NULL'),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropForeignKey('time_blocks', 'fk_time_blocks_approved_by');
    await queryRunner.dropIndex('time_blocks', 'idx_time_blocks_approved_by');
    await queryRunner.dropColumns('time_blocks', [
      'approval_status',
      'approved_by',
      'approved_at',
      'rejection_note',
      'invoice_reference',
    ]);
  }
}
