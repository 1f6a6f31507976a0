import { Column, Entity, JoinColumn, ManyToOne, Relation } from 'typeorm';
import { ForeignIdColumn, IdColumn } from '../database/columns';
import { TimestampedEntity } from '../database/timestamped.entity';
import { OrganizationMember } from '../organizations/organization-member.entity';
import { Project } from '../projects/project.entity';
import { Integration } from './integration.entity';

export const BOOKING_KINDS = ['project_task', 'member_user'] as const;
export type BookingKind = (typeof BOOKING_KINDS)[number];

/** `default`: picked by danwel's rules, replaced when it stops fitting; `person`: kept. */
export const BOOKING_CHOOSERS = ['default', 'person'] as const;
export type BookingChooser = (typeof BOOKING_CHOOSERS)[number];

/**
 * Table `invoicing_bookings`: what an invoicing integration books a project's time on (its task)
 * or a member's time for (their provider user).
 */
@Entity({ name: 'invoicing_bookings' })
export class InvoicingBooking extends TimestampedEntity {
  @IdColumn()
  id!: number;

  @ForeignIdColumn('integration_id')
  integrationId!: number;

  @ManyToOne(() => Integration, { onDelete: 'CASCADE' })
  @JoinColumn({
    name: 'integration_id',
    foreignKeyConstraintName: 'fk_invoicing_bookings_integration_id',
  })
  integration?: Relation<Integration>;

  @Column({ type: 'simple-enum', enum: [...BOOKING_KINDS] })
  kind!: BookingKind;

  @ForeignIdColumn('project_id', { nullable: true })
  projectId!: number | null;

  @ManyToOne(() => Project, { nullable: true, onDelete: 'CASCADE' })
  @JoinColumn({ name: 'project_id', foreignKeyConstraintName: 'fk_invoicing_bookings_project_id' })
  project?: Relation<Project> | null;

  @ForeignIdColumn('membership_id', { nullable: true })
  membershipId!: number | null;

  @ManyToOne(() => OrganizationMember, { nullable: true, onDelete: 'CASCADE' })
  @JoinColumn({
    name: 'membership_id',
    foreignKeyConstraintName: 'fk_invoicing_bookings_membership_id',
  })
  membership?: Relation<OrganizationMember> | null;

  @Column({ name: 'external_id', type: 'varchar', length: 255 })
  externalId!: string;

  @Column({ name: 'chosen_by', type: 'simple-enum', enum: [...BOOKING_CHOOSERS] })
  chosenBy!: BookingChooser;
}
