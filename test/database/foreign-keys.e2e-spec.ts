import {
  DataSource,
  EntityTarget,
  FindOptionsWhere,
  ObjectLiteral,
  QueryFailedError,
} from 'typeorm';
import { AuditLog } from '../../src/audit/audit-log.entity';
import { Calendar } from '../../src/calendars/calendar.entity';
import { Client } from '../../src/clients/client.entity';
import { Integration } from '../../src/integrations/integration.entity';
import { Invitation } from '../../src/invitations/invitation.entity';
import { OrganizationMember } from '../../src/organizations/organization-member.entity';
import { Organization } from '../../src/organizations/organization.entity';
import { Project } from '../../src/projects/project.entity';
import { TimeBlock } from '../../src/time-blocks/time-block.entity';
import { User } from '../../src/users/user.entity';
import { Factory } from '../factories';
import { createMigratedDataSource, databaseKind } from '../support/database';

/*
 * The foreign-key actions of the base schema, exercised by real DELETEs (not soft deletes) on both
 * databases, plus the ENUM and UNIQUE constraints rejecting bad rows.
 */

describe(`foreign keys and constraints (${databaseKind()})`, () => {
  let dataSource: DataSource;
  let close: () => Promise<void>;
  let factory: Factory;

  beforeAll(async () => {
    ({ dataSource, close } = await createMigratedDataSource());
    factory = new Factory(dataSource);
  });

  afterAll(async () => {
    await close();
  });

  /** A real DELETE: `Repository.delete` never soft-deletes. */
  async function destroy<T extends ObjectLiteral>(
    target: EntityTarget<T>,
    id: number,
  ): Promise<void> {
    const result = await dataSource.getRepository(target).delete(id);
    expect(result.affected).toBe(1);
  }

  /** The row as it is now, soft-deleted or not; null once it is really gone. */
  function reload<T extends { id: number }>(target: EntityTarget<T>, row: T): Promise<T | null> {
    return dataSource
      .getRepository(target)
      .findOne({ where: { id: row.id } as FindOptionsWhere<T>, withDeleted: true });
  }

  /** How many rows each tenant table holds for one organization. */
  async function rowsOf(organization: Organization): Promise<Record<string, number>> {
    const tables: Record<string, EntityTarget<{ organizationId: number }>> = {
      members: OrganizationMember,
      invitations: Invitation,
      integrations: Integration,
      calendars: Calendar,
      clients: Client,
      projects: Project,
      timeBlocks: TimeBlock,
    };
    const counts: Record<string, number> = {};
    for (const [name, target] of Object.entries(tables)) {
      counts[name] = await dataSource
        .getRepository(target)
        .count({ where: { organizationId: organization.id }, withDeleted: true });
    }
    return counts;
  }

  /** An organization with one of everything: an owner and a member, and their work. */
  async function populatedOrganization() {
    const owner = await factory.user();
    const organization = await factory.organization({ owner });
    const member = await factory.user();
    await factory.member(organization, member, 'member');
    await dataSource
      .getRepository(User)
      .update(member.id, { currentOrganizationId: organization.id });
    await factory.invitation(organization, { invitedBy: owner });
    const integration = await factory.integration(organization, { connectedBy: owner });
    const calendar = await factory.calendar(integration);
    const client = await factory.client(organization);
    const project = await factory.project(organization, { client });
    await factory.timeBlock(organization, owner);
    await factory.timeBlock(organization, member, { calendar, project });
    return { organization, owner, member };
  }

  it('deleting an organization deletes everything it owns, and nothing of another', async () => {
    const doomed = await populatedOrganization();
    const bystander = await populatedOrganization();
    const everything = {
      members: 2,
      invitations: 1,
      integrations: 1,
      calendars: 1,
      clients: 1,
      projects: 1,
      timeBlocks: 2,
    };
    expect(await rowsOf(doomed.organization)).toEqual(everything);

    await destroy(Organization, doomed.organization.id);

    expect(await rowsOf(doomed.organization)).toEqual({
      members: 0,
      invitations: 0,
      integrations: 0,
      calendars: 0,
      clients: 0,
      projects: 0,
      timeBlocks: 0,
    });
    expect(await rowsOf(bystander.organization)).toEqual(everything);
  });

  it('deleting an organization keeps its users, who forget it as their current organization', async () => {
    const { organization, owner, member } = await populatedOrganization();
    const elsewhere = await factory.organization();
    const other = await factory.user({ currentOrganizationId: elsewhere.id });
    expect(await reload(User, member)).toMatchObject({ currentOrganizationId: organization.id });

    await destroy(Organization, organization.id);

    expect(await reload(User, member)).toMatchObject({ currentOrganizationId: null });
    expect(await reload(User, owner)).not.toBeNull();
    expect(await reload(User, other)).toMatchObject({ currentOrganizationId: elsewhere.id });
  });

  it('deleting a user leaves their organization ownerless and removes their memberships and blocks', async () => {
    const alice = await factory.user();
    const bob = await factory.user();
    const organization = await factory.organization({ owner: alice });
    await factory.member(organization, bob, 'admin');
    const alicesBlock = await factory.timeBlock(organization, alice);
    const bobsBlock = await factory.timeBlock(organization, bob);

    await destroy(User, alice.id);

    expect(await reload(Organization, organization)).toMatchObject({ ownerId: null });
    const members = await dataSource.getRepository(OrganizationMember).findBy({
      organizationId: organization.id,
    });
    expect(members.map((m) => ({ userId: m.userId, role: m.role }))).toEqual([
      { userId: bob.id, role: 'admin' },
    ]);
    expect(await reload(TimeBlock, alicesBlock)).toBeNull();
    expect(await reload(TimeBlock, bobsBlock)).not.toBeNull();
  });

  it('deleting a user removes the invitations they sent and the integrations they connected', async () => {
    // The base schema's invited_by and connected_by are ON DELETE CASCADE, and an integration's
    // calendars go with it; blocks on those calendars stay, unlinked.
    const alice = await factory.user();
    const bob = await factory.user();
    const organization = await factory.organization({ owner: alice });
    await factory.member(organization, bob);
    const alicesInvitation = await factory.invitation(organization, { invitedBy: alice });
    const bobsInvitation = await factory.invitation(organization, { invitedBy: bob });
    const alicesIntegration = await factory.integration(organization, { connectedBy: alice });
    const calendar = await factory.calendar(alicesIntegration);
    const bobsBlock = await factory.timeBlock(organization, bob, { calendar });

    await destroy(User, alice.id);

    expect(await reload(Invitation, alicesInvitation)).toBeNull();
    expect(await reload(Invitation, bobsInvitation)).not.toBeNull();
    expect(await reload(Integration, alicesIntegration)).toBeNull();
    expect(await reload(Calendar, calendar)).toBeNull();
    expect(await reload(TimeBlock, bobsBlock)).toMatchObject({ calendarId: null });
  });

  it('deleting a client unlinks its projects and blocks, which stay', async () => {
    const organization = await factory.organization();
    const user = await factory.user();
    const client = await factory.client(organization);
    const project = await factory.project(organization, { client });
    const block = await factory.timeBlock(organization, user, { client });
    expect(block.clientId).toBe(client.id);

    await destroy(Client, client.id);

    expect(await reload(Project, project)).toMatchObject({ id: project.id, clientId: null });
    expect(await reload(TimeBlock, block)).toMatchObject({ id: block.id, clientId: null });
  });

  it('deleting a project unlinks its blocks, which stay', async () => {
    const organization = await factory.organization();
    const user = await factory.user();
    const client = await factory.client(organization);
    const project = await factory.project(organization, { client });
    const block = await factory.timeBlock(organization, user, { project });
    expect(block).toMatchObject({ projectId: project.id, clientId: client.id });

    await destroy(Project, project.id);

    expect(await reload(TimeBlock, block)).toMatchObject({ projectId: null, clientId: client.id });
    expect(await reload(Client, client)).not.toBeNull();
  });

  it('deleting a calendar unlinks its blocks, which stay', async () => {
    const organization = await factory.organization();
    const user = await factory.user();
    const integration = await factory.integration(organization);
    const calendar = await factory.calendar(integration);
    const block = await factory.timeBlock(organization, user, { calendar });
    expect(block.calendarId).toBe(calendar.id);

    await destroy(Calendar, calendar.id);

    expect(await reload(TimeBlock, block)).toMatchObject({ id: block.id, calendarId: null });
    expect(await reload(Integration, integration)).not.toBeNull();
  });

  it('deleting an integration removes its calendars and unlinks its clients and projects', async () => {
    const organization = await factory.organization();
    const user = await factory.user();
    const invoicing = await factory.integration(organization, {
      provider: 'moneybird',
      providerType: 'invoicing',
    });
    const client = await factory.client(organization, {
      integrationId: invoicing.id,
      externalId: 'c-1',
    });
    const project = await factory.project(organization, {
      client,
      integrationId: invoicing.id,
      externalId: 'p-1',
    });
    const calendars = await factory.integration(organization);
    const calendar = await factory.calendar(calendars);
    const block = await factory.timeBlock(organization, user, { calendar, project });

    await destroy(Integration, invoicing.id);
    expect(await reload(Client, client)).toMatchObject({ integrationId: null, externalId: 'c-1' });
    expect(await reload(Project, project)).toMatchObject({
      integrationId: null,
      clientId: client.id,
    });

    await destroy(Integration, calendars.id);
    expect(await reload(Calendar, calendar)).toBeNull();
    expect(await reload(TimeBlock, block)).toMatchObject({
      calendarId: null,
      projectId: project.id,
    });
  });

  it('keeps audit logs when the organization and user they describe are deleted (no FKs)', async () => {
    const user = await factory.user();
    const organization = await factory.organization({ owner: user });
    const entry = await factory.auditLog({ organization, user, action: 'organization.created' });

    await destroy(Organization, organization.id);
    await destroy(User, user.id);

    expect(await reload(AuditLog, entry)).toMatchObject({
      organizationId: organization.id,
      userId: user.id,
      action: 'organization.created',
    });
  });

  describe('ENUM columns reject values outside their list', () => {
    const cases: [table: string, column: string, valid: string, invalid: string][] = [
      ['organizations', 'subscription_status', 'past_due', 'free'],
      ['organization_user', 'role', 'viewer', 'superuser'],
      ['invitations', 'role', 'admin', 'owner'], // an invitation never makes an owner
      ['integrations', 'provider_type', 'invoicing', 'storage'],
      ['calendars', 'sync_direction', 'read', 'sideways'],
      ['time_blocks', 'calendar_sync_status', 'synced', 'lost'],
      ['time_blocks', 'invoicing_sync_status', 'error', 'lost'],
      ['time_blocks', 'approval_status', 'sent_to_billing', 'invoiced'],
    ];

    let rows: Record<string, number>;
    beforeAll(async () => {
      const owner = await factory.user();
      const organization = await factory.organization({ owner });
      const integration = await factory.integration(organization);
      rows = {
        organizations: organization.id,
        organization_user: (
          await dataSource.getRepository(OrganizationMember).findOneByOrFail({
            organizationId: organization.id,
          })
        ).id,
        invitations: (await factory.invitation(organization)).id,
        integrations: integration.id,
        calendars: (await factory.calendar(integration)).id,
        time_blocks: (await factory.timeBlock(organization, owner)).id,
      };
    });

    it.each(cases)('%s.%s accepts %p and rejects %p', async (table, column, valid, invalid) => {
      const set = (value: string) =>
        dataSource.query(`UPDATE ${table} SET ${column} = ? WHERE id = ?`, [value, rows[table]]);

      await set(valid);
      const [row] = await dataSource.query(`SELECT ${column} AS value FROM ${table} WHERE id = ?`, [
        rows[table],
      ]);
      expect(row.value).toBe(valid);

      // MariaDB rejects in strict mode (its default, STRICT_TRANS_TABLES); SQLite by the CHECK.
      await expect(set(invalid)).rejects.toThrow(
        databaseKind() === 'mysql'
          ? new RegExp(`Data truncated for column '${column}'`)
          : /CHECK constraint failed/,
      );
    });
  });

  describe('unique indexes reject duplicates', () => {
    /** The duplicate's error names the index (MariaDB) or the columns (SQLite). */
    function duplicateError(table: string, index: string, columns: string[]): RegExp {
      return databaseKind() === 'mysql'
        ? new RegExp(`Duplicate entry .* for key '${index}'`)
        : new RegExp(
            `UNIQUE constraint failed: ${columns.map((c) => `${table}\\.${c}`).join(', ')}`,
          );
    }

    it('users.email', async () => {
      await factory.user({ email: 'dup@example.test' });
      const attempt = factory.user({ email: 'dup@example.test' });
      await expect(attempt).rejects.toBeInstanceOf(QueryFailedError);
      await expect(attempt).rejects.toThrow(duplicateError('users', 'uq_users_email', ['email']));
    });

    it('organizations.slug', async () => {
      await factory.organization({ slug: 'acme' });
      await expect(factory.organization({ slug: 'acme' })).rejects.toThrow(
        duplicateError('organizations', 'uq_organizations_slug', ['slug']),
      );
    });

    it('invitations.token', async () => {
      const organization = await factory.organization();
      await factory.invitation(organization, { token: 'a'.repeat(64) });
      await expect(factory.invitation(organization, { token: 'a'.repeat(64) })).rejects.toThrow(
        duplicateError('invitations', 'uq_invitations_token', ['token']),
      );
    });

    it('organization_user (organization_id, user_id): one membership per user and organization', async () => {
      const first = await factory.organization();
      const second = await factory.organization();
      const user = await factory.user();
      await factory.member(first, user);
      await factory.member(second, user); // the same user elsewhere is fine
      await expect(factory.member(first, user, 'admin')).rejects.toThrow(
        duplicateError('organization_user', 'idx_org_user', ['organization_id', 'user_id']),
      );
    });

    it('calendars (integration_id, external_id): one row per external calendar and integration', async () => {
      const organization = await factory.organization();
      const first = await factory.integration(organization);
      const second = await factory.integration(organization);
      await factory.calendar(first, { externalId: 'primary' });
      await factory.calendar(second, { externalId: 'primary' }); // another account's "primary"
      await expect(factory.calendar(first, { externalId: 'primary' })).rejects.toThrow(
        duplicateError('calendars', 'idx_integration_external', ['integration_id', 'external_id']),
      );
    });
  });
});
