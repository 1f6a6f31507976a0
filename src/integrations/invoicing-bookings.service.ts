import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, IsNull, Not } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { Membership } from '../auth/authenticated-user';
import { ConflictError, NotFoundError, ValidationFailedError } from '../common/errors/domain.error';
import { inTransaction } from '../database/transaction';
import {
  InvoicingProvider,
  isTokenRefusal,
  ProviderTask,
  ProviderUser,
} from '../invoicing/invoicing-provider';
import { InvoicingProviders } from '../invoicing/invoicing-providers';
import { OrganizationMember } from '../organizations/organization-member.entity';
import { Project } from '../projects/project.entity';
import { bookingChanged, BookedBlocks } from '../sync/block-sync-state';
import { User } from '../users/user.entity';
import { bookableTasks, bookableUsers, Mapping, memberUser, projectTask } from './booking-mappings';
import { IntegrationSessions } from './integration-session';
import { Integration } from './integration.entity';
import { providerProblem } from './integration.errors';
import { InvoicingAccounts } from './invoicing-accounts.service';
import { BookingKind, InvoicingBooking } from './invoicing-booking.entity';

export interface ProjectBooking {
  project: Project;
  task: Mapping;
  tasks: ProviderTask[];
}

export interface MemberBooking {
  member: OrganizationMember;
  user: User;
  mapping: Mapping;
}

/** A member's booking with the provider's users it was chosen from. */
export interface ChosenUser extends MemberBooking {
  users: ProviderUser[];
}

export interface Bookings {
  provider: InvoicingProvider;
  projects: ProjectBooking[];
  members: MemberBooking[];
  users: ProviderUser[];
}

/**
 * What an invoicing integration books on (`GET/PUT …/integrations/:id/bookings`): each imported
 * project's task and each member's provider user, as mapped (`booking-mappings`), with what the
 * provider offers to choose from. A person's choice is checked against the provider's current
 * lists, stored, audited, and pushes the blocks it concerns again.
 */
