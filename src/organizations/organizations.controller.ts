import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiTags } from '@nestjs/swagger';
import { AuthenticatedUser, Membership } from '../auth/authenticated-user';
import {
  Authenticated,
  CurrentMembership,
  CurrentUser,
  RequirePermission,
} from '../auth/decorators';
import { CursorQueryDto } from '../common/pagination/cursor';
import { CreateOrganizationDto, UpdateOrganizationDto } from './dto/organization.dto';
import { TransferOwnershipDto } from './dto/member.dto';
import { presentOrganization } from './organization.presenter';
import { OrganizationsService } from './organizations.service';

@ApiTags('organizations')
@Controller('organizations')
export class OrganizationsController {
  constructor(private readonly organizations: OrganizationsService) {}

  @Get()
  @Authenticated()
  async list(@CurrentUser() caller: AuthenticatedUser, @Query() query: CursorQueryDto) {
    const page = await this.organizations.listMine(caller.id, query);
    return {
      data: page.data.map((m) => presentOrganization(m.organization!, m.role)),
      next_cursor: page.next_cursor,
    };
  }

  @Post()
  @Authenticated()
  @ApiCreatedResponse({ description: 'The organization; you are its owner.' })
  async create(@CurrentUser() caller: AuthenticatedUser, @Body() dto: CreateOrganizationDto) {
    return presentOrganization(await this.organizations.create(caller.id, dto), 'owner');
  }

  @Get(':organizationId')
  @RequirePermission('organizations:view')
  async show(@CurrentMembership() membership: Membership) {
    return presentOrganization(await this.organizations.find(membership), membership.role);
  }

  @Patch(':organizationId')
  @RequirePermission('organizations:update')
  async update(@CurrentMembership() membership: Membership, @Body() dto: UpdateOrganizationDto) {
    return presentOrganization(await this.organizations.update(membership, dto), membership.role);
  }

  @Delete(':organizationId')
  @HttpCode(204)
  @RequirePermission('organizations:delete')
  @ApiNoContentResponse({ description: 'Soft-deleted: gone from every endpoint.' })
  async remove(@CurrentMembership() membership: Membership) {
    await this.organizations.remove(membership);
  }

  @Post(':organizationId/transfer-ownership')
  @HttpCode(200)
  @RequirePermission('organizations:transfer-ownership')
  async transferOwnership(
    @CurrentMembership() membership: Membership,
    @Body() dto: TransferOwnershipDto,
  ) {
    return presentOrganization(
      await this.organizations.transferOwnership(membership, dto),
      'admin',
    );
  }
}
