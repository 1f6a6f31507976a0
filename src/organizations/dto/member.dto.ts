import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsInt, IsPositive } from 'class-validator';
import { INVITATION_ROLES, InvitationRole } from '../../invitations/invitation.entity';

/** Ownership moves only through transfer-ownership, so `owner` is not a role one can set. */
export class UpdateMemberDto {
  @ApiProperty({ enum: INVITATION_ROLES })
  @IsIn(INVITATION_ROLES, {
    message: 'role must be one of admin, member, viewer (ownership is transferred, not assigned)',
  })
  role!: InvitationRole;
}

export class TransferOwnershipDto {
  @ApiProperty({ description: 'A current member, who becomes the owner; you become an admin.' })
  @IsInt()
  @IsPositive()
  user_id!: number;
}
