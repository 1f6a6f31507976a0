import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { Membership } from '../auth/authenticated-user';
import { ConflictError, NotFoundError, ValidationFailedError } from '../common/errors/domain.error';
import { CursorQueryDto, paginate } from '../common/pagination/cursor';
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
import { InvoicingBookingsCache, InvoicingCall } from '../sync/invoicing-bookings';
import { User } from '../users/user.entity';
import { bookableTasks, bookableUsers, Mapping } from './booking-mappings';
import { BOOKINGS_PAGE_MAX } from './dto/invoicing-bookings.dto';
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
  /** The cursor of the next page of `projects`, or null. */
  next_cursor: string | null;
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
    private readonly bookingsCache: InvoicingBookingsCache,
  ) {}

  /**
   * One page of the projects (by name) with their tasks, and every member with their user. Tasks
   * and users come from the reads the reconciler shares (`InvoicingBookingsCache`); a mapping
   * missing from them is looked up once more in a fresh read.
   */
  async list(
    membership: Membership,
    integrationId: number,
    page: CursorQueryDto,
  ): Promise<Bookings> {
    return this.answering(integrationId, async () => {
      const started = Date.now();
      const { integration, provider, bookings, call } = await this.open(membership, integrationId);
      const manager = this.dataSource.manager;
      const freshness = { freshSince: started, store: false };
      const result: Bookings = {
        provider,
        projects: [],
        next_cursor: null,
        members: [],
        users: [],
      };
      if (provider.bookingNeeds.task) {
        const projects = await paginate(
          membership.scope
            .query(manager, Project, 'project')
            .andWhere('project.integrationId = :integrationId', { integrationId: integration.id })
            .andWhere('project.externalId IS NOT NULL')
            .andWhere('project.isActive = :active', { active: true }),
          [
            { column: 'project.name', value: (project) => project.name },
            { column: 'project.id', value: (project) => project.id },
          ],
          { cursor: page.cursor, limit: page.limit ?? BOOKINGS_PAGE_MAX },
        );
        for (const project of projects.data) {
          result.projects.push({
            project,
            ...(await bookings.projectTask(project, call, freshness)),
          });
        }
        result.next_cursor = projects.next_cursor;
      }
      if (provider.bookingNeeds.user) {
        for (const { member, user } of await this.members(manager, membership)) {
          const { mapping } = await bookings.memberUser(
            { membershipId: member.id, email: user.email },
            call,
            freshness,
          );
          result.members.push({ member, user, mapping });
        }
        // As last read: a fresh read for one member is what every member is shown against.
        result.users = bookableUsers(await bookings.listUsers(call));
      }
      return result;
    });
  }

  /** `PUT …/bookings/projects/:projectId`: the task the project's time is booked on. */
  async chooseTask(
    membership: Membership,
    integrationId: number,
    projectId: number,
    taskExternalId: string,
  ): Promise<ProjectBooking> {
    return this.answering(integrationId, async () => {
      const started = Date.now();
      const { integration, provider, bookings, call } = await this.open(membership, integrationId);
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
      // A task made since the tasks were last read is looked for in a fresh read.
      const offered = async (freshSince?: number) =>
        bookableTasks(provider, await bookings.tasks(project.externalId!, call, freshSince)).some(
          (task) => task.externalId === taskExternalId,
        );
      if (!(await offered()) && !(await offered(started))) {
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
      return {
        project,
        ...(await bookings.projectTask(project, call, { freshSince: started, store: false })),
      };
    });
  }

  /** `PUT …/bookings/members/:userId`: the provider user a member's time is booked for. */
  async chooseUser(
    membership: Membership,
    integrationId: number,
    userId: number,
    userExternalId: string,
  ): Promise<ChosenUser> {
    return this.answering(integrationId, async () => {
      const started = Date.now();
      const { integration, provider, bookings, call } = await this.open(membership, integrationId);
      const found = (await this.members(this.dataSource.manager, membership, userId))[0];
      if (!found) throw new NotFoundError('Member');
      if (!provider.bookingNeeds.user) {
        throw new ConflictError(`${provider.name} books time for the connected account.`);
      }
      const offered = async (freshSince?: number) =>
        bookableUsers(await bookings.listUsers(call, freshSince)).some(
          (user) => user.externalId === userExternalId,
        );
      if (!(await offered()) && !(await offered(started))) {
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
      const { mapping, users } = await bookings.memberUser(
        { membershipId: found.member.id, email: found.user.email },
        call,
        { freshSince: started, store: false },
      );
      return { ...found, mapping, users };
    });
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

  /** `work`, its provider and token failures answered as problems (`providerProblem`). */
  private async answering<T>(integrationId: number, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw providerProblem(integrationId, error);
    }
  }

  /** The integration with its provider, the bookings read for it and calls through its session. */
  private async open(membership: Membership, integrationId: number) {
    const integration = await this.accounts.integration(membership, integrationId);
    if (integration.providerAccountId === null) {
      throw new ConflictError('Choose the account to book in first (PATCH provider_account_id).');
    }
    const provider = this.invoicing.get(integration.provider);
    const session = this.sessions.open(integration, provider.name, 'refresh');
    const accountId = integration.providerAccountId;
    // Unwrapped: a read in flight is shared with the reconciler, which classifies the failure.
    const call: InvoicingCall = (request) =>
      session.call((accessToken) => request({ accessToken, accountId }), isTokenRefusal);
    return { integration, provider, bookings: this.bookingsCache.of(integration, provider), call };
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
}