@Injectable()
export class InvoicingBookingsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly invoicing: InvoicingProviders,
    private readonly sessions: IntegrationSessions,
    private readonly accounts: InvoicingAccounts,
  ) {}

  async list(membership: Membership, integrationId: number): Promise<Bookings> {
    const { integration, provider } = await this.open(membership, integrationId);
    const manager = this.dataSource.manager;
    const projects = await manager.find(Project, {
      where: { integrationId: integration.id, externalId: Not(IsNull()), isActive: true },
      order: { name: 'ASC', id: 'ASC' },
    });
    const result: Bookings = { provider, projects: [], members: [], users: [] };
    if (provider.bookingNeeds.task) {
      for (const project of projects) {
        const tasks = bookableTasks(provider, await this.tasks(integration, project));
        const task = await projectTask(manager, provider, integration.id, project, tasks, {
          store: false,
        });
        result.projects.push({ project, task, tasks });
      }
    }
    if (provider.bookingNeeds.user) {
      result.users = bookableUsers(await this.users(integration));
      for (const { member, user } of await this.members(manager, membership)) {
        const mapping = await memberUser(
          manager,
          provider,
          integration.id,
          { membershipId: member.id, email: user.email },
          result.users,
          { store: false },
        );
        result.members.push({ member, user, mapping });
      }
    }
    return result;
  }

  /** `PUT …/bookings/projects/:projectId`: the task the project's time is booked on. */
  async chooseTask(
    membership: Membership,
    integrationId: number,
    projectId: number,
    taskExternalId: string,
  ): Promise<ProjectBooking> {
    const { integration, provider } = await this.open(membership, integrationId);
    const project = await membership.scope
      .query(this.dataSource.manager, Project, 'project')
      .andWhere('project.id = :projectId', { projectId })
      .andWhere('project.integrationId = :integrationId', { integrationId: integration.id })
      .andWhere('project.externalId IS NOT NULL')
      .getOne();
    if (!project) throw new NotFoundError('Project');
    if (!provider.bookingNeeds.task) {
      throw new ConflictError(`${provider.name} books time without tasks.`);
    }
    const tasks = bookableTasks(provider, await this.tasks(integration, project));
    if (!tasks.some((task) => task.externalId === taskExternalId)) {
      throw ValidationFailedError.field(
        'task_external_id',
        `task_external_id is not a bookable task of project "${project.name}"`,
      );
    }
    await this.choose(membership, integration, {
      kind: 'project_task',
      projectId: project.id,
      membershipId: null,
      externalId: taskExternalId,
      auditable: { type: 'project', id: project.id },
      blocks: { organizationId: membership.organizationId, projectId: project.id },
    });
    const task = await projectTask(
      this.dataSource.manager,
      provider,
      integration.id,
      project,
      tasks,
      { store: false },
    );
    return { project, task, tasks };
  }

  /** `PUT …/bookings/members/:userId`: the provider user a member's time is booked for. */
  async chooseUser(
    membership: Membership,
    integrationId: number,
    userId: number,
    userExternalId: string,
  ): Promise<ChosenUser> {
    const { integration, provider } = await this.open(membership, integrationId);
    const found = (await this.members(this.dataSource.manager, membership, userId))[0];
    if (!found) throw new NotFoundError('Member');
    if (!provider.bookingNeeds.user) {
      throw new ConflictError(`${provider.name} books time for the connected account.`);
    }
    const users = bookableUsers(await this.users(integration));
    if (!users.some((user) => user.externalId === userExternalId)) {
      throw ValidationFailedError.field(
        'user_external_id',
        `user_external_id is not an active ${provider.name} user of this account`,
      );
    }
    await this.choose(membership, integration, {
      kind: 'member_user',
      projectId: null,
      membershipId: found.member.id,
      externalId: userExternalId,
      auditable: { type: 'user', id: userId },
      blocks: {
        organizationId: membership.organizationId,
        userId,
        integrationId: integration.id,
      },
    });
    const mapping = await memberUser(
      this.dataSource.manager,
      provider,
      integration.id,
      { membershipId: found.member.id, email: found.user.email },
      users,
      { store: false },
    );
    return { ...found, mapping, users };
  }

  /** Stores a person's choice; a changed one pushes the blocks it concerns again. */
  private choose(
    membership: Membership,
    integration: Integration,
    choice: {
      kind: BookingKind;
      projectId: number | null;
      membershipId: number | null;
      externalId: string;
      auditable: { type: string; id: number };
      blocks: BookedBlocks;
    },
  ): Promise<void> {
    return inTransaction(this.dataSource, async (manager) => {
      const where =
        choice.projectId !== null
          ? { integrationId: integration.id, projectId: choice.projectId }
          : { integrationId: integration.id, membershipId: choice.membershipId! };
      const stored = await manager.findOneBy(InvoicingBooking, where);
      const before = stored && { external_id: stored.externalId, chosen_by: stored.chosenBy };
      if (before?.external_id === choice.externalId && before.chosen_by === 'person') return;
      await manager.save(
        manager.merge(
          InvoicingBooking,
          stored ??
            manager.create(InvoicingBooking, {
              integrationId: integration.id,
              kind: choice.kind,
              projectId: choice.projectId,
              membershipId: choice.membershipId,
            }),
          { externalId: choice.externalId, chosenBy: 'person' },
        ),
      );
      const repushed =
        before?.external_id === choice.externalId
          ? 0
          : await bookingChanged(manager, choice.blocks);
      await this.audit.record(manager, {
        action: 'integration.booking_changed',
        organizationId: membership.organizationId,
        userId: membership.userId,
        auditable: choice.auditable,
        oldValues: before,
        newValues: {
          integration_id: integration.id,
          kind: choice.kind,
          external_id: choice.externalId,
          chosen_by: 'person',
          blocks_repushed: repushed,
        },
      });
    });
  }

  private async open(membership: Membership, integrationId: number) {
    const integration = await this.accounts.integration(membership, integrationId);
    if (integration.providerAccountId === null) {
      throw new ConflictError('Choose the account to book in first (PATCH provider_account_id).');
    }
    return { integration, provider: this.invoicing.get(integration.provider) };
  }

  /** The organization's members with their users, optionally only the one with `userId`. */
  private async members(
    manager: EntityManager,
    membership: Membership,
    userId?: number,
  ): Promise<{ member: OrganizationMember; user: User }[]> {
    const query = membership.scope
      .query(manager, OrganizationMember, 'member')
      .innerJoinAndMapOne('member.user', User, 'user', 'user.id = member.userId')
      .orderBy('user.name', 'ASC')
      .addOrderBy('member.id', 'ASC');
    if (userId !== undefined) query.andWhere('member.userId = :userId', { userId });
    const members = await query.getMany();
    return members.map((member) => ({ member, user: member.user! }));
  }

  private tasks(integration: Integration, project: Project): Promise<ProviderTask[]> {
    return this.call(integration, (provider, access) =>
      provider.listTasks(access, project.externalId!),
    );
  }

  private users(integration: Integration): Promise<ProviderUser[]> {
    return this.call(integration, (provider, access) => provider.listUsers(access));
  }

  private async call<T>(
    integration: Integration,
    request: (
      provider: InvoicingProvider,
      access: { accessToken: string; accountId: string },
    ) => Promise<T>,
  ): Promise<T> {
    const provider = this.invoicing.get(integration.provider);
    try {
      return await this.sessions
        .open(integration, provider.name, 'refresh')
        .call(
          (accessToken) =>
            request(provider, { accessToken, accountId: integration.providerAccountId! }),
          isTokenRefusal,
        );
    } catch (error) {
      throw providerProblem(integration.id, error);
    }
  }
}
