import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService, changes } from '../audit/audit.service';
import { Membership } from '../auth/authenticated-user';
import { NotFoundError } from '../common/errors/domain.error';
import { CursorPage, paginate } from '../common/pagination/cursor';
import { inTransaction, isSqlite } from '../database/transaction';
import { Project } from '../projects/project.entity';
import { TimeBlock } from '../time-blocks/time-block.entity';
import { assertProviderFieldsUnchanged, whereActive, whereContains } from './catalog';
import { Client } from './client.entity';
import { ClientQueryDto, CreateClientDto, UpdateClientDto } from './dto/client.dto';

@Injectable()
export class ClientsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  /** By name, then id. Archived clients are included unless `is_active` narrows the list. */
  list(membership: Membership, query: ClientQueryDto): Promise<CursorPage<Client>> {
    const clients = membership.scope.query(this.dataSource.manager, Client, 'client');
    whereActive(clients, 'client', query.is_active);
    whereContains(clients, ['client.name', 'client.email'], query.q);
    return paginate(
      clients,
      [
        { column: 'client.name', value: (c) => c.name },
        { column: 'client.id', value: (c) => c.id },
      ],
      query,
    );
  }

  find(membership: Membership, clientId: number): Promise<Client> {
    return membership.scope.findOrFail(this.dataSource.manager, Client, clientId, 'Client');
  }

  /** Clients made through the API are local; synced ones are created by the invoicing sync. */
  async create(membership: Membership, dto: CreateClientDto): Promise<Client> {
    return inTransaction(this.dataSource, async (manager) => {
      const client = await manager.save(
        manager.create(Client, {
          organizationId: membership.organizationId,
          integrationId: null,
          externalId: null,
          name: dto.name,
          email: dto.email ?? null,
          metadata: dto.metadata ?? null,
          isActive: dto.is_active ?? true,
        }),
      );
      await this.audit.record(manager, {
        action: 'client.created',
        organizationId: membership.organizationId,
        auditable: { type: 'client', id: client.id },
        newValues: clientFields(client),
      });
      return client;
    });
  }

  async update(membership: Membership, clientId: number, dto: UpdateClientDto): Promise<Client> {
    return inTransaction(this.dataSource, async (manager) => {
      const client = await this.findForUpdate(manager, membership, clientId);
      assertProviderFieldsUnchanged(client, 'client', {
        name: { current: client.name, next: dto.name },
        email: { current: client.email, next: dto.email },
      });
      const before = clientFields(client);
      if (dto.name !== undefined) client.name = dto.name;
      if (dto.email !== undefined) client.email = dto.email;
      if (dto.metadata !== undefined) client.metadata = dto.metadata;
      if (dto.is_active !== undefined) client.isActive = dto.is_active;
      const diff = changes(before, clientFields(client));
      if (Object.keys(diff.newValues).length === 0) return client;

      await manager.save(client);
      await this.audit.record(manager, {
        action: 'client.updated',
        organizationId: membership.organizationId,
        auditable: { type: 'client', id: client.id },
        ...diff,
      });
      return client;
    });
  }

  /**
   * A real delete. The foreign keys keep the rest: projects and time blocks (soft-deleted ones
   * too) stay, with `client_id` set to NULL. Synced clients may be deleted too (admins clean up);
   * the audit row says how many rows lost their client.
   */
  async remove(membership: Membership, clientId: number): Promise<void> {
    await inTransaction(this.dataSource, async (manager) => {
      const client = await this.findForUpdate(manager, membership, clientId);
      const projects = await membership.scope
        .query(manager, Project, 'project')
        .andWhere('project.clientId = :clientId', { clientId })
        .getCount();
      const blocks = await membership.scope
        .query(manager, TimeBlock, 'block')
        .withDeleted()
        .andWhere('block.clientId = :clientId', { clientId })
        .getCount();
      await manager.delete(Client, { id: client.id, organizationId: membership.organizationId });
      await this.audit.record(manager, {
        action: 'client.deleted',
        organizationId: membership.organizationId,
        auditable: { type: 'client', id: client.id },
        oldValues: {
          ...clientFields(client),
          integration_id: client.integrationId,
          external_id: client.externalId,
          projects_detached: projects,
          time_blocks_detached: blocks,
        },
      });
    });
  }

  /** The organization's client, locked until the transaction ends (MySQL; SQLite is serial). */
  private async findForUpdate(
    manager: EntityManager,
    membership: Membership,
    clientId: number,
  ): Promise<Client> {
    const query = membership.scope
      .query(manager, Client, 'client')
      .andWhere('client.id = :clientId', { clientId });
    if (!isSqlite(this.dataSource)) query.setLock('pessimistic_write');
    const client = await query.getOne();
    if (!client) throw new NotFoundError('Client');
    return client;
  }
}

/** What the audit trail records of a client (API names). */
function clientFields(client: Client) {
  return {
    name: client.name,
    email: client.email,
    metadata: client.metadata,
    is_active: client.isActive,
  };
}
