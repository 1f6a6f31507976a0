import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsOptional, IsString, Length, MaxLength } from 'class-validator';
import { CursorQueryDto } from '../../common/pagination/cursor';
import { IsOptionalNotNull } from '../../common/validation/validators';
import { IsActiveField, IsActiveQuery, MetadataField, SearchQuery, trim } from './fields';

const NAME = { example: 'Acme Corporation', maxLength: 255 };
const EMAIL = {
  type: String,
  format: 'email',
  example: 'billing@acme.example',
  nullable: true,
  maxLength: 255,
  description: 'Billing contact. Owned by the provider on clients synced from invoicing.',
};

export class CreateClientDto {
  @ApiProperty(NAME)
  @Transform(trim)
  @IsString()
  @Length(1, 255)
  name!: string;

  @ApiPropertyOptional(EMAIL)
  @IsOptional()
  @Transform(trim)
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(255)
  email?: string | null;

  @MetadataField()
  metadata?: Record<string, unknown> | null;

  @IsActiveField()
  is_active?: boolean;
}

/** Every field optional; `name` and `is_active` may not be null. */
export class UpdateClientDto {
  @ApiPropertyOptional({
    ...NAME,
    description: 'Owned by the provider on clients synced from invoicing.',
  })
  @IsOptionalNotNull()
  @Transform(trim)
  @IsString()
  @Length(1, 255)
  name?: string;

  @ApiPropertyOptional(EMAIL)
  @IsOptional()
  @Transform(trim)
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(255)
  email?: string | null;

  @MetadataField()
  metadata?: Record<string, unknown> | null;

  @IsActiveField()
  is_active?: boolean;
}

export class ClientQueryDto extends CursorQueryDto {
  @IsActiveQuery()
  is_active?: boolean;

  @SearchQuery('Case-insensitive substring of the name or the email.')
  q?: string;
}
