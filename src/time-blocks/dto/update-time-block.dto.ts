import { ApiPropertyOptional } from '@nestjs/swagger';
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

/**
 * Every field optional; `null` clears the nullable ones. Wall-clock times are read in `timezone`
 * if given, else the block's. Changing only `timezone` keeps the instants and changes how they
 * are shown.
 */
export class UpdateTimeBlockDto {
  @ApiPropertyOptional({ example: 'Deep work: quarterly report', maxLength: 255 })
  @IsOptionalNotNull()
  @Transform(trim)
  @IsString()
  @Length(1, 255)
  title?: string;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 10000 })
  @IsOptionalNullable()
  @IsString()
  @MaxLength(10000)
  description?: string | null;

  @ApiPropertyOptional({ example: '2025-03-31T09:00:00+02:00' })
  @IsOptionalNotNull()
  @IsString()
  @Matches(BLOCK_TIME_PATTERN, timeMessage())
  start_time?: string;

  @ApiPropertyOptional({ example: '2025-03-31T10:30:00+02:00' })
  @IsOptionalNotNull()
  @IsString()
  @Matches(BLOCK_TIME_PATTERN, timeMessage())
  end_time?: string;

  @ApiPropertyOptional({ example: 'Europe/Amsterdam' })
  @IsOptionalNotNull()
  @IsTimeZone()
  timezone?: string;

  @ApiPropertyOptional({ type: String, example: '#4f46e5', nullable: true })
  @IsOptionalNullable()
  @IsString()
  @Transform(lowercaseColor)
  @Matches(HEX_COLOR, { message: 'color must be a hex color such as #4f46e5' })
  color?: string | null;

  @ApiPropertyOptional({ type: 'integer', nullable: true })
  @IsOptionalNullable()
  @IsInt()
  @IsPositive()
  client_id?: number | null;

  @ApiPropertyOptional({ type: 'integer', nullable: true })
  @IsOptionalNullable()
  @IsInt()
  @IsPositive()
  project_id?: number | null;

  @ApiPropertyOptional({ type: 'integer', nullable: true })
  @IsOptionalNullable()
  @IsInt()
  @IsPositive()
  calendar_id?: number | null;

  @ApiPropertyOptional()
  @IsOptionalNotNull()
  @IsBoolean()
  is_billable?: boolean;

  @ApiPropertyOptional({
    type: 'integer',
    description: 'Hand the block to another member (needs `time-blocks:update:all`).',
  })
  @IsOptionalNotNull()
  @IsInt()
  @IsPositive()
  user_id?: number;
}
