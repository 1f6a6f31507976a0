import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsIn, MaxLength } from 'class-validator';
import { INVITATION_ROLES, InvitationRole } from '../invitation.entity';

export class CreateInvitationDto {
  @ApiProperty({ example: 'grace@example.com' })
  @Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() : value))
  @IsEmail()
  @MaxLength(255)
  email!: string;

  @ApiProperty({ enum: INVITATION_ROLES, default: 'member' })
  @IsIn(INVITATION_ROLES)
  role: InvitationRole = 'member';
}
