import { DataSource } from 'typeorm';
import { migrations } from '../../migrations';
import { runCli } from '../../src/cli/program';
import * as argon2 from 'argon2';
import { DEMO_PASSWORD } from '../../src/cli/seed/demo-password';
import { Client } from '../../src/clients/client.entity';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { migrationStatus } from '../../src/database/migration-status';
import { OrganizationMember } from '../../src/organizations/organization-member.entity';
import { Organization } from '../../src/organizations/organization.entity';
import { Project } from '../../src/projects/project.entity';
import { TimeBlock } from '../../src/time-blocks/time-block.entity';
import { User } from '../../src/users/user.entity';
import { testConfig } from '../support/app';
import { createTestDatabase, TestDatabase } from '../support/database';
import { CapturedOutput } from './capture';

const MIGRATION_NAMES = migrations.map((migration) => migration.name);

/** Runs the CLI in-process against `database`, as `npm run cli -- ...argv` would. */
async function cli(database: TestDatabase, ...argv: string[]) {
  const stdout = new CapturedOutput();
  const stderr = new CapturedOutput();
  const code = await runCli(argv, {
    cwd: process.cwd(),
    stdout,
    stderr,
    progress: stderr,
    loadConfig: () => testConfig(database),
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

async function openDataSource(database: TestDatabase): Promise<DataSource> {
  return new DataSource(dataSourceOptions(database.config)).initialize();
}

describe('cli: migrations', () => {
  let database: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await openDataSource(database);
  });
  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  it('migrate applies every migration, in order, and says so', async () => {
    const result = await cli(database, 'migrate');

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout.trim().split('\n')).toEqual(
      MIGRATION_NAMES.map((name) => `Migrated: ${name}`),
    );
    expect(await migrationStatus(dataSource)).toEqual(
      MIGRATION_NAMES.map((name) => ({ name, applied: true })),
    );
    const queryRunner = dataSource.createQueryRunner();
    try {
      expect(await queryRunner.hasTable('time_blocks')).toBe(true);
    } finally {
      await queryRunner.release();
    }
  });

  it('migrate:status shows each migration as applied', async () => {
    const result = await cli(database, 'migrate:status');

    expect(result.code).toBe(0);
    for (const name of MIGRATION_NAMES)
      expect(result.stdout).toMatch(new RegExp(`^${name} +Applied$`, 'm'));
    expect(result.stdout).not.toContain('Pending');
    expect(result.stdout).toContain(`${MIGRATION_NAMES.length} applied, 0 pending.`);
  });

  it('migrate with nothing pending changes nothing', async () => {
    const result = await cli(database, 'migrate');
    expect(result).toEqual({ code: 0, stdout: 'Nothing to migrate.\n', stderr: '' });
  });

  it('migrate:rollback --steps 2 undoes the last two, newest first', async () => {
    const lastTwo = MIGRATION_NAMES.slice(-2);

    const result = await cli(database, 'migrate:rollback', '--steps', '2');

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout.trim().split('\n')).toEqual(
      [...lastTwo].reverse().map((name) => `Rolled back: ${name}`),
    );
    const status = await migrationStatus(dataSource);
    expect(status.filter((m) => !m.applied).map((m) => m.name)).toEqual(lastTwo);
    expect(status.filter((m) => m.applied)).toHaveLength(MIGRATION_NAMES.length - 2);

    const shown = await cli(database, 'migrate:status');
    for (const name of lastTwo) expect(shown.stdout).toMatch(new RegExp(`^${name} +Pending$`, 'm'));
    expect(shown.stdout).toContain(`${MIGRATION_NAMES.length - 2} applied, 2 pending.`);
  });

  it('migrate re-applies exactly the rolled-back migrations', async () => {
    const result = await cli(database, 'migrate');

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout.trim().split('\n')).toEqual(
      MIGRATION_NAMES.slice(-2).map((name) => `Migrated: ${name}`),
    );
    expect((await migrationStatus(dataSource)).every((m) => m.applied)).toBe(true);
  });

  it('migrate:rollback without --steps undoes one; rejects a bad --steps', async () => {
    const result = await cli(database, 'migrate:rollback');
    expect(result.stdout).toBe(`Rolled back: ${MIGRATION_NAMES.at(-1)}\n`);
    expect((await migrationStatus(dataSource)).filter((m) => !m.applied)).toHaveLength(1);

    const bad = await cli(database, 'migrate:rollback', '--steps', '0');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("option '--steps <n>' argument '0' is invalid");
    expect((await migrationStatus(dataSource)).filter((m) => !m.applied)).toHaveLength(1);

    expect((await cli(database, 'migrate')).code).toBe(0);
  });
});

