import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  IsEmail,
  IsOptional,
  IsString,
  Length,
  Matches,
  MaxLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { IsOptionalNotNull, IsTimeZone, SLUG } from '../../common/validation/validators';
import { OrganizationSettingsDto } from './organization-settings.dto';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class CreateOrganizationDto {
  @ApiProperty({ example: 'Acme Studio' })
  @Transform(trim)
  @IsString()
  @Length(1, 255)
  name!: string;

  @ApiPropertyOptional({
    example: 'acme-studio',
    description: 'Generated from the name when absent.',
  })
  @IsOptionalNotNull()
  @IsString()
  @Length(2, 100)
  @Matches(SLUG, { message: 'slug may contain lowercase letters, digits and single hyphens' })
  slug?: string;

  @ApiPropertyOptional({ example: 'Europe/Amsterdam', default: 'UTC' })
  @IsOptionalNotNull()
  @IsTimeZone()
  timezone?: string;

  @ApiPropertyOptional({ type: String, nullable: true, format: 'email' })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsEmail()
  @MaxLength(255)
  billing_email?: string | null;
}

// Left out means unchanged; null is validated (and refused) like any other value.
export class UpdateOrganizationDto extends PartialType(CreateOrganizationDto, {
  skipNullProperties: false,
}) {
  @ApiPropertyOptional({ type: OrganizationSettingsDto })
  @IsOptionalNotNull()
  @ValidateNested()
  @Type(() => OrganizationSettingsDto)
  settings?: OrganizationSettingsDto;
}
