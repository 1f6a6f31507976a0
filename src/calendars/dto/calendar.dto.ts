import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsPositive, Matches } from 'class-validator';
import { CursorQueryDto } from '../../common/pagination/cursor';
import {
  HEX_COLOR,
  IsOptionalNotNull,
  lowercaseColor,
  queryBoolean,
} from '../../common/validation/validators';
import { CALENDAR_SYNC_DIRECTIONS, CalendarSyncDirection } from '../calendar.entity';

const DIRECTION_MESSAGE = `sync_direction must be one of ${CALENDAR_SYNC_DIRECTIONS.join(', ')}`;

export class CalendarQueryDto extends CursorQueryDto {
  @ApiPropertyOptional({ type: 'integer', description: 'Only the calendars of this integration.' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @IsPositive()
  integration_id?: number;

  @ApiPropertyOptional({ type: Boolean, description: 'Only enabled (`true`) or disabled ones.' })
  @IsOptional()
  @Transform(queryBoolean)
  @IsBoolean({ message: 'is_enabled must be true or false' })
  is_enabled?: boolean;

  @ApiPropertyOptional({ enum: CALENDAR_SYNC_DIRECTIONS })
  @IsOptional()
  @IsIn(CALENDAR_SYNC_DIRECTIONS, { message: DIRECTION_MESSAGE })
  sync_direction?: CalendarSyncDirection;
}

/** Every field optional; none may be null. */
export class UpdateCalendarDto {
  @ApiPropertyOptional({
    type: Boolean,
    description:
      'false: danwel stops writing to this calendar; its blocks become `disabled` and their ' +
      'events stay in the calendar as they are. true again: its blocks are pushed again.',
  })
  @IsOptionalNotNull()
  @IsBoolean({ message: 'is_enabled must be true or false' })
  is_enabled?: boolean;

  @ApiPropertyOptional({
    enum: CALENDAR_SYNC_DIRECTIONS,
    description:
      '`write` or `both`: blocks are pushed to it. `read`: danwel only reads it (its blocks ' +
      'become `disabled`, their events stay).',
  })
  @IsOptionalNotNull()
  @IsIn(CALENDAR_SYNC_DIRECTIONS, { message: DIRECTION_MESSAGE })
  sync_direction?: CalendarSyncDirection;

  @ApiPropertyOptional({
    type: Boolean,
    description:
      'true: colleagues may put their own blocks on this calendar too (a team calendar). Only ' +
      'the member who connected the account may change it. false (the default): only their ' +
      'blocks go onto it.',
  })
  @IsOptionalNotNull()
  @IsBoolean({ message: 'shared_with_organization must be true or false' })
  shared_with_organization?: boolean;

  @ApiPropertyOptional({
    type: String,
    example: '#4f46e5',
    pattern: HEX_COLOR.source,
    description: 'Shown in danwel. A refresh of the calendar list takes the provider’s again.',
  })
  @IsOptionalNotNull()
  @Transform(lowercaseColor)
  @Matches(HEX_COLOR, { message: 'color must be a hex color such as #4f46e5' })
  color?: string;
}
