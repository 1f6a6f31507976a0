import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsString, MaxLength, MinLength } from 'class-validator';

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
