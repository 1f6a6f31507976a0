import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { uniqueIndex } from './support/schema';

/**
 * oauth_states: the callback no longer connects an account itself. It parks the grant it got
 * (`parked_grant`: tokens, account and calendars, encrypted under APP_KEY) on the state row,
 * until the user who started the flow confirms it with the reference their browser was sent to;
 * only the reference's SHA-256 digest is stored (`grant_reference_hash`).
 */
export class AddParkedGrantToOauthStates1704067260000 implements MigrationInterface {
  name = 'AddParkedGrantToOauthStates1704067260000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('oauth_states', [
      new TableColumn({ name: 'parked_grant', type: 'text', isNullable: true }),
      new TableColumn({
        name: 'grant_reference_hash',
        type: 'varchar',
        length: '64',
        isNullable: true,
      }),
    ]);
    await queryRunner.createIndex(
      'oauth_states',
      uniqueIndex('oauth_states', 'grant_reference_hash'),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('oauth_states', 'uq_oauth_states_grant_reference_hash');
    await queryRunner.dropColumns('oauth_states', ['parked_grant', 'grant_reference_hash']);
  }
}
