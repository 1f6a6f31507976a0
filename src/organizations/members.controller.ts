import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Query } from '@nestjs/common';
import { ApiNoContentResponse, ApiTags } from '@nestjs/swagger';
import { Membership } from '../auth/authenticated-user';
import { CurrentMembership, RequirePermission } from '../auth/decorators';
import { ParseIdPipe } from '../common/http/parse-id.pipe';
import { CursorQueryDto } from '../common/pagination/cursor';
import { UpdateMemberDto } from './dto/member.dto';
import { presentMember } from './organization.presenter';
import { MembersService } from './members.service';

@ApiTags('members')
@Controller('organizations/:organizationId/members')
export class MembersController {
  constructor(private readonly members: MembersService) {}

  @Get()
  @RequirePermission('members:view')
  async list(@CurrentMembership() membership: Membership, @Query() query: CursorQueryDto) {
    const page = await this.members.listMembers(membership, query);
    return { data: page.data.map(presentMember), next_cursor: page.next_cursor };
  }

  @Patch(':userId')
  @RequirePermission('members:update')
  async update(
    @CurrentMembership() membership: Membership,
    @Param('userId', new ParseIdPipe('Member')) userId: number,
    @Body() dto: UpdateMemberDto,
  ) {
    const member = await this.members.updateMember(membership, userId, dto);
    return { user_id: member.userId, role: member.role };
  }

  /** Leaving is allowed to everyone; removing someone else needs `members:remove`. */
  @Delete(':userId')
  @HttpCode(204)
  @RequirePermission('members:leave')
  @ApiNoContentResponse({ description: 'Removed (or left).' })
  async remove(
    @CurrentMembership() membership: Membership,
    @Param('userId', new ParseIdPipe('Member')) userId: number,
  ) {
    await this.members.removeMember(membership, userId);
  }
}
