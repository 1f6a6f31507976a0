import { createHash } from 'node:crypto';
import { DateTime } from 'luxon';
import { EntityManager } from 'typeorm';
import { Client } from '../clients/client.entity';
import {
  billableMinutes,
  EntryContent,
  InvoicingAccess,
  InvoicingProvider,
  ProviderTask,
  ProviderUser,
} from '../invoicing/invoicing-provider';
import { Mapping, memberUser, projectTask } from '../integrations/booking-mappings';
import { Integration } from '../integrations/integration.entity';
import { OrganizationMember } from '../organizations/organization-member.entity';
import { Project } from '../projects/project.entity';
import { TimeBlock } from '../time-blocks/time-block.entity';
import { User } from '../users/user.entity';

/** How long tasks and users read from a provider are used before they are read again. */
export const BOOKINGS_TTL_MS = 5 * 60_000;

/** A provider call made through the integration session (token, refresh, request budget). */
export type InvoicingCall = <T>(request: (access: InvoicingAccess) => Promise<T>) => Promise<T>;

/** What a block becomes in the provider, or why it cannot be booked there. */
export type Booking =
  | { kind: 'entry'; content: EntryContent }
  /** The project is not one of this account's (a local project): nothing to book. */
  | { kind: 'elsewhere' }
  /** A mapping the provider needs is missing: the reason, in words a person can act on. */
  | { kind: 'unbookable'; reason: string };

/**
 * Resolves what a block is booked on in one invoicing account: the project's external id, its
 * task and the member's provider user as mapped (`booking-mappings`, defaults stored when first
 * needed) and the contact (the project's client).
 * Tasks and users are read from the provider once and kept for `BOOKINGS_TTL_MS` (the reconciler
 * keeps one instance per integration that long), so that booking a block costs one request.
 */
export class InvoicingBookings {
  private readonly tasks = new Map<string, Promise<ProviderTask[]>>();
  private users: Promise<ProviderUser[]> | null = null;

  constructor(
    private readonly manager: EntityManager,
    private readonly integration: Integration,
    private readonly provider: InvoicingProvider,
  ) {}

  async of(block: TimeBlock, call: InvoicingCall): Promise<Booking> {
    const project =
      block.projectId === null
        ? null
        : await this.manager.findOneBy(Project, { id: block.projectId });
    if (!project || project.integrationId !== this.integration.id || !project.externalId) {
      return { kind: 'elsewhere' };
    }
    const needs = this.provider.bookingNeeds;
    const missing: string[] = [];
    let taskExternalId: string | null = null;
    if (needs.task) {
      const externalId = project.externalId;
      const task = await this.fresh(
        (fresh) => this.tasksOf(externalId, call, fresh),
        (tasks) =>
          projectTask(this.manager, this.provider, this.integration.id, project, tasks, {
            store: true,
          }),
      );
      taskExternalId = task.externalId;
      if (task.missing) missing.push(task.missing);
    }
    let userExternalId: string | null = null;
    if (needs.user) {
      const user = await this.userOf(block, call);
      userExternalId = user.externalId;
      if (user.missing) missing.push(user.missing);
    }
    if (missing.length > 0)
      return { kind: 'unbookable', reason: `Cannot book: ${missing.join('; ')}.` };
    const client =
      project.clientId === null
        ? null
        : await this.manager.findOneBy(Client, { id: project.clientId });
    const contactExternalId =
      client && client.integrationId === this.integration.id ? client.externalId : null;
    return {
      kind: 'entry',
      content: entryContent(block, {
        projectExternalId: project.externalId,
        taskExternalId,
        userExternalId,
        contactExternalId,
      }),
    };
  }

  /**
   * A mapping resolved from the lists as read, and again from a fresh read when it is missing:
   * a person may have chosen a task or user made after the lists were read.
   */
  private async fresh<T>(
    list: (fresh: boolean) => Promise<T>,
    resolve: (items: T) => Promise<Mapping>,
  ): Promise<Mapping> {
    const mapping = await resolve(await list(false));
    return mapping.missing ? resolve(await list(true)) : mapping;
  }

  private tasksOf(
    projectExternalId: string,
    call: InvoicingCall,
    fresh: boolean,
  ): Promise<ProviderTask[]> {
    if (fresh) this.tasks.delete(projectExternalId);
    let tasks = this.tasks.get(projectExternalId);
    if (!tasks) {
      tasks = call((access) => this.provider.listTasks(access, projectExternalId));
      this.tasks.set(projectExternalId, tasks);
      tasks.catch(() => this.tasks.delete(projectExternalId));
    }
    return tasks;
  }

  private usersOf(call: InvoicingCall, fresh: boolean): Promise<ProviderUser[]> {
    if (fresh) this.users = null;
    if (!this.users) {
      this.users = call((access) => this.provider.listUsers(access));
      this.users.catch(() => (this.users = null));
    }
    return this.users;
  }

  /** The member's mapped user; a block of someone no longer a member is matched by address only. */
  private async userOf(block: TimeBlock, call: InvoicingCall): Promise<Mapping> {
    const user = await this.manager.findOneBy(User, { id: block.userId });
    const email = user?.email ?? 'of the block’s member';
    const membership = await this.manager.findOneBy(OrganizationMember, {
      organizationId: block.organizationId,
      userId: block.userId,
    });
    return this.fresh(
      (fresh) => this.usersOf(call, fresh),
      (users) =>
        memberUser(
          this.manager,
          this.provider,
          this.integration.id,
          { membershipId: membership?.id ?? null, email },
          users,
          { store: true },
        ),
    );
  }
}

type EntryMapping = Pick<
  EntryContent,
  'projectExternalId' | 'taskExternalId' | 'userExternalId' | 'contactExternalId'
>;

/** The block as a time entry: quarter hours rounded up, the date of its start in its zone. */
export function entryContent(block: TimeBlock, mapping: EntryMapping): EntryContent {
  const description = [block.title, block.description?.trim()].filter(Boolean).join('\n\n');
  return {
    blockId: block.id,
    start: block.startTime,
    end: block.endTime,
    timeZone: block.timezone,
    spentDate:
      DateTime.fromJSDate(block.startTime, { zone: block.timezone }).toISODate() ??
      block.startTime.toISOString().slice(0, 10),
    minutes: billableMinutes(block.startTime, block.endTime),
    description,
    billable: block.isBillable === true,
    ...mapping,
  };
}

/** The digest of an entry's content (`invoicing_synced_hash`): a different one means update. */
export function entryHash(content: EntryContent): string {
  const { blockId: _blockId, ...fields } = content;
  return createHash('sha256')
    .update(
      JSON.stringify({
        ...fields,
        start: content.start.toISOString(),
        end: content.end.toISOString(),
      }),
    )
    .digest('hex');
}
