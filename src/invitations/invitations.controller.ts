import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiTags,
} from '@nestjs/swagger';
import { Membership } from '../auth/authenticated-user';
import { CurrentMembership, RequirePermission } from '../auth/decorators';
import { ParseIdPipe } from '../common/http/parse-id.pipe';
import { CursorQueryDto } from '../common/pagination/cursor';
import { CreateInvitationDto } from './dto/create-invitation.dto';
import { presentInvitation } from './invitation.presenter';
import { InvitationsService } from './invitations.service';

@ApiTags('invitations')
@Controller('organizations/:organizationId/invitations')
export class InvitationsController {
  constructor(private readonly invitations: InvitationsService) {}

  @Post()
  @RequirePermission('invitations:create')
  @ApiCreatedResponse({ description: 'Invitation stored; the email goes out in the background.' })
  @ApiConflictResponse({ description: 'Already a member, or already invited.' })
  async create(@CurrentMembership() membership: Membership, @Body() dto: CreateInvitationDto) {
    return presentInvitation(await this.invitations.create(membership, dto));
  }

  @Get()
  @RequirePermission('invitations:view')
  async list(@CurrentMembership() membership: Membership, @Query() query: CursorQueryDto) {
    const page = await this.invitations.listPending(membership, query);
    return { data: page.data.map(presentInvitation), next_cursor: page.next_cursor };
  }

  @Delete(':invitationId')
  @HttpCode(204)
  @RequirePermission('invitations:revoke')
  @ApiNoContentResponse({ description: 'Revoked: the link stops working.' })
  async revoke(
    @CurrentMembership() membership: Membership,
    @Param('invitationId', new ParseIdPipe('Invitation')) invitationId: number,
  ) {
    await this.invitations.revoke(membership, invitationId);
  }

  @Post(':invitationId/resend')
  @HttpCode(200)
  @RequirePermission('invitations:create')
  async resend(
    @CurrentMembership() membership: Membership,
    @Param('invitationId', new ParseIdPipe('Invitation')) invitationId: number,
  ) {
    return presentInvitation(await this.invitations.resend(membership, invitationId));
  }
}
