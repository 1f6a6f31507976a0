import { EntityManager, In } from 'typeorm';
import { Client } from '../../clients/client.entity';
import { OrganizationMember } from '../../organizations/organization-member.entity';
import { Organization } from '../../organizations/organization.entity';
import { Project } from '../../projects/project.entity';
import { User } from '../../users/user.entity';
import {
  DEMO_CLIENTS,
  DEMO_EMAILS,
  DEMO_ORGANIZATION,
  DEMO_PEOPLE,
  DemoPerson,
  DEMO_PROJECTS,
  DEMO_TIMEZONE,
} from './demo-data';
import { authFactsChanged } from '../../auth/verified-tokens';

const DAY_MS = 24 * 60 * 60 * 1000;

/** What of the demo data set is already in the database (soft-deleted rows included). */
export async function findExistingDemo(
  manager: EntityManager,
): Promise<{ organization: Organization | null; emails: string[] }> {
  const organization = await manager.findOne(Organization, {
    where: { slug: DEMO_ORGANIZATION.slug },
    withDeleted: true,
  });
  const users = await manager.find(User, {
    where: { email: In(DEMO_EMAILS) },
    select: { id: true, email: true },
  });
  return { organization, emails: users.map((user) => user.email) };
}

/**
 * Deletes the demo organization and the demo users for --fresh. A hard delete: the foreign keys
 * cascade to memberships, clients, projects and time blocks (ON DELETE CASCADE in the schema).
 */
export async function removeDemo(manager: EntityManager): Promise<void> {
  await manager.delete(Organization, { slug: DEMO_ORGANIZATION.slug });
  await manager.delete(User, { email: In(DEMO_EMAILS) });
  // Their tokens and memberships went with them (cascade): running servers must forget them.
  await authFactsChanged(manager);
}

export interface DemoOrganization {
  organization: Organization;
  people: { person: DemoPerson; user: User }[];
  clients: Client[];
  projects: Project[];
}

/** Inserts the organization, its people with their memberships, its clients and its projects. */
export async function createDemoOrganization(
  manager: EntityManager,
  options: { password: string; now: Date },
): Promise<DemoOrganization> {
  const { now } = options;
  const daysAgo = (days: number) => new Date(now.getTime() - days * DAY_MS);

  // Users first: organizations.owner_id needs the owner, users.current_organization_id is
  // filled in once the organization exists.
  const users = await manager.save(
    DEMO_PEOPLE.map((person) =>
      manager.create(User, {
        name: person.name,
        email: person.email,
        emailVerifiedAt: daysAgo(person.joinedDaysAgo),
        password: options.password,
        timezone: DEMO_TIMEZONE,
        currentOrganizationId: null,
      }),
    ),
  );
  const owner = users[DEMO_PEOPLE.findIndex((person) => person.role === 'owner')];

  const organization = await manager.save(
    manager.create(Organization, {
      name: DEMO_ORGANIZATION.name,
      slug: DEMO_ORGANIZATION.slug,
      ownerId: owner.id,
      settings: { ...DEMO_ORGANIZATION.settings },
      timezone: DEMO_ORGANIZATION.timezone,
      billingEmail: DEMO_ORGANIZATION.billingEmail,
      subscriptionStatus: DEMO_ORGANIZATION.subscriptionStatus,
      trialEndsAt: null,
    }),
  );
  await manager.update(
    User,
    { id: In(users.map((user) => user.id)) },
    { currentOrganizationId: organization.id },
  );
  users.forEach((user) => (user.currentOrganizationId = organization.id));

  await manager.save(
    DEMO_PEOPLE.map((person, index) =>
      manager.create(OrganizationMember, {
        organizationId: organization.id,
        userId: users[index].id,
        role: person.role,
        // The owner founded the organization; everyone else was invited a day before joining.
        invitedAt: person.role === 'owner' ? null : daysAgo(person.joinedDaysAgo + 1),
        joinedAt: daysAgo(person.joinedDaysAgo),
      }),
    ),
  );

  const clients = await manager.save(
    DEMO_CLIENTS.map((client) =>
      manager.create(Client, {
        organizationId: organization.id,
        integrationId: null,
        externalId: null,
        name: client.name,
        email: client.email,
        metadata: null,
        isActive: true,
      }),
    ),
  );
  const clientIds = new Map(DEMO_CLIENTS.map((client, index) => [client.key, clients[index].id]));

  const projects = await manager.save(
    DEMO_PROJECTS.map((project) =>
      manager.create(Project, {
        organizationId: organization.id,
        clientId: project.client === null ? null : (clientIds.get(project.client) ?? null),
        integrationId: null,
        externalId: null,
        name: project.name,
        color: project.color,
        hourlyRate: project.hourlyRate,
        metadata: null,
        isActive: true,
      }),
    ),
  );

  return {
    organization,
    people: DEMO_PEOPLE.map((person, index) => ({ person, user: users[index] })),
    clients,
    projects,
  };
}
