import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * integrations.webhook_id, webhook_token: the webhook danwel registered in the provider for an
 * invoicing integration (Moneybird), so that a delivery can be authenticated and the webhook
 * removed on disconnect. The id is the provider's reference (it may name the account); the
 * token is the secret each delivery carries, AES-GCM encrypted bound to its row like the OAuth
 * tokens.
 */
export class AddWebhookToIntegrations1704067293000 implements MigrationInterface {
  name = 'AddWebhookToIntegrations1704067293000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('integrations', [
      new TableColumn({ name: 'webhook_id', type: 'varchar', length: '100', isNullable: true }),
      new TableColumn({ name: 'webhook_token', type: 'text', isNullable: true }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('integrations', 'webhook_token');
    await queryRunner.dropColumn('integrations', 'webhook_id');
  }
}
