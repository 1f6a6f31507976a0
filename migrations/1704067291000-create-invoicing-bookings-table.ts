import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import {
  enumeration,
  foreignId,
  foreignKey,
  foreignKeyIndex,
  id,
  timestamps,
} from './support/schema';

/**
 * invoicing_bookings: what an invoicing integration books time on — a project's task
 * (`project_task`, with `project_id`) or a member's provider user (`member_user`, with
 * `membership_id`). `chosen_by` tells a default picked by danwel's rules from a person's choice,
 * which a later default never replaces. Rows go with their integration, project or membership:
 * nothing of a member outlives the membership.
 */
export class CreateInvoicingBookingsTable1704067291000 implements MigrationInterface {
  name = 'CreateInvoicingBookingsTable1704067291000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'invoicing_bookings',
        columns: [
          id(queryRunner),
          foreignId(queryRunner, 'integration_id'),
          enumeration('kind', ['project_task', 'member_user'], { nullable: false }),
          foreignId(queryRunner, 'project_id', { nullable: true }),
          foreignId(queryRunner, 'membership_id', { nullable: true }),
          { name: 'external_id', type: 'varchar', length: '255', isNullable: false },
          enumeration('chosen_by', ['default', 'person'], { nullable: false }),
          ...timestamps(queryRunner),
        ],
        indices: [
          // One task per project and one user per member, per integration; NULLs are distinct,
          // so each index only constrains its own kind. They also index integration_id.
          new TableIndex({
            name: 'uq_invoicing_bookings_integration_project',
            columnNames: ['integration_id', 'project_id'],
            isUnique: true,
          }),
          new TableIndex({
            name: 'uq_invoicing_bookings_integration_membership',
            columnNames: ['integration_id', 'membership_id'],
            isUnique: true,
          }),
          foreignKeyIndex('invoicing_bookings', 'project_id'),
          foreignKeyIndex('invoicing_bookings', 'membership_id'),
        ],
        foreignKeys: [
          foreignKey('invoicing_bookings', 'integration_id', 'integrations', 'CASCADE'),
          foreignKey('invoicing_bookings', 'project_id', 'projects', 'CASCADE'),
          foreignKey('invoicing_bookings', 'membership_id', 'organization_user', 'CASCADE'),
        ],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('invoicing_bookings');
  }
}
