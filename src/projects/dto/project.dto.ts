import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsInt, IsOptional, IsPositive, IsString, Length, Matches } from 'class-validator';
import { CursorQueryDto } from '../../common/pagination/cursor';
import {
  HEX_COLOR,
  IsOptionalNotNull,
  lowercaseColor,
  MONEY,
} from '../../common/validation/validators';
import {
  IsActiveField,
  IsActiveQuery,
  MetadataField,
  normaliseMoney,
  SearchQuery,
  trim,
} from '../../clients/dto/fields';

const NAME = { example: 'Website relaunch', maxLength: 255 };
const CLIENT_ID = {
  type: 'integer' as const,
  nullable: true,
  description:
    'A client of this organization (else 422), or null. Owned by the provider on projects ' +
    'synced from invoicing.',
};
const COLOR = { type: String, example: '#1a2b3c', nullable: true, pattern: HEX_COLOR.source };
const HOURLY_RATE = {
  oneOf: [
    { type: 'string' as const, pattern: MONEY.source },
    { type: 'number' as const, minimum: 0 },
  ],
  example: '85.00',
  nullable: true,
  description:
    'Decimal, ≥ 0, at most two decimals. Send a string ("85.00") or a JSON number (85.5); ' +
    'answered as a two-decimal string. Owned by the provider on projects synced from invoicing.',
};

const COLOR_MESSAGE = 'color must be a hex color like #1a2b3c';
const RATE_MESSAGE = 'hourly_rate must be an amount ≥ 0 with at most two decimals, like 85.00';

export class CreateProjectDto {
  @ApiProperty(NAME)
  @Transform(trim)
  @IsString()
  @Length(1, 255)
  name!: string;

  @ApiPropertyOptional(CLIENT_ID)
  @IsOptional()
  @IsInt()
  @IsPositive()
  client_id?: number | null;

  @ApiPropertyOptional(COLOR)
  @IsOptional()
  @Transform(lowercaseColor)
  @Matches(HEX_COLOR, { message: COLOR_MESSAGE })
  color?: string | null;

  @ApiPropertyOptional(HOURLY_RATE)
  @IsOptional()
  @Transform(normaliseMoney)
  @Matches(MONEY, { message: RATE_MESSAGE })
  hourly_rate?: string | null;

  @MetadataField()
  metadata?: Record<string, unknown> | null;

  @IsActiveField()
  is_active?: boolean;
}

/** Every field optional; `name` and `is_active` may not be null. */
export class UpdateProjectDto {
  @ApiPropertyOptional({
    ...NAME,
    description: 'Owned by the provider on projects synced from invoicing.',
  })
  @IsOptionalNotNull()
  @Transform(trim)
  @IsString()
  @Length(1, 255)
  name?: string;

  @ApiPropertyOptional(CLIENT_ID)
  @IsOptional()
  @IsInt()
  @IsPositive()
  client_id?: number | null;

  @ApiPropertyOptional(COLOR)
  @IsOptional()
  @Transform(lowercaseColor)
  @Matches(HEX_COLOR, { message: COLOR_MESSAGE })
  color?: string | null;

  @ApiPropertyOptional(HOURLY_RATE)
  @IsOptional()
  @Transform(normaliseMoney)
  @Matches(MONEY, { message: RATE_MESSAGE })
  hourly_rate?: string | null;

  @MetadataField()
  metadata?: Record<string, unknown> | null;

  @IsActiveField()
  is_active?: boolean;
}

export class ProjectQueryDto extends CursorQueryDto {
  @IsActiveQuery()
  is_active?: boolean;

  @SearchQuery('Case-insensitive substring of the name.')
  q?: string;

  @ApiPropertyOptional({ type: 'integer', description: 'Only projects of this client.' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @IsPositive()
  client_id?: number;
}
