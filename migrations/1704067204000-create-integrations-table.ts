import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import {
  boolean,
  enumeration,
  foreignId,
  foreignKey,
  foreignKeyIndex,
  id,
  timestamp,
  timestamps,
} from './support/schema';

/**
 * integrations: an organization's OAuth connection to a calendar or invoicing provider.
 * The token columns hold AES-256-GCM ciphertext, hence TEXT.
 */
export class CreateIntegrationsTable1704067204000 implements MigrationInterface {
  name = 'CreateIntegrationsTable1704067204000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'integrations',
        columns: [
          id(queryRunner),
          foreignId(queryRunner, 'organization_id'),
          foreignId(queryRunner, 'connected_by'),
          { name: 'provider', type: 'varchar', length: '50', isNullable: false },
          enumeration('provider_type', ['calendar', 'invoicing'], { nullable: false }),
          { name: 'name', type: 'varchar', length: '255', isNullable: true },
          { name: 'access_token', type: 'text', isNullable: false },
          { name: 'refresh_token', type: 'text', isNullable: true },
          { name: 'token_metadata', type: 'text', isNullable: true },
          timestamp(queryRunner, 'expires_at'),
          { name: 'provider_account_id', type: 'varchar', length: '255', isNullable: true },
          { name: 'provider_account_email', type: 'varchar', length: '255', isNullable: true },
          boolean('is_active', { default: true }),
          timestamp(queryRunner, 'last_sync_at'),
          { name: 'last_error', type: 'text', isNullable: true },
          { name: 'error_count', type: 'int', isNullable: true, default: '0' },
          ...timestamps(queryRunner),
        ],
        indices: [
          new TableIndex({
            name: 'idx_org_provider',
            columnNames: ['organization_id', 'provider'],
          }),
          new TableIndex({
            name: 'idx_provider_type',
            columnNames: ['organization_id', 'provider_type'],
          }),
          new TableIndex({ name: 'idx_expires', columnNames: ['expires_at'] }),
          // Not in the base schema: every foreign key is indexed.
          foreignKeyIndex('integrations', 'connected_by'),
        ],
        foreignKeys: [
          foreignKey('integrations', 'organization_id', 'organizations', 'CASCADE'),
          foreignKey('integrations', 'connected_by', 'users', 'CASCADE'),
        ],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('integrations');
  }
}
