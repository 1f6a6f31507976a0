import { Body, Controller, Get, Patch, Put } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthenticatedUser } from '../auth/authenticated-user';
import { Authenticated, CurrentUser } from '../auth/decorators';
import { SwitchOrganizationDto } from './dto/switch-organization.dto';
import { UpdateProfileDto } from './dto/update-profile.dto';
import { presentUser } from './user.presenter';
import { UsersService } from './users.service';

@ApiTags('me')
@Authenticated()
@Controller('me')
export class MeController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @ApiOkResponse({ description: 'Your profile and your memberships with roles.' })
  async show(@CurrentUser() caller: AuthenticatedUser) {
    const [user, memberships] = await Promise.all([
      this.users.findOrFail(caller.id),
      this.users.memberships(caller.id),
    ]);
    return {
      ...presentUser(user),
      memberships: memberships.map((membership) => ({
        organization: {
          id: membership.organizationId,
          name: membership.organization!.name,
          slug: membership.organization!.slug,
        },
        role: membership.role,
        joined_at: membership.joinedAt?.toISOString() ?? null,
      })),
    };
  }

  @Patch()
  async update(@CurrentUser() caller: AuthenticatedUser, @Body() dto: UpdateProfileDto) {
    return presentUser(await this.users.updateProfile(caller.id, dto));
  }

  @Put('current-organization')
  async switchOrganization(
    @CurrentUser() caller: AuthenticatedUser,
    @Body() dto: SwitchOrganizationDto,
  ) {
    return presentUser(await this.users.switchOrganization(caller.id, dto.organization_id));
  }
}
