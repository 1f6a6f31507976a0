import { ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayUnique, IsArray, IsIn, IsObject, IsString, Length, Matches } from 'class-validator';
import {
  IsBoundedJson,
  IsOptionalNotNull,
  IsTimeZone,
  MAX_JSON_BYTES,
  TIME_OF_DAY,
} from '../../common/validation/validators';
import { WEEKDAYS, Weekday } from '../user.entity';

export class UpdateProfileDto {
  @ApiPropertyOptional()
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 255)
  name?: string;

  @ApiPropertyOptional({ example: 'Europe/Amsterdam' })
  @IsOptionalNotNull()
  @IsTimeZone()
  timezone?: string;

  @ApiPropertyOptional({
    enum: WEEKDAYS,
    isArray: true,
    example: ['mon', 'tue', 'wed', 'thu', 'fri'],
  })
  @IsOptionalNotNull()
  @IsArray()
  @ArrayUnique()
  @IsIn(WEEKDAYS, { each: true })
  work_days?: Weekday[];

  @ApiPropertyOptional({ example: '08:00' })
  @IsOptionalNotNull()
  @Matches(TIME_OF_DAY, { message: 'work_hours_start must be a time like 08:00' })
  work_hours_start?: string;

  @ApiPropertyOptional({ example: '18:00' })
  @IsOptionalNotNull()
  @Matches(TIME_OF_DAY, { message: 'work_hours_end must be a time like 18:00' })
  work_hours_end?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: `The web app's settings: a JSON object of at most ${MAX_JSON_BYTES / 1024} KB.`,
  })
  @IsOptionalNotNull()
  @IsObject({ message: 'preferences must be a JSON object' })
  @IsBoundedJson()
  preferences?: Record<string, unknown>;
}
