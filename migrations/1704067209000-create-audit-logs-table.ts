import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { foreignId, id, json, timestamp } from './support/schema';

/**
 * audit_logs. As in the base schema there are no foreign keys: an audit trail must outlive the
 * organizations, users and rows it describes (organization_id is NULL for system events).
 * Only `created_at`: audit rows are never updated.
 */
export class CreateAuditLogsTable1704067209000 implements MigrationInterface {
  name = 'CreateAuditLogsTable1704067209000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'audit_logs',
        columns: [
          id(queryRunner),
          foreignId(queryRunner, 'organization_id', { nullable: true }),
          foreignId(queryRunner, 'user_id', { nullable: true }),
          { name: 'action', type: 'varchar', length: '100', isNullable: false },
          { name: 'auditable_type', type: 'varchar', length: '255', isNullable: true },
          foreignId(queryRunner, 'auditable_id', { nullable: true }),
          json('old_values'),
          json('new_values'),
          { name: 'ip_address', type: 'varchar', length: '45', isNullable: true },
          { name: 'user_agent', type: 'varchar', length: '500', isNullable: true },
          timestamp(queryRunner, 'created_at'),
        ],
        indices: [
          new TableIndex({ name: 'idx_org_action', columnNames: ['organization_id', 'action'] }),
          new TableIndex({
            name: 'idx_auditable',
            columnNames: ['auditable_type', 'auditable_id'],
          }),
          new TableIndex({ name: 'idx_created', columnNames: ['created_at'] }),
        ],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('audit_logs');
  }
}