const DEMO_ROLES = {
  'owner@demo.test': 'owner',
  'admin@demo.test': 'admin',
  'member1@demo.test': 'member',
  'member2@demo.test': 'member',
  'member3@demo.test': 'member',
  'viewer@demo.test': 'viewer',
};
const TABLES = [
  'users',
  'organizations',
  'organization_user',
  'clients',
  'projects',
  'time_blocks',
];

/** Row counts and highest ids of every table db:seed writes: equal snapshots mean no change. */
async function snapshot(dataSource: DataSource): Promise<Record<string, unknown>> {
  const entries = await Promise.all(
    TABLES.map(async (table) => {
      const [row] = await dataSource.query(
        `SELECT COUNT(*) AS count, MAX(id) AS max_id FROM ${table}`,
      );
      return [table, { count: Number(row.count), maxId: Number(row.max_id) }];
    }),
  );
  return Object.fromEntries(entries);
}

/** "Mon 09:30" in Amsterdam, for checking that blocks sit in working hours there. */
const amsterdam = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/Amsterdam',
  weekday: 'short',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});
function localParts(date: Date): { weekday: string; minutes: number } {
  const parts = Object.fromEntries(
    amsterdam.formatToParts(date).map((part) => [part.type, part.value]),
  );
  return { weekday: parts.weekday, minutes: Number(parts.hour) * 60 + Number(parts.minute) };
}

describe('cli: db:seed', () => {
  let database: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase();
    expect((await cli(database, 'migrate')).code).toBe(0);
    dataSource = await openDataSource(database);
  });
  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  it('creates the demo organization, its people, clients, projects and the requested blocks', async () => {
    const started = Date.now();
    const result = await cli(database, 'db:seed', '--blocks', '150');
    expect(result).toMatchObject({ code: 0, stderr: '' });

    const organization = await dataSource.manager.findOneByOrFail(Organization, {
      slug: 'acme-studio',
    });
    expect(organization).toMatchObject({
      name: 'Acme Studio',
      timezone: 'Europe/Amsterdam',
      settings: { default_hourly_rate: '95.00' },
    });

    const memberships = await dataSource.manager.find(OrganizationMember, {
      where: { organizationId: organization.id },
      relations: { user: true },
    });
    expect(Object.fromEntries(memberships.map((m) => [m.user?.email, m.role]))).toEqual(DEMO_ROLES);
    expect(memberships.every((m) => m.joinedAt instanceof Date)).toBe(true);
    const owner = memberships.find((m) => m.role === 'owner');
    expect(organization.ownerId).toBe(owner?.userId);

    const users = await dataSource.manager.find(User);
    expect(users).toHaveLength(6);
    for (const user of users) {
      expect(user.currentOrganizationId).toBe(organization.id);
      // Demo users can sign in with the documented password.
      expect(await argon2.verify(user.password, DEMO_PASSWORD)).toBe(true);
    }

    const clients = await dataSource.manager.findBy(Client, { organizationId: organization.id });
    const projects = await dataSource.manager.findBy(Project, { organizationId: organization.id });
    expect(clients).toHaveLength(5);
    expect(projects).toHaveLength(8);
    expect(projects.filter((p) => p.hourlyRate !== null).length).toBeGreaterThan(0);
    expect(projects.filter((p) => p.hourlyRate === null).length).toBeGreaterThan(0);
    expect(projects.every((p) => /^#[0-9A-F]{6}$/i.test(p.color ?? ''))).toBe(true);
    const clientIds = new Set(clients.map((c) => c.id));
    expect(projects.every((p) => p.clientId === null || clientIds.has(p.clientId))).toBe(true);

    const blocks = await dataSource.manager.find(TimeBlock, {
      where: { organizationId: organization.id },
      order: { userId: 'ASC', startTime: 'ASC' },
    });
    expect(blocks).toHaveLength(150);
    expect(blocks.filter((b) => b.isBillable)).toHaveLength(75);
    const viewer = memberships.find((m) => m.role === 'viewer');
    expect(blocks.some((b) => b.userId === viewer?.userId)).toBe(false);
    const projectsById = new Map(projects.map((p) => [p.id, p]));
    const day = 24 * 60 * 60 * 1000;
    blocks.forEach((block, index) => {
      expect(block.endTime.getTime()).toBeGreaterThan(block.startTime.getTime());
      const previous = blocks[index - 1];
      // Half-open intervals: back-to-back is fine, overlap is not.
      if (previous?.userId === block.userId) {
        expect(block.startTime.getTime()).toBeGreaterThanOrEqual(previous.endTime.getTime());
      }
      expect(block).toMatchObject({
        timezone: 'Europe/Amsterdam',
        calendarSyncStatus: 'disabled',
        invoicingSyncStatus: 'disabled',
      });
      expect(block.title.length).toBeGreaterThan(0);
      if (block.isBillable)
        expect(projectsById.get(block.projectId ?? -1)?.clientId).toBe(block.clientId);
      expect(Math.abs(block.startTime.getTime() - started)).toBeLessThan(15 * day);
      const start = localParts(block.startTime);
      const end = localParts(block.endTime);
      expect(['Mon', 'Tue', 'Wed', 'Thu', 'Fri']).toContain(start.weekday);
      expect(start.minutes).toBeGreaterThanOrEqual(8 * 60 + 30);
      expect(end.minutes).toBeLessThanOrEqual(17 * 60 + 30);
    });
    // Both the past and the future are represented.
    expect(blocks.some((b) => b.endTime.getTime() < started)).toBe(true);
    expect(blocks.some((b) => b.startTime.getTime() > started)).toBe(true);

    for (const email of Object.keys(DEMO_ROLES)) expect(result.stdout).toContain(email);
    expect(result.stdout).toContain('150 time blocks (75 billable)');
  });

  it('refuses to seed again without --fresh, and changes nothing', async () => {
    const before = await snapshot(dataSource);

    const result = await cli(database, 'db:seed', '--blocks', '10');

    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'Error: The demo organization "acme-studio" already exists; nothing was changed. ' +
        'Run db:seed --fresh to delete and recreate the demo data.\n',
    );
    expect(await snapshot(dataSource)).toEqual(before);
  });

  it('--fresh deletes the demo data and creates it again', async () => {
    const previous = await dataSource.manager.findOneByOrFail(Organization, {
      slug: 'acme-studio',
    });

    const result = await cli(database, 'db:seed', '--fresh', '--blocks', '40');

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('Removed the previous demo organization and demo users.');
    const organizations = await dataSource.manager.find(Organization, { withDeleted: true });
    expect(organizations).toHaveLength(1);
    expect(organizations[0].id).not.toBe(previous.id);
    const counts = await snapshot(dataSource);
    expect(
      Object.fromEntries(
        Object.entries(counts).map(([table, value]) => [table, (value as { count: number }).count]),
      ),
    ).toEqual({
      users: 6,
      organizations: 1,
      organization_user: 6,
      clients: 5,
      projects: 8,
      time_blocks: 40,
    });
    expect(
      await dataSource.manager.countBy(TimeBlock, { organizationId: organizations[0].id }),
    ).toBe(40);
  });

  it('refuses more blocks than fit in four weeks of working hours, before writing anything', async () => {
    const before = await snapshot(dataSource);
    const result = await cli(database, 'db:seed', '--fresh', '--blocks', '100000');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^Error: --blocks 100000 is more than fits: at most \d+ fit/);
    expect(await snapshot(dataSource)).toEqual(before);
  });
});

