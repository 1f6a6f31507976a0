import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

/** The rule every new password follows (registration, reset, change). */
export function NewPassword(): PropertyDecorator {
  return (target, key) => {
    ApiProperty({ minLength: 8, maxLength: 1024 })(target, key);
    IsString()(target, key);
    MinLength(8, { message: 'password must be at least 8 characters long' })(target, key);
    MaxLength(1024)(target, key);
  };
}

export class ForgotPasswordDto {
  @ApiProperty({ example: 'ada@example.com' })
  @Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() : value))
  @IsEmail()
  @MaxLength(255)
  email!: string;
}

export class ResetPasswordDto {
  @ApiProperty({ description: 'The token from the reset link (the part after `#`).' })
  @IsString()
  @MinLength(1)
  @MaxLength(255)
  token!: string;

  @NewPassword()
  password!: string;
}

export class ChangePasswordDto {
  @ApiProperty()
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  current_password!: string;

  @NewPassword()
  password!: string;
}

export class VerifyEmailDto {
  @ApiProperty({ description: 'The token from the verification link (the part after `#`).' })
  @IsString()
  @MinLength(1)
  @MaxLength(255)
  token!: string;
}

/** A code from the authenticator app, or one recovery code. */
export class SecondFactorDto {
  @ApiPropertyOptional({ example: '123456', description: 'Six digits from the authenticator app.' })
  @IsOptional()
  @IsString()
  @MaxLength(16)
  code?: string;

  @ApiPropertyOptional({ example: 'abcde-fghij', description: 'One unused recovery code.' })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  recovery_code?: string;
}

export class TwoFactorLoginDto extends SecondFactorDto {
  @ApiProperty({ description: 'The `challenge_token` the password step answered.' })
  @IsString()
  @MinLength(1)
  @MaxLength(255)
  challenge_token!: string;

  @ApiPropertyOptional({ description: 'A label for the token, e.g. the browser or script name.' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  token_name?: string;
}

export class PasswordConfirmationDto {
  @ApiProperty({ description: 'Your current password.' })
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  password!: string;
}

export class ConfirmTwoFactorDto {
  @ApiProperty({ example: '123456' })
  @IsString()
  @MaxLength(16)
  code!: string;
}

export class DisableTwoFactorDto extends SecondFactorDto {
  @ApiProperty({ description: 'Your current password.' })
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  password!: string;
}
