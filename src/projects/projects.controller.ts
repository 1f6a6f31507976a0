import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiParam,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { Membership } from '../auth/authenticated-user';
import { CurrentMembership, RequirePermission } from '../auth/decorators';
import { ParseIdPipe } from '../common/http/parse-id.pipe';
import { CreateProjectDto, ProjectQueryDto, UpdateProjectDto } from './dto/project.dto';
import { presentProject } from './project.presenter';
import { ProjectsService } from './projects.service';

const ProjectParam = () =>
  ApiParam({ name: 'projectId', type: 'integer', description: 'The project.' });

@ApiTags('projects')
@Controller('organizations/:organizationId/projects')
export class ProjectsController {
  constructor(private readonly projects: ProjectsService) {}

  /** By name. Pickers ask for `is_active=true`; without it archived projects are listed too. */
  @Get()
  @RequirePermission('projects:view')
  async list(@CurrentMembership() membership: Membership, @Query() query: ProjectQueryDto) {
    const page = await this.projects.list(membership, query);
    return { data: page.data.map(presentProject), next_cursor: page.next_cursor };
  }

  @Post()
  @RequirePermission('projects:manage')
  @ApiCreatedResponse({ description: 'The project (local: not synced from invoicing).' })
  @ApiUnprocessableEntityResponse({
    description: 'Invalid fields, or a client_id that is not a client of this organization.',
  })
  async create(@CurrentMembership() membership: Membership, @Body() dto: CreateProjectDto) {
    return presentProject(await this.projects.create(membership, dto));
  }

  @Get(':projectId')
  @ProjectParam()
  @RequirePermission('projects:view')
  async show(
    @CurrentMembership() membership: Membership,
    @Param('projectId', new ParseIdPipe('Project')) projectId: number,
  ) {
    return presentProject(await this.projects.find(membership, projectId));
  }

  @Patch(':projectId')
  @ProjectParam()
  @RequirePermission('projects:manage')
  @ApiUnprocessableEntityResponse({
    description:
      'Invalid fields, a foreign client_id, or a change to a field the invoicing provider owns.',
  })
  async update(
    @CurrentMembership() membership: Membership,
    @Param('projectId', new ParseIdPipe('Project')) projectId: number,
    @Body() dto: UpdateProjectDto,
  ) {
    return presentProject(await this.projects.update(membership, projectId, dto));
  }

  @Delete(':projectId')
  @ProjectParam()
  @HttpCode(204)
  @RequirePermission('projects:manage')
  @ApiNoContentResponse({ description: 'Deleted; its time blocks stay, without a project.' })
  async remove(
    @CurrentMembership() membership: Membership,
    @Param('projectId', new ParseIdPipe('Project')) projectId: number,
  ) {
    await this.projects.remove(membership, projectId);
  }
}
