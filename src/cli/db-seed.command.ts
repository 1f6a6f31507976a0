import { Presets, SingleBar } from 'cli-progress';
import { DataSource, EntityManager } from 'typeorm';
import { inTransaction } from '../database/transaction';
import { TimeBlock } from '../time-blocks/time-block.entity';
import { CliError, Output, writeLine } from './output';
import { DemoBlockRow, demoBlockRows } from './seed/demo-blocks';
import { DEMO_ORGANIZATION, DEMO_PEOPLE, PLANNING_ROLES } from './seed/demo-data';
import { createDemoOrganization, findExistingDemo, removeDemo } from './seed/demo-organization';
import { DEMO_PASSWORD, hashDemoPassword } from './seed/demo-password';
import { SeededRandom } from './seed/random';
import { planBlocks, scheduleCapacity } from './seed/schedule';
import { renderTable } from './table';

export const DEFAULT_DEMO_BLOCKS = 400;
/** Rows per INSERT: well under SQLite's bound-parameter limit, few round trips on MySQL. */
const BATCH_SIZE = 100;
/** Fixed so that the demo is the same on every run (relative to the day it runs). */
const DEMO_SEED = 20240101;

export interface DbSeedOptions {
  blocks?: number;
  /** Delete the demo organization and demo users first. */
  fresh?: boolean;
  /** Where the progress bar draws (it draws nothing unless this is a TTY). */
  progress?: NodeJS.WritableStream;
  /** "Now" for the schedule; tests pin it. */
  now?: Date;
}

export interface DbSeedResult {
  /** Whether --fresh deleted an earlier demo data set. */
  replaced: boolean;
  organizationId: number;
  users: { email: string; role: string; id: number }[];
  clients: number;
  projects: number;
  blocks: number;
  billableBlocks: number;
}

/**
 * `db:seed`: the demo organization "Acme Studio" with six people, five clients, eight projects
 * and `blocks` time blocks around today. One transaction: it is all there or none of it is.
 */
export async function dbSeed(
  dataSource: DataSource,
  out: Output,
  options: DbSeedOptions = {},
): Promise<DbSeedResult> {
  const blocks = options.blocks ?? DEFAULT_DEMO_BLOCKS;
  // Whole seconds: MySQL's TIMESTAMP(0) would round anything finer.
  const now = new Date(Math.floor((options.now ?? new Date()).getTime() / 1000) * 1000);
  const planners = DEMO_PEOPLE.filter((person) => PLANNING_ROLES.includes(person.role));
  const capacity = scheduleCapacity(now, planners.length);
  if (blocks > capacity) {
    throw new CliError(
      `--blocks ${blocks} is more than fits: at most ${capacity} fit in the working hours of ` +
        `${planners.length} people over four weeks.`,
    );
  }
  const password = await hashDemoPassword();
  const random = new SeededRandom(DEMO_SEED);

  const result = await inTransaction(dataSource, async (manager) => {
    const existing = await findExistingDemo(manager);
    if (existing.organization || existing.emails.length > 0) {
      if (!options.fresh) {
        throw new CliError(alreadySeededMessage(existing.emails, Boolean(existing.organization)));
      }
      await removeDemo(manager);
    }

    const demo = await createDemoOrganization(manager, { password, now });
    const plannerIds = demo.people
      .filter(({ person }) => planners.includes(person))
      .map(({ user }) => user.id);
    const rows = demoBlockRows(
      planBlocks(blocks, planners.length, random, now),
      { organizationId: demo.organization.id, userIds: plannerIds, projects: demo.projects, now },
      random,
    );
    await insertBlocks(manager, rows, options.progress);

    return {
      replaced: Boolean(existing.organization) || existing.emails.length > 0,
      organizationId: demo.organization.id,
      users: demo.people.map(({ person, user }) => ({
        email: person.email,
        role: person.role,
        id: user.id,
      })),
      clients: demo.clients.length,
      projects: demo.projects.length,
      blocks: rows.length,
      billableBlocks: rows.filter((row) => row.isBillable).length,
    };
  });

  printSummary(out, result);
  return result;
}

async function insertBlocks(
  manager: EntityManager,
  rows: DemoBlockRow[],
  stream?: NodeJS.WritableStream,
): Promise<void> {
  const bar = stream
    ? new SingleBar(
        {
          stream,
          format: 'Time blocks [{bar}] {value}/{total}',
          hideCursor: true,
          clearOnComplete: true,
        },
        Presets.shades_classic,
      )
    : undefined;
  bar?.start(rows.length, 0);
  try {
    for (let offset = 0; offset < rows.length; offset += BATCH_SIZE) {
      const batch = rows.slice(offset, offset + BATCH_SIZE);
      // updateEntity(false): the rows are not used afterwards, so skip reading back ids/defaults.
      await manager
        .createQueryBuilder()
        .insert()
        .into(TimeBlock)
        .values(batch)
        .updateEntity(false)
        .execute();
      bar?.update(offset + batch.length);
    }
  } finally {
    bar?.stop();
  }
}

function alreadySeededMessage(emails: string[], organizationExists: boolean): string {
  const what = organizationExists
    ? `The demo organization "${DEMO_ORGANIZATION.slug}" already exists`
    : `Demo users already exist (${emails.join(', ')})`;
  return `${what}; nothing was changed. Run db:seed --fresh to delete and recreate the demo data.`;
}

function printSummary(out: Output, result: DbSeedResult): void {
  // Printed after the commit, so it never claims a deletion that was rolled back.
  if (result.replaced) writeLine(out, 'Removed the previous demo organization and demo users.');
  writeLine(
    out,
    `Seeded "${DEMO_ORGANIZATION.name}" (${DEMO_ORGANIZATION.slug}), organization id ${result.organizationId}:`,
  );
  writeLine(
    out,
    `  ${result.users.length} users, ${result.clients} clients, ${result.projects} projects, ` +
      `${result.blocks} time blocks (${result.billableBlocks} billable)`,
  );
  writeLine(out);
  writeLine(out, `Log in as (password: "${DEMO_PASSWORD}"):`);
  const rows = result.users.map((user) => {
    const person = DEMO_PEOPLE.find((candidate) => candidate.email === user.email);
    return [user.role, user.email, person?.name ?? ''];
  });
  writeLine(out, renderTable(['Role', 'Email', 'Name'], rows).replace(/^/gm, '  '));
  writeLine(out);
}
