import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiGoneResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthenticatedUser } from '../auth/authenticated-user';
import { Authenticated, CurrentUser, Public } from '../auth/decorators';
import { UsersService } from '../users/users.service';
import { InvitationsService } from './invitations.service';

/** The invitation link itself: readable by anyone holding it, accepted by the invited user. */
@ApiTags('invitations')
@Controller('invitations/:token')
export class InvitationLinksController {
  constructor(
    private readonly invitations: InvitationsService,
    private readonly users: UsersService,
  ) {}

  @Get()
  @Public()
  @ApiOkResponse({ description: 'Who invites whom, to what, until when.' })
  @ApiNotFoundResponse({ description: 'No such invitation.' })
  @ApiGoneResponse({ description: 'Used, revoked or expired; `detail` says which.' })
  async show(@Param('token') token: string) {
    const { invitation, organization } = await this.invitations.findByToken(token);
    return {
      organization: { name: organization.name },
      email: invitation.email,
      role: invitation.role,
      expires_at: invitation.expiresAt.toISOString(),
    };
  }

  @Post('accept')
  @HttpCode(200)
  @Authenticated()
  @ApiOkResponse({ description: 'You are now a member with the invited role.' })
  async accept(@CurrentUser() caller: AuthenticatedUser, @Param('token') token: string) {
    const user = await this.users.findOrFail(caller.id);
    const membership = await this.invitations.accept(user, token);
    return {
      organization_id: membership.organizationId,
      role: membership.role,
      joined_at: membership.joinedAt?.toISOString() ?? null,
    };
  }
}
