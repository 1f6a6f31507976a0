import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { json, timestamp } from './support/schema';

/**
 * Two-factor authentication (TOTP) on users.
 *
 * - `two_factor_secret`: the shared TOTP secret, encrypted under APP_KEY; set at enrolment.
 * - `two_factor_confirmed_at`: set once a first code proved the app has the secret; from then on
 *   login needs a second step. Null with a secret: an enrolment not confirmed yet.
 * - `two_factor_recovery_codes`: SHA-256 digests of the unused one-time recovery codes.
 * - `two_factor_last_step`: the TOTP time step last accepted, so a code works only once.
 */
export class AddTwoFactorToUsers1704067251000 implements MigrationInterface {
  name = 'AddTwoFactorToUsers1704067251000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('users', [
      new TableColumn({ name: 'two_factor_secret', type: 'text', isNullable: true }),
      new TableColumn(timestamp(queryRunner, 'two_factor_confirmed_at')),
      new TableColumn(json('two_factor_recovery_codes')),
      new TableColumn({ name: 'two_factor_last_step', type: 'int', isNullable: true }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumns('users', [
      'two_factor_secret',
      'two_factor_confirmed_at',
      'two_factor_recovery_codes',
      'two_factor_last_step',
    ]);
  }
}
