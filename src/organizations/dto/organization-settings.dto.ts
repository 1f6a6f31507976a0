import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, Matches, ValidateIf } from 'class-validator';
import { MONEY } from '../../common/validation/validators';

/** Organization-wide settings; the keys danwel understands (others are rejected). */
export class OrganizationSettingsDto {
  @ApiPropertyOptional({ description: 'Refuse overlapping blocks of the same member (409).' })
  @IsOptional()
  @IsBoolean()
  prevent_overlaps?: boolean;

  @ApiPropertyOptional({
    description:
      'Billable blocks are booked in the invoicing system only once an admin or owner approved them.',
  })
  @IsOptional()
  @IsBoolean()
  require_approval?: boolean;

  @ApiPropertyOptional({
    description:
      'Admins and owners must have two-factor authentication on to use the organization.',
  })
  @IsOptional()
  @IsBoolean()
  require_two_factor?: boolean;

  @ApiPropertyOptional({
    type: String,
    example: '95.00',
    nullable: true,
    description: 'Hourly rate used when a project has none (decimal string).',
  })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @Matches(MONEY, { message: 'default_hourly_rate must be a non-negative amount like 95.00' })
  default_hourly_rate?: string | null;
}

export type OrganizationSettings = OrganizationSettingsDto;
