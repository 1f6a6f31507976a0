import { DataSource } from 'typeorm';
import { AuditLog } from '../../src/audit/audit-log.entity';
import { entities } from '../../src/database/entities';
import { OrganizationMember } from '../../src/organizations/organization-member.entity';
import { Organization } from '../../src/organizations/organization.entity';
import { Project } from '../../src/projects/project.entity';
import { TimeBlock } from '../../src/time-blocks/time-block.entity';
import { User } from '../../src/users/user.entity';
import { Factory } from '../factories';
import { createMigratedDataSource, databaseKind } from '../support/database';
import { describeTable } from './catalogue';

/*
 * The entities against the migrated tables: column for column, and values that read back the
 * same on both drivers (docs/architecture.md, "Conventions": mysql2 returns BIGINT/DECIMAL as strings, SQLite numbers;
 * DATETIME as Date vs text; JSON parsed vs text).
 */

describe(`entities (${databaseKind()})`, () => {
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

  it.each(entities.map((entity) => [entity.name, entity] as const))(
    '%s maps every column of its table, and nothing else',
    async (_name, entity) => {
      const metadata = dataSource.getMetadata(entity);
      const table = await describeTable(dataSource, metadata.tableName);
      const mapped = metadata.columns.map((column) => column.databaseName);
      expect([...new Set(mapped)].sort()).toEqual(table.columns.map((c) => c.name).sort());
    },
  );

  it('reads values back with one type on both databases', async () => {
    const owner = await factory.user();
    const organization = await factory.organization({ owner, settings: { weekStartsOn: 'mon' } });
    const client = await factory.client(organization);
    const project = await factory.project(organization, { client, hourlyRate: '120.50' });
    const block = await factory.timeBlock(organization, owner, {
      project,
      startTime: new Date('2024-03-01T09:00:00Z'),
      endTime: new Date('2024-03-01T10:30:00Z'),
    });

    const user = await dataSource.getRepository(User).findOneByOrFail({ id: owner.id });
    expect(user).toMatchObject({
      id: owner.id,
      timezone: 'UTC',
      workDays: ['mon', 'tue', 'wed', 'thu', 'fri'],
      workHoursStart: '08:00:00',
      workHoursEnd: '18:00:00',
      currentOrganizationId: null,
    });
    expect(typeof user.id).toBe('number');

    expect(
      await dataSource.getRepository(Organization).findOneByOrFail({ id: organization.id }),
    ).toMatchObject({
      ownerId: owner.id,
      settings: { weekStartsOn: 'mon' },
      subscriptionStatus: 'trial',
      deletedAt: null,
    });

    expect(
      await dataSource.getRepository(Project).findOneByOrFail({ id: project.id }),
    ).toMatchObject({
      organizationId: organization.id,
      clientId: client.id,
      hourlyRate: '120.50',
      isActive: true,
    });

    const reloaded = await dataSource.getRepository(TimeBlock).findOneByOrFail({ id: block.id });
    expect(reloaded).toMatchObject({
      projectId: project.id,
      clientId: client.id,
      startTime: new Date('2024-03-01T09:00:00Z'),
      endTime: new Date('2024-03-01T10:30:00Z'),
      isBillable: true,
      calendarSyncStatus: 'pending',
      invoicingSyncStatus: 'disabled',
    });
    expect(typeof reloaded.organizationId).toBe('number');
  });

  it('stamps created_at and updated_at on insert, and updated_at on update', async () => {
    const before = Math.floor(Date.now() / 1000) * 1000;
    const user = await factory.user();
    const repository = dataSource.getRepository(User);

    const inserted = await repository.findOneByOrFail({ id: user.id });
    expect(inserted.createdAt).toBeInstanceOf(Date);
    expect(inserted.createdAt!.getTime()).toBeGreaterThanOrEqual(before);
    expect(inserted.updatedAt).toEqual(inserted.createdAt);

    // Backdate the row (a query-builder update runs no listeners), then change it through save().
    const longAgo = new Date('2020-01-01T00:00:00Z');
    await repository.update(user.id, { createdAt: longAgo, updatedAt: longAgo });
    const stale = await repository.findOneByOrFail({ id: user.id });
    stale.name = 'Renamed';
    await repository.save(stale);

    const updated = await repository.findOneByOrFail({ id: user.id });
    expect(updated.createdAt).toEqual(longAgo);
    expect(updated.updatedAt!.getTime()).toBeGreaterThanOrEqual(before);
  });

  it('stamps an audit log with created_at only', async () => {
    const entry = await factory.auditLog({ action: 'system.booted' });
    const reloaded = await dataSource.getRepository(AuditLog).findOneByOrFail({ id: entry.id });
    expect(reloaded.createdAt).toBeInstanceOf(Date);
    expect(reloaded).toMatchObject({ organizationId: null, userId: null, action: 'system.booted' });
  });

  it('soft-deletes organizations and time blocks through deleted_at', async () => {
    const owner = await factory.user();
    const organization = await factory.organization({ owner });
    const block = await factory.timeBlock(organization, owner);

    await dataSource.getRepository(TimeBlock).softDelete(block.id);
    await dataSource.getRepository(Organization).softDelete(organization.id);

    expect(await dataSource.getRepository(TimeBlock).findOneBy({ id: block.id })).toBeNull();
    expect(
      await dataSource.getRepository(Organization).findOneBy({ id: organization.id }),
    ).toBeNull();
    const hidden = await dataSource
      .getRepository(TimeBlock)
      .findOneOrFail({ where: { id: block.id }, withDeleted: true });
    expect(hidden.deletedAt).toBeInstanceOf(Date);
    // A soft delete is an UPDATE: nothing cascades (a real DELETE would take the membership).
    expect(
      await dataSource
        .getRepository(OrganizationMember)
        .countBy({ organizationId: organization.id, userId: owner.id }),
    ).toBe(1);
  });
});
