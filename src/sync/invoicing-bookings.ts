import { createHash } from 'node:crypto';
import { DateTime } from 'luxon';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Client } from '../clients/client.entity';
import {
  billableMinutes,
  EntryContent,
  InvoicingAccess,
  InvoicingProvider,
  ProviderTask,
  ProviderUser,
} from '../invoicing/invoicing-provider';
import {
  bookableTasks,
  bookableUsers,
  Mapping,
  memberUser,
  projectTask,
} from '../integrations/booking-mappings';
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

/** A project's task as mapped, with the bookable tasks it was chosen from. */
export interface TaskBooking {
  task: Mapping;
  tasks: ProviderTask[];
}

/** A member's provider user as mapped, with the bookable users it was chosen from. */
export interface UserBooking {
  mapping: Mapping;
  users: ProviderUser[];
}

/** Who a booking is for: a member (null for someone no longer one) and their address. */
export interface BookedMember {
  membershipId: number | null;
  email: string;
}

/**
 * How fresh a read must be: a list read before `freshSince` is read again when a mapping is
 * missing from it (a person may have made the task or user since). One pass of the reconciler
 * or one listing request passes its start, so it reads a list again at most once.
 */
export interface Freshness {
  freshSince: number;
  /** Store a default picked now (the push does; a listing only shows it). */
  store: boolean;
}

/**
 * Resolves what a block is booked on in one invoicing account: the project's external id, its
 * task and the member's provider user as mapped (`booking-mappings`, defaults stored when first
 * needed) and the contact (the project's client).
 * Tasks and users are read from the provider once and kept for `BOOKINGS_TTL_MS`
 * (`InvoicingBookingsCache` keeps one instance per integration that long, for the reconciler and
 * the bookings listing alike), so that booking a block costs one request. Where the provider lists
 * every project's tasks at once (`listAccountTasks`), they are read for the whole account in a
 * few requests; else per project, when first needed.
 */
export class InvoicingBookings {
  private readonly projectTasks = new Map<string, HeldRead<ProviderTask[]>>();
  private readonly accountTasks = new HeldRead<Map<string, ProviderTask[]>>();
  private readonly users = new HeldRead<ProviderUser[]>();

  constructor(
    private readonly manager: EntityManager,
    private readonly integration: Integration,
    private readonly provider: InvoicingProvider,
  ) {}

