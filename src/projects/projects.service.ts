import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService, changes } from '../audit/audit.service';
import { Membership } from '../auth/authenticated-user';
import {
  assertProviderFieldsUnchanged,
  isForeignKeyViolation,
  whereActive,
  whereContains,
} from '../clients/catalog';
import { Client } from '../clients/client.entity';
import { NotFoundError, ValidationFailedError } from '../common/errors/domain.error';
import { CursorPage, paginate } from '../common/pagination/cursor';
import { inTransaction, isSqlite } from '../database/transaction';
import { TimeBlock } from '../time-blocks/time-block.entity';
import { CreateProjectDto, ProjectQueryDto, UpdateProjectDto } from './dto/project.dto';
import { Project } from './project.entity';

@Injectable()
export class ProjectsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  /**
   * By name, then id. Archived projects are included unless `is_active` narrows the list;
   * `client_id` of another organization simply matches nothing.
   */
  list(membership: Membership, query: ProjectQueryDto): Promise<CursorPage<Project>> {
    const projects = membership.scope.query(this.dataSource.manager, Project, 'project');
    whereActive(projects, 'project', query.is_active);
    whereContains(projects, ['project.name'], query.q);
    if (query.client_id !== undefined) {
      projects.andWhere('project.clientId = :clientId', { clientId: query.client_id });
    }
    return paginate(
      projects,
      [
        { column: 'project.name', value: (p) => p.name },
        { column: 'project.id', value: (p) => p.id },
      ],
      query,
    );
  }

  find(membership: Membership, projectId: number): Promise<Project> {
    return membership.scope.findOrFail(this.dataSource.manager, Project, projectId, 'Project');
  }

  /** Projects made through the API are local; synced ones are created by the invoicing sync. */
  async create(membership: Membership, dto: CreateProjectDto): Promise<Project> {
    return this.withClientReference(() =>
      inTransaction(this.dataSource, async (manager) => {
        const clientId = await this.resolveClient(manager, membership, dto.client_id);
        const project = await manager.save(
          manager.create(Project, {
            organizationId: membership.organizationId,
            clientId,
            integrationId: null,
            externalId: null,
            name: dto.name,
            color: dto.color ?? null,
            hourlyRate: dto.hourly_rate ?? null,
            metadata: dto.metadata ?? null,
            isActive: dto.is_active ?? true,
          }),
        );
        await this.audit.record(manager, {
          action: 'project.created',
          organizationId: membership.organizationId,
          auditable: { type: 'project', id: project.id },
          newValues: projectFields(project),
        });
        return project;
      }),
    );
  }

  async update(membership: Membership, projectId: number, dto: UpdateProjectDto): Promise<Project> {
    return this.withClientReference(() =>
      inTransaction(this.dataSource, async (manager) => {
        // The project first: another tenant's project is 404 whatever the body says.
        const project = await this.findForUpdate(manager, membership, projectId);
        assertProviderFieldsUnchanged(project, 'project', {
          name: { current: project.name, next: dto.name },
          client_id: { current: project.clientId, next: dto.client_id },
          hourly_rate: { current: project.hourlyRate, next: dto.hourly_rate },
        });
        const before = projectFields(project);
        if (dto.client_id !== undefined && dto.client_id !== project.clientId) {
          project.clientId = await this.resolveClient(manager, membership, dto.client_id);
        }
        if (dto.name !== undefined) project.name = dto.name;
        if (dto.color !== undefined) project.color = dto.color;
        if (dto.hourly_rate !== undefined) project.hourlyRate = dto.hourly_rate;
        if (dto.metadata !== undefined) project.metadata = dto.metadata;
        if (dto.is_active !== undefined) project.isActive = dto.is_active;
        const diff = changes(before, projectFields(project));
        if (Object.keys(diff.newValues).length === 0) return project;

        await manager.save(project);
        await this.audit.record(manager, {
          action: 'project.updated',
          organizationId: membership.organizationId,
          auditable: { type: 'project', id: project.id },
          ...diff,
        });
        return project;
      }),
    );
  }

  /**
   * A real delete. Time blocks (soft-deleted ones too) stay, with `project_id` set to NULL by the
   * foreign key; their own `client_id` is untouched. Synced projects may be deleted too.
   */
  async remove(membership: Membership, projectId: number): Promise<void> {
    await inTransaction(this.dataSource, async (manager) => {
      const project = await this.findForUpdate(manager, membership, projectId);
      const blocks = await membership.scope
        .query(manager, TimeBlock, 'block')
        .withDeleted()
        .andWhere('block.projectId = :projectId', { projectId })
        .getCount();
      await manager.delete(Project, { id: project.id, organizationId: membership.organizationId });
      await this.audit.record(manager, {
        action: 'project.deleted',
        organizationId: membership.organizationId,
        auditable: { type: 'project', id: project.id },
        oldValues: {
          ...projectFields(project),
          integration_id: project.integrationId,
          external_id: project.externalId,
          time_blocks_detached: blocks,
        },
      });
    });
  }

  /** A `client_id` from a body: a client of this organization (else 422), or null. */
  private async resolveClient(
    manager: EntityManager,
    membership: Membership,
    clientId: number | null | undefined,
  ): Promise<number | null> {
    if (clientId === undefined || clientId === null) return null;
    const client = await membership.scope.resolveReference(manager, Client, clientId, 'client_id');
    return client.id;
  }

  /**
   * On MySQL a client can be deleted between our check and our write; the foreign key then
   * refuses the row, which is the same answer as a client that never existed.
   */
  private async withClientReference<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (isForeignKeyViolation(error)) {
        throw ValidationFailedError.field(
          'client_id',
          'client_id does not exist in this organization.',
        );
      }
      throw error;
    }
  }

  /** The organization's project, locked until the transaction ends (MySQL; SQLite is serial). */
  private async findForUpdate(
    manager: EntityManager,
    membership: Membership,
    projectId: number,
  ): Promise<Project> {
    const query = membership.scope
      .query(manager, Project, 'project')
      .andWhere('project.id = :projectId', { projectId });
    if (!isSqlite(this.dataSource)) query.setLock('pessimistic_write');
    const project = await query.getOne();
    if (!project) throw new NotFoundError('Project');
    return project;
  }
}

/** What the audit trail records of a project (API names). */
function projectFields(project: Project) {
  return {
    name: project.name,
    client_id: project.clientId,
    color: project.color,
    hourly_rate: project.hourlyRate,
    metadata: project.metadata,
    is_active: project.isActive,
  };
}
