import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsOptional, IsString, Length, MaxLength } from 'class-validator';
import { NewPassword } from './account.dto';

export class RegisterDto {
  @ApiProperty({ example: 'Ada Lovelace' })
  @IsString()
  @Transform(({ value }) => (typeof value === 'string' ? value.trim() : value))
  @Length(1, 255)
  name!: string;

  @ApiProperty({ example: 'ada@example.com' })
  @Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() : value))
  @IsEmail()
  @MaxLength(255)
  email!: string;

  @NewPassword()
  password!: string;

  @ApiPropertyOptional({
    description: 'Token from an invitation link: the new account joins that organization at once.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  invitation_token?: string;
}
