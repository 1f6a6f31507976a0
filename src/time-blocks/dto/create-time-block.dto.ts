import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsInt,
  IsPositive,
  IsString,
  Length,
  Matches,
  MaxLength,
} from 'class-validator';
import { HEX_COLOR, IsTimeZone, lowercaseColor } from '../../common/validation/validators';
import { BLOCK_TIME_PATTERN } from '../block-time';
import { IsOptionalNotNull, IsOptionalNullable, timeMessage, trim } from './time-block-fields';

const TIME_DESCRIPTION =
  'ISO 8601. With an offset or `Z` it is that instant; without one it is wall-clock time in ' +
  '`timezone` (a time the clocks skip is refused; one that happens twice is the earlier). ' +
  'Fractions of a second are truncated. Answered in UTC.';

export class CreateTimeBlockDto {
  @ApiProperty({ example: 'Deep work: quarterly report', maxLength: 255 })
  @Transform(trim)
  @IsString()
  @Length(1, 255)
  title!: string;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 10000 })
  @IsOptionalNullable()
  @IsString()
  @MaxLength(10000)
  description?: string | null;

  @ApiProperty({ example: '2025-03-31T09:00:00+02:00', description: TIME_DESCRIPTION })
  @IsString()
  @Matches(BLOCK_TIME_PATTERN, timeMessage())
  start_time!: string;

  @ApiProperty({
    example: '2025-03-31T10:30:00+02:00',
    description: `After start_time, at most 24 hours later. ${TIME_DESCRIPTION}`,
  })
  @IsString()
  @Matches(BLOCK_TIME_PATTERN, timeMessage())
  end_time!: string;

  @ApiPropertyOptional({
    example: 'Europe/Amsterdam',
    description:
      'IANA zone the block is planned in. Defaults to the owner’s timezone, else the ' +
      'organization’s, else UTC.',
  })
  @IsOptionalNotNull()
  @IsTimeZone()
  timezone?: string;

  @ApiPropertyOptional({ type: String, example: '#4f46e5', nullable: true })
  @IsOptionalNullable()
  @IsString()
  @Transform(lowercaseColor)
  @Matches(HEX_COLOR, { message: 'color must be a hex color such as #4f46e5' })
  color?: string | null;

  @ApiPropertyOptional({
    type: 'integer',
    nullable: true,
    description: 'Filled from the project when absent.',
  })
  @IsOptionalNullable()
  @IsInt()
  @IsPositive()
  client_id?: number | null;

  @ApiPropertyOptional({
    type: 'integer',
    nullable: true,
    description: 'Its client, if it has one, must be client_id.',
  })
  @IsOptionalNullable()
  @IsInt()
  @IsPositive()
  project_id?: number | null;

  @ApiPropertyOptional({
    type: 'integer',
    nullable: true,
    description: 'An enabled calendar of this organization with sync_direction write or both.',
  })
  @IsOptionalNullable()
  @IsInt()
  @IsPositive()
  calendar_id?: number | null;

  @ApiPropertyOptional({ default: true })
  @IsOptionalNotNull()
  @IsBoolean()
  is_billable?: boolean;

  @ApiPropertyOptional({
    type: 'integer',
    description:
      'The member the block is for; defaults to you. Another member needs `time-blocks:create:all`.',
  })
  @IsOptionalNotNull()
  @IsInt()
  @IsPositive()
  user_id?: number;
}