  async of(block: TimeBlock, call: InvoicingCall, freshSince: number): Promise<Booking> {
    const project =
      block.projectId === null
        ? null
        : await this.manager.findOneBy(Project, { id: block.projectId });
    if (!project || project.integrationId !== this.integration.id || !project.externalId) {
      return { kind: 'elsewhere' };
    }
    const needs = this.provider.bookingNeeds;
    const freshness = { freshSince, store: true };
    const missing: string[] = [];
    let taskExternalId: string | null = null;
    if (needs.task) {
      const { task } = await this.projectTask(project, call, freshness);
      taskExternalId = task.externalId;
      if (task.missing) missing.push(task.missing);
    }
    let userExternalId: string | null = null;
    if (needs.user) {
      const { mapping } = await this.memberUser(await this.memberOf(block), call, freshness);
      userExternalId = mapping.externalId;
      if (mapping.missing) missing.push(mapping.missing);
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

  /** The task an imported project's time is booked on. */
  async projectTask(
    project: Pick<Project, 'id' | 'name' | 'externalId'>,
    call: InvoicingCall,
    freshness: Freshness,
  ): Promise<TaskBooking> {
    const { items, mapping } = await this.resolved(
      async (freshSince) =>
        bookableTasks(this.provider, await this.tasks(project.externalId!, call, freshSince)),
      (tasks) =>
        projectTask(this.manager, this.provider, this.integration.id, project, tasks, freshness),
      freshness.freshSince,
    );
    return { task: mapping, tasks: items };
  }

  /** The provider user a member's time is booked for. */
  async memberUser(
    member: BookedMember,
    call: InvoicingCall,
    freshness: Freshness,
  ): Promise<UserBooking> {
    const { items, mapping } = await this.resolved(
      async (freshSince) => bookableUsers(await this.listUsers(call, freshSince)),
      (users) =>
        memberUser(this.manager, this.provider, this.integration.id, member, users, freshness),
      freshness.freshSince,
    );
    return { mapping, users: items };
  }

  /** A mapping resolved from a list as read, and from a fresh read when missing from it. */
  private async resolved<T>(
    list: (freshSince?: number) => Promise<T[]>,
    resolve: (items: T[]) => Promise<Mapping>,
    freshSince: number,
  ): Promise<{ items: T[]; mapping: Mapping }> {
    const items = await list();
    const mapping = await resolve(items);
    if (!mapping.missing) return { items, mapping };
    const again = await list(freshSince);
    return { items: again, mapping: await resolve(again) };
  }

  /** A project's tasks as last read (again, when read before `freshSince`). */
  async tasks(
    projectExternalId: string,
    call: InvoicingCall,
    freshSince?: number,
  ): Promise<ProviderTask[]> {
    const provider = this.provider;
    if (provider.listAccountTasks) {
      const all = await this.accountTasks.get(
        () => call((access) => provider.listAccountTasks!(access)),
        freshSince,
      );
      return all.get(projectExternalId) ?? [];
    }
    let held = this.projectTasks.get(projectExternalId);
    if (!held) this.projectTasks.set(projectExternalId, (held = new HeldRead()));
    return held.get(
      () => call((access) => provider.listTasks(access, projectExternalId)),
      freshSince,
    );
  }

  /** The account's users as last read (again, when read before `freshSince`). */
  listUsers(call: InvoicingCall, freshSince?: number): Promise<ProviderUser[]> {
    return this.users.get(() => call((access) => this.provider.listUsers(access)), freshSince);
  }

  /** The block's member; someone no longer a member is matched by address only. */
  private async memberOf(block: TimeBlock): Promise<BookedMember> {
    const user = await this.manager.findOneBy(User, { id: block.userId });
    const membership = await this.manager.findOneBy(OrganizationMember, {
      organizationId: block.organizationId,
      userId: block.userId,
    });
    return { membershipId: membership?.id ?? null, email: user?.email ?? 'of the block’s member' };
  }
}

/** One list read from a provider, shared by its callers until read again; a failed read is not kept. */
class HeldRead<T> {
  private read: { value: Promise<T>; at: number } | null = null;

  get(load: () => Promise<T>, freshSince?: number): Promise<T> {
    if (!this.read || (freshSince !== undefined && this.read.at < freshSince)) {
      const read = { value: load(), at: Date.now() };
      this.read = read;
      read.value.catch(() => {
        if (this.read === read) this.read = null;
      });
    }
    return this.read.value;
  }
}

/**
 * Per integration and account, the `InvoicingBookings` of this process, for `BOOKINGS_TTL_MS`:
 * the reconciler books with it and the bookings listing shows from it, so a listing right after
 * a sync (or the other way round) reads nothing twice.
 */
@Injectable()
export class InvoicingBookingsCache {
  private readonly held = new Map<string, { bookings: InvoicingBookings; expiresAt: number }>();

  constructor(private readonly dataSource: DataSource) {}

  of(integration: Integration, provider: InvoicingProvider): InvoicingBookings {
    const now = Date.now();
    for (const [key, entry] of this.held) if (entry.expiresAt <= now) this.held.delete(key);
    // Another account chosen is another set of tasks and users.
    const key = `${integration.id}:${integration.providerAccountId}`;
    let entry = this.held.get(key);
    if (!entry) {
      entry = {
        bookings: new InvoicingBookings(this.dataSource.manager, integration, provider),
        expiresAt: now + BOOKINGS_TTL_MS,
      };
      this.held.set(key, entry);
    }
    return entry.bookings;
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
