import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * calendars.shared_with_organization: a block may only be placed on a calendar of an account its
 * own member connected, unless that member shared the calendar with the organization (a team
 * calendar everyone plans into). Off for every existing calendar.
 */
export class AddSharedWithOrganizationToCalendars1704067261000 implements MigrationInterface {
  name = 'AddSharedWithOrganizationToCalendars1704067261000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'calendars',
      new TableColumn({
        name: 'shared_with_organization',
        type: 'boolean',
        isNullable: false,
        default: 'FALSE',
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('calendars', 'shared_with_organization');
  }
}
