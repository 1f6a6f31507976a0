import { EntityManager } from 'typeorm';
import { InvoicingProvider, ProviderTask, ProviderUser } from '../invoicing/invoicing-provider';
import { Project } from '../projects/project.entity';
import { BookingChooser, InvoicingBooking } from './invoicing-booking.entity';

/*
 * What an invoicing integration books time on (docs/architecture.md, "Invoicing"): a project's
 * task (Harvest: its first billable active task assignment; Xero: its first active task) and a
 * member's provider user (the active one with the member's e-mail address). A default is picked by
 * those rules when first needed and stored as `default`; a person's choice is stored as `person`
 * and wins. A stored default that no longer fits (the task was archived) is picked again; a
 * person's choice that no longer fits is reported, never silently replaced.
 */

/** A mapping as it stands: the external id booked on (null: none), and why it is missing. */
export interface Mapping {
  externalId: string | null;
  chosenBy: BookingChooser | null;
  /** In words a person can act on, when nothing can be booked. */
  missing: string | null;
}

/** The tasks time may be booked on: Harvest only billable active ones, Xero any active one. */
export function bookableTasks(provider: InvoicingProvider, tasks: ProviderTask[]): ProviderTask[] {
  const billableOnly = provider.name === 'harvest';
  return tasks.filter((task) => task.active && (!billableOnly || task.billable));
}

/** The users time may be booked for: the active ones. */
export function bookableUsers(users: ProviderUser[]): ProviderUser[] {
  return users.filter((user) => user.active);
}

const taskKind = (provider: InvoicingProvider) =>
  provider.name === 'harvest' ? 'billable active' : 'active';

const sameEmail = (a: string | null, b: string) =>
  a !== null && a.trim().toLowerCase() === b.trim().toLowerCase();

/**
 * The task the project's time is booked on, given the project's tasks as the provider lists
 * them. With `store`, a default picked now is stored (the push does; a listing only shows it).
 */
export async function projectTask(
  manager: EntityManager,
  provider: InvoicingProvider,
  integrationId: number,
  project: Pick<Project, 'id' | 'name'>,
  tasks: ProviderTask[],
  options: { store: boolean },
): Promise<Mapping> {
  const stored = await manager.findOneBy(InvoicingBooking, {
    integrationId,
    projectId: project.id,
  });
  const bookable = bookableTasks(provider, tasks);
  return settle(manager, stored, {
    fits: (id) => bookable.some((task) => task.externalId === id),
    fallback: bookable[0]?.externalId ?? null,
    lost: `the task chosen for project "${project.name}" is no longer a ${taskKind(provider)} task`,
    none: `project "${project.name}" has no ${taskKind(provider)} task to book on`,
    row: { integrationId, kind: 'project_task', projectId: project.id, membershipId: null },
    store: options.store,
  });
}

/** The provider user a member's time is booked for, given the account's users. */
export async function memberUser(
  manager: EntityManager,
  provider: InvoicingProvider,
  integrationId: number,
  member: { membershipId: number | null; email: string },
  users: ProviderUser[],
  options: { store: boolean },
): Promise<Mapping> {
  // Someone no longer a member has no mapping: their blocks are matched by address only.
  const stored =
    member.membershipId === null
      ? null
      : await manager.findOneBy(InvoicingBooking, {
          integrationId,
          membershipId: member.membershipId,
        });
  const bookable = bookableUsers(users);
  return settle(manager, stored, {
    fits: (id) => bookable.some((user) => user.externalId === id),
    fallback: bookable.find((user) => sameEmail(user.email, member.email))?.externalId ?? null,
    lost: `the ${provider.name} user chosen for ${member.email} is no longer active`,
    none: `no active ${provider.name} user has the e-mail address ${member.email}`,
    row: { integrationId, kind: 'member_user', projectId: null, membershipId: member.membershipId },
    store: options.store && member.membershipId !== null,
  });
}

async function settle(
  manager: EntityManager,
  stored: InvoicingBooking | null,
  rule: {
    fits: (externalId: string) => boolean;
    fallback: string | null;
    lost: string;
    none: string;
    row: Pick<InvoicingBooking, 'integrationId' | 'kind' | 'projectId' | 'membershipId'>;
    store: boolean;
  },
): Promise<Mapping> {
  if (stored && rule.fits(stored.externalId)) {
    return { externalId: stored.externalId, chosenBy: stored.chosenBy, missing: null };
  }
  if (stored?.chosenBy === 'person') {
    return { externalId: null, chosenBy: 'person', missing: rule.lost };
  }
  if (rule.fallback === null) return { externalId: null, chosenBy: null, missing: rule.none };
  if (rule.store) {
    await manager.save(
      manager.merge(InvoicingBooking, stored ?? manager.create(InvoicingBooking, rule.row), {
        externalId: rule.fallback,
        chosenBy: 'default',
      }),
    );
  }
  return { externalId: rule.fallback, chosenBy: 'default', missing: null };
}
