import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsNotEmpty, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { CursorQueryDto } from '../../common/pagination/cursor';

/** The most projects on a page: each may cost one provider request (Xero: 60 a minute). */
export const BOOKINGS_PAGE_MAX = 25;

const CHOSEN_BY = {
  enum: ['default', 'person'],
  description:
    '`default`: picked by danwel (Harvest: the project’s first billable active task; Xero: its ' +
    'first active task; users: the active one with the member’s e-mail address), picked again ' +
    'when it stops fitting. `person`: chosen through this API; kept across imports.',
};

export class ProviderTaskDto {
  @ApiProperty({ description: 'The provider’s task id.', example: '8083365' })
  external_id!: string;

  @ApiProperty({ example: 'Design' })
  name!: string;

  @ApiProperty()
  billable!: boolean;
}

export class ProviderUserDto {
  @ApiProperty({ description: 'The provider’s user id.', example: '496081425181705336' })
  external_id!: string;

  @ApiProperty({ example: 'Ann Lee' })
  name!: string;

  @ApiProperty({ type: String, nullable: true, example: 'ann@acme.test' })
  email!: string | null;
}

export class BookedTaskDto extends ProviderTaskDto {
  @ApiProperty(CHOSEN_BY)
  chosen_by!: 'default' | 'person';
}

export class BookedUserDto extends ProviderUserDto {
  @ApiProperty(CHOSEN_BY)
  chosen_by!: 'default' | 'person';
}

export class ProjectBookingDto {
  @ApiProperty()
  project_id!: number;

  @ApiProperty({ example: 'Website' })
  name!: string;

  @ApiProperty({ description: 'The project’s id in the provider.', example: '14307913' })
  external_id!: string;

  @ApiProperty({
    type: BookedTaskDto,
    nullable: true,
    description: 'The task its time is booked on; null when none can be (see `missing`).',
  })
  task!: BookedTaskDto | null;

  @ApiProperty({ type: [ProviderTaskDto], description: 'The tasks it may be booked on.' })
  available_tasks!: ProviderTaskDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Why its time cannot be booked, in words a person can act on; null when it can.',
    example: 'project "Website" has no billable active task to book on',
  })
  missing!: string | null;
}

export class MemberBookingDto {
  @ApiProperty()
  user_id!: number;

  @ApiProperty({ example: 'Ann Lee' })
  name!: string;

  @ApiProperty({ example: 'ann@acme.test' })
  email!: string;

  @ApiProperty({
    type: BookedUserDto,
    nullable: true,
    description: 'The provider user the member’s time is booked for; null when none matches.',
  })
  provider_user!: BookedUserDto | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Why the member’s time cannot be booked; null when it can.',
    example: 'no active xero user has the e-mail address bob@acme.test',
  })
  missing!: string | null;
}

export class BookingNeedsDto {
  @ApiProperty({ description: 'Time is booked on a project’s task (Harvest, Xero).' })
  task!: boolean;

  @ApiProperty({ description: 'Time is booked for a provider user (Moneybird, Xero).' })
  user!: boolean;
}

export class InvoicingBookingsDto {
  @ApiProperty({ enum: ['moneybird', 'harvest', 'xero'] })
  provider!: string;

  @ApiProperty({ type: BookingNeedsDto })
  needs!: BookingNeedsDto;

  @ApiProperty({
    type: [ProjectBookingDto],
    description:
      'One page of the active imported projects, by name (`next_cursor` for the next); empty ' +
      'where no task is needed.',
  })
  projects!: ProjectBookingDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    description:
      'Pass as `cursor` for the next page of `projects`; null on the last. Members and users ' +
      'are listed whole on every page.',
  })
  next_cursor!: string | null;

  @ApiProperty({
    type: [MemberBookingDto],
    description: 'The organization’s members, by name; empty where no user is needed.',
  })
  members!: MemberBookingDto[];

  @ApiProperty({
    type: [ProviderUserDto],
    description: 'The active provider users any member may be booked for (once, not per member).',
  })
  available_users!: ProviderUserDto[];
}

/** `GET …/bookings`: pages `projects` like every list (`cursor`, `limit`), by fewer per page. */
export class BookingsQueryDto extends CursorQueryDto {
  @ApiPropertyOptional({
    minimum: 1,
    maximum: BOOKINGS_PAGE_MAX,
    default: BOOKINGS_PAGE_MAX,
    description: 'Projects per page; each may cost the provider a request for its tasks.',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(BOOKINGS_PAGE_MAX)
  override limit?: number = undefined;
}

export class ChooseBookedTaskDto {
  @ApiProperty({
    description: 'One of the project’s `available_tasks` (else 422).',
    example: '8083365',
    maxLength: 255,
  })
  @IsString({ message: 'task_external_id must be a string' })
  @IsNotEmpty({ message: 'task_external_id is required' })
  @MaxLength(255, { message: 'task_external_id must be at most 255 characters' })
  task_external_id!: string;
}

export class ChooseBookedUserDto {
  @ApiProperty({
    description: 'One of `available_users` (else 422).',
    example: '496081425181705336',
    maxLength: 255,
  })
  @IsString({ message: 'user_external_id must be a string' })
  @IsNotEmpty({ message: 'user_external_id is required' })
  @MaxLength(255, { message: 'user_external_id must be at most 255 characters' })
  user_external_id!: string;
}