describe('cli: the command line itself', () => {
  const noConfig = () => {
    throw new Error('this command must not load the configuration');
  };
  async function run(...argv: string[]) {
    const stdout = new CapturedOutput();
    const stderr = new CapturedOutput();
    const code = await runCli(argv, { cwd: process.cwd(), stdout, stderr, loadConfig: noConfig });
    return { code, stdout: stdout.text, stderr: stderr.text };
  }

  it('--help lists every command with its description', async () => {
    const result = await run('--help');
    expect(result.code).toBe(0);
    for (const command of [
      'migrate',
      'migrate:rollback',
      'migrate:status',
      'key:generate',
      'db:seed',
    ]) {
      expect(result.stdout).toMatch(new RegExp(`^  ${command}(\\s\\[options\\])? +\\S.*$`, 'm'));
    }
  });

  it('prints help and exits 1 for an unknown command', async () => {
    const result = await run('migrate:sideways');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error: unknown command 'migrate:sideways'");
    expect(result.stderr).toContain('Usage: danwel <command> [options]');
    expect(result.stderr).toContain('migrate:status');
  });

  it('reports a failure in one line, with the stack only under --verbose', async () => {
    const database = await createTestDatabase();
    try {
      // An unmigrated database: db:seed's first query fails.
      const plain = await cli(database, 'db:seed', '--blocks', '1');
      expect(plain.code).toBe(1);
      expect(plain.stderr.split('\n').filter(Boolean)).toEqual([
        expect.stringMatching(/^Error: \S/),
      ]);

      const verbose = await cli(database, '--verbose', 'db:seed', '--blocks', '1');
      expect(verbose.code).toBe(1);
      expect(verbose.stderr).toMatch(/\n\s+at /);
    } finally {
      await database.drop();
    }
  });
});
