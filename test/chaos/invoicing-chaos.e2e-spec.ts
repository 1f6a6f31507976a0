import { ChildProcess } from 'node:child_process';
import { isDeepStrictEqual } from 'node:util';
import { DateTime } from 'luxon';
import { In } from 'typeorm';
import { Integration } from '../../src/integrations/integration.entity';
import { Project } from '../../src/projects/project.entity';
import { InvoicingLocks } from '../../src/sync/invoicing-locks';
import { TimeBlock } from '../../src/time-blocks/time-block.entity';
import { seededRandom } from '../emulators/microsoft';
import { Factory } from '../factories';
import { Actor, actingAs, makeTeam, Team } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import { builtEnv, startBuilt } from '../support/built-processes';
import type { InvoicingWorld, StoredEntry } from '../support/invoicing-subject';
import { INVOICING_SUBJECTS } from '../support/invoicing-subjects';
import { storeTokens } from '../support/secrets';

/*
 * The chaos test of the invoicing push: one organization per provider (Moneybird, Harvest,
 * Xero), all requiring approval, worker processes sharing the work on MariaDB and SIGKILLed at
 * random, while the API takes a stream of random operations — create billable and non-billable
 * blocks, approve, reject, edit times, titles, project and billable flag, delete — and the
 * provider users lock and invoice entries (Moneybird's only by invoice: its lock is of a whole
 * period, every entry up to a date, which the push spec covers). Every emulator loses answers, fails with 5xx and
 * throttles with its own Retry-After. Once it all stops, the accounts must hold exactly what the
 * rows say: one entry per approved billable block on a bookable project, with the right rounded
 * duration, project and local date; none for anything else; locked entries as they were locked.
 *
 * Size: `CHAOS_INVOICING_OPERATIONS` per provider (default 30). Not `CHAOS_OPERATIONS`: Moneybird
 * allows 150 requests per 5 minutes, so thousands of operations would spend the run waiting.
 * `CHAOS_WORKERS` (default 3), `CHAOS_SEED`.
 */

const OPERATIONS = Number(process.env.CHAOS_INVOICING_OPERATIONS ?? 30);
const WORKERS = Number(process.env.CHAOS_WORKERS ?? 3);
const SEED = Number(process.env.CHAOS_SEED ?? 20261207);
/** Rate-limit 429s before this are the warm-up (fresh windows, first mapping reads). */
const WARM_UP_MS = 10_000;
/**
 * Moneybird stores instants, no date: an entry's day is the one in the administration's zone
 * (Europe/Amsterdam here), so its blocks are planned there.
 */
const ZONES: Record<string, string[]> = { moneybird: ['Europe/Amsterdam'] };
/** What the accounts must show at quiescence: no problem of any kind. */
const SETTLED = {
  duplicates: 0,
  mismatches: 0,
  missing: 0,
  orphans: 0,
  lockedTouched: 0,
  notSettled: 0,
};

/** One provider's organization as the operations see it. */
interface Tenant {
  name: string;
  world: InvoicingWorld;
  team: Team;
  integration: Integration;
  /** The provider's project (bookable) and a local one (never booked). */
  bookable: Project;
  local: Project;
  /** Live blocks (id → tag), and the tag of each block ever made. */
  live: Map<number, number>;
  /**
   * Entries the provider user locked or invoiced, as they were then, with the invoice reference
   * the provider shows (undefined for a lock, null where entries do not name their invoice).
   */
  locked: Map<string, { entry: StoredEntry; reference: string | null | undefined }>;
}

describe('invoicing push under chaos (mysql, worker processes)', () => {
  let t: TestApp;
  let ann: Actor;
  const tenants: Tenant[] = [];
  const workers = new Set<ChildProcess>();
  let slot = 0;

  beforeAll(async () => {
    const worlds = await Promise.all(INVOICING_SUBJECTS.map((subject) => subject.start()));
    const env = Object.assign({}, ...worlds.map((world) => world.env())) as Record<string, string>;
    t = await bootApp({ env });
    const factory = new Factory(t.dataSource);
    // Every emulator's account knows the same member by e-mail address.
    const user = await factory.user({ email: worlds[0].fixtures.userEmail });
    ann = await actingAs(t, user);
    for (const [index, subject] of INVOICING_SUBJECTS.entries()) {
      const world = worlds[index];
      const team = await makeTeam(t, factory, { settings: { require_approval: true } });
      await factory.member(team.organization, user, 'member');
      const integration = await factory.integration(team.organization, {
        connectedBy: team.admin.user,
        provider: subject.name,
        providerType: 'invoicing',
        providerAccountId: world.access().accountId,
        isActive: true,
      });
      await storeTokens(t, integration.id, { accessToken: world.access().accessToken });
      const client = await factory.client(team.organization, {
        name: world.fixtures.contactName,
        integrationId: integration.id,
        externalId: world.fixtures.contactExternalId,
      });
      const bookable = await factory.project(team.organization, {
        client,
        name: world.fixtures.projectName,
        integrationId: integration.id,
        externalId: world.fixtures.projectExternalId,
      });
      const local = await factory.project(team.organization, { name: 'Internal' });
      tenants.push({
        name: subject.name,
        world,
        team,
        integration,
        bookable,
        local,
        live: new Map(),
        locked: new Map(),
      });
    }
  });

  afterAll(async () => {
    for (const worker of workers) worker.kill('SIGKILL');
    await t?.close();
    for (const tenant of tenants) await tenant.world.stop();
  });

  function startWorker(env: Record<string, string>): void {
    const { child } = startBuilt(
      'worker.js',
      builtEnv(t.database.config, {
        NODE_ENV: 'test',
        WORKER_POLL_INTERVAL_MS: '50',
        SYNC_LEASE_SECONDS: '8',
        SYNC_REQUEST_TIMEOUT_MS: '1500',
        SYNC_BACKOFF_BASE_SECONDS: '1',
        SYNC_BACKOFF_MAX_SECONDS: '2',
        ...env,
      }),
    );
    workers.add(child);
    child.once('exit', () => workers.delete(child));
  }

  it('settles to exactly one correct entry per approved billable block', async () => {
    const random = seededRandom(SEED);
    const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)];
    const operations: Record<string, number> = {};
    const faults: Record<string, number> = {};
    const count = (name: string, tally = operations) => (tally[name] = (tally[name] ?? 0) + 1);
    let kills = 0;
    const env = Object.assign({}, ...tenants.map((x) => x.world.env())) as Record<string, string>;
    const locks = t.app.get(InvoicingLocks);

    for (let i = 0; i < WORKERS; i++) startWorker(env);
    await sleep(3_000); // the workers boot
    const started = Date.now();
    let warmedUp: number[] | null = null;

    let operating = true;
    const background = (async () => {
      while (operating) {
        await sleep(300 + random() * 500);
        if (!operating) break;
        // Faults in each provider's own shape: a lost answer, a 5xx, a 429 with Retry-After.
        const tenant = pick(tenants);
        const roll = random();
        if (roll < 0.35) {
          tenant.world.loseNextResponse();
          count(`${tenant.name} lost answer`, faults);
        } else if (roll < 0.7) {
          tenant.world.failNext();
          count(`${tenant.name} 5xx`, faults);
        } else {
          tenant.world.throttleNext(1);
          count(`${tenant.name} 429`, faults);
        }
        if (warmedUp === null && Date.now() - started > WARM_UP_MS) {
          warmedUp = tenants.map((x) => x.world.rateLimited());
        }
        // A worker is killed now and then (they take about two seconds to boot).
        if (random() < 0.15) {
          const victim = pick([...workers]);
          if (victim) {
            victim.kill('SIGKILL');
            kills += 1;
            startWorker(env);
          }
        }
        // The scheduled lock check, now and then as a worker would (rarely: it reads every
        // booked entry, and Moneybird allows 150 requests per 5 minutes).
        if (random() < 0.02) await locks.check();
      }
    })();

    const row = (id: number) =>
      t.dataSource.manager.findOneOrFail(TimeBlock, { where: { id }, withDeleted: true });

    /** A refusal that the block's state explains: it was sent to billing meanwhile. */
    const refusedAsBilled = async (id: number, status: number): Promise<boolean> => {
      if (status !== 409) return false;
      expect((await row(id)).approvalStatus).toBe('sent_to_billing');
      count('refused: sent to billing');
      return true;
    };

    /** A provider user locks or invoices one of the organization's booked entries. */
    const lockOrInvoice = async (tenant: Tenant): Promise<void> => {
      const live = [...tenant.live.keys()];
      if (live.length === 0) return;
      const booked = await t.dataSource.manager.findBy(TimeBlock, {
        id: In(live),
        invoicingSyncStatus: 'synced',
      });
      const entryIds = booked
        .map((b) => b.externalInvoicingEntryId)
        .filter((e): e is string => e !== null && !e.startsWith('unconfirmed:'))
        .filter((e) => !tenant.locked.has(e));
      const entryId = pick(entryIds);
      if (
        entryId === undefined ||
        !tenant.world.entries().some((entry) => entry.externalId === entryId)
      ) {
        count('nothing booked to lock yet');
        return;
      }
      let reference: string | null | undefined;
      if (tenant.name !== 'moneybird' && random() < 0.5) {
        await tenant.world.lockEntry(entryId);
        count(`${tenant.name} lock`);
      } else {
        reference = await tenant.world.invoiceEntry(entryId);
        count(`${tenant.name} invoice`);
      }
      const entry = tenant.world.entries().find((e) => e.externalId === entryId)!;
      tenant.locked.set(entryId, { entry, reference });
    };

    const operation = async (tenant: Tenant): Promise<void> => {
      const { team } = tenant;
      const live = [...tenant.live.keys()];
      const roll = random();
      if (live.length < 4 || roll < 0.3) {
        slot += 1;
        // Past days (approval is for time spent), odd lengths that round up to the quarter.
        const start = new Date(Date.UTC(2026, 9, 1) + slot * 5 * 3_600_000 + 7 * 60_000);
        const minutes = 20 + Math.floor(random() * 100);
        const billable = random() < 0.8;
        const response = await ann.post(team.url('/time-blocks')).send({
          title: `Chaos ${slot}`,
          description: `[chaos ${slot}]`,
          start_time: start.toISOString(),
          end_time: new Date(start.getTime() + minutes * 60_000).toISOString(),
          timezone: pick(
            ZONES[tenant.name] ?? ['Europe/Amsterdam', 'America/New_York', 'Asia/Tokyo', 'UTC'],
          ),
          project_id: random() < 0.85 ? tenant.bookable.id : tenant.local.id,
          is_billable: billable,
        });
        expect(response.status).toBe(201);
        tenant.live.set((response.body as { id: number }).id, slot);
        count(billable ? 'create billable' : 'create non-billable');
        return;
      }
      const id = pick(live);
      const url = team.url(`/time-blocks/${id}`);
      if (roll < 0.6) {
        const ids = [id, pick(live)].filter((v, i, all) => all.indexOf(v) === i);
        const response = await team.admin.post(team.url('/time-blocks/approve')).send({ ids });
        if (response.status === 409) {
          count('refused: sent to billing');
          return;
        }
        expect(response.status).toBe(200);
        count('approve');
      } else if (roll < 0.66) {
        const response = await team.admin
          .post(team.url('/time-blocks/reject'))
          .send({ ids: [id], note: 'Which project?' });
        if (await refusedAsBilled(id, response.status)) return;
        expect(response.status).toBe(200);
        count('reject');
      } else if (roll < 0.8) {
        const current = await row(id);
        const change = pick(['title', 'times', 'project', 'billable']);
        const values =
          change === 'title'
            ? { title: `Chaos ${tenant.live.get(id)} edit ${Math.floor(random() * 1e6)}` }
            : change === 'times'
              ? {
                  end_time: new Date(
                    current.startTime.getTime() + (15 + Math.floor(random() * 120)) * 60_000,
                  ).toISOString(),
                }
              : change === 'project'
                ? {
                    project_id:
                      current.projectId === tenant.bookable.id
                        ? tenant.local.id
                        : tenant.bookable.id,
                  }
                : { is_billable: !current.isBillable };
        const response = await ann.patch(url).send(values);
        if (await refusedAsBilled(id, response.status)) return;
        expect(response.status).toBe(200);
        count(`edit ${change}`);
      } else if (roll < 0.86) {
        const response = await ann.delete(url);
        if (await refusedAsBilled(id, response.status)) return;
        expect(response.status).toBe(204);
        tenant.live.delete(id);
        count('delete');
      } else {
        await lockOrInvoice(tenant);
      }
    };

    // One person at a time per organization (so that a block another request just deleted is
    // not an error), the three organizations at once.
    const organizationIds = tenants.map((x) => x.team.organization.id);
    const pending = () =>
      t.dataSource.manager.count(TimeBlock, {
        where: { organizationId: In(organizationIds), invoicingSyncStatus: 'pending' },
        withDeleted: true,
      });
    const operate = (times: number) =>
      Promise.all(
        tenants.map(async (tenant) => {
          for (let i = 0; i < times; i++) {
            await operation(tenant);
            await sleep(random() * 100);
          }
        }),
      );
    await operate(OPERATIONS);
    // The bookkeepers get to work once much is booked (faults and kills still on), and the
    // people go on editing, rejecting and deleting, locked blocks among them.
    for (const until = Date.now() + 30_000; Date.now() < until && (await pending()) > 0;) {
      await sleep(500);
    }
    for (const tenant of tenants) {
      for (let i = 0; i < 3; i++) await lockOrInvoice(tenant);
    }
    await operate(Math.ceil(OPERATIONS / 2));
    operating = false;
    await background;
    const rateLimitedAfterWarmUp = tenants.map(
      (x, i) => x.world.rateLimited() - (warmedUp?.[i] ?? 0),
    );

    // Quiescence: nothing is left pending, and the lock check has seen every lock. A fault still
    // queued fails one check of one account (it logs and moves nothing), so the check must move
    // nothing several times in a row.
    const deadline = Date.now() + 300_000;
    for (let quiet = 0; quiet < 4;) {
      if (Date.now() > deadline) throw new Error(`still pending after 5 minutes: ${await stuck()}`);
      if ((await pending()) > 0) {
        quiet = 0;
        await sleep(1_000);
        continue;
      }
      quiet = (await locks.check()).moved === 0 ? quiet + 1 : 0;
    }

    const report = await verify();
    process.stdout.write(
      `\ninvoicing chaos: ${JSON.stringify(
        {
          operations,
          workers: WORKERS,
          kills,
          faults,
          rateLimitedAfterWarmUp: Object.fromEntries(
            tenants.map((x, i) => [x.name, rateLimitedAfterWarmUp[i]]),
          ),
          ...report,
        },
        null,
        2,
      )}\n`,
    );
    expect(kills).toBeGreaterThan(0);
    expect(Object.keys(faults).length).toBeGreaterThan(3);
    expect(report.entries).toBeGreaterThan(0);
    expect(report).toMatchObject(SETTLED);
  }, 900_000);

  /** Compares every block of every tenant with the entries in its provider account. */
  async function verify() {
    const totals = { blocks: 0, entries: 0, expected: 0, locked: 0, ...SETTLED };
    const problems: unknown[] = [];
    for (const tenant of tenants) {
      const rows = await t.dataSource.manager.find(TimeBlock, {
        where: { organizationId: tenant.team.organization.id },
        withDeleted: true,
      });
      const entries = tenant.world.entries();
      totals.blocks += rows.length;
      totals.entries += entries.length;
      const claimed = new Set<string>();
      for (const block of rows) {
        const tag = `[chaos ${block.description?.match(/\[chaos (\d+)\]/)?.[1]}]`;
        const own = entries.filter((entry) => entry.description.includes(tag));
        own.forEach((entry) => claimed.add(entry.externalId));
        const lockedEntry = own.find((entry) => tenant.locked.has(entry.externalId));
        const expected =
          block.deletedAt === null &&
          block.isBillable === true &&
          block.projectId === tenant.bookable.id &&
          (block.approvalStatus === 'approved' || block.approvalStatus === 'sent_to_billing');
        if (block.invoicingSyncStatus === 'pending' || block.invoicingSyncStatus === 'error') {
          totals.notSettled += 1;
          problems.push({ notSettled: block.id, status: block.invoicingSyncStatus });
        }
        if (own.length > 1) {
          totals.duplicates += own.length - 1;
          problems.push({ duplicates: block.id, entries: own });
        }
        if (lockedEntry) {
          // Locked or invoiced upstream: left exactly as it was, the block sent to billing.
          totals.locked += 1;
          const { entry, reference } = tenant.locked.get(lockedEntry.externalId)!;
          if (
            !isDeepStrictEqual(lockedEntry, entry) ||
            block.approvalStatus !== 'sent_to_billing' ||
            (reference !== undefined && block.invoiceReference !== reference)
          ) {
            totals.lockedTouched += 1;
            problems.push({
              lockedTouched: block.id,
              entry: lockedEntry,
              status: block.approvalStatus,
            });
          }
          continue;
        }
        if (!expected) {
          if (own.length > 0) {
            totals.orphans += own.length;
            problems.push({ orphan: summary(block), entries: own });
          }
          continue;
        }
        totals.expected += 1;
        const [entry] = own;
        if (!entry) {
          totals.missing += 1;
          problems.push({ missing: summary(block) });
          continue;
        }
        const seconds = (block.endTime.getTime() - block.startTime.getTime()) / 1000;
        const want = {
          externalId: block.externalInvoicingEntryId,
          minutes: Math.ceil(seconds / 900) * 15,
          spentDate: DateTime.fromJSDate(block.startTime, { zone: block.timezone }).toISODate(),
          projectExternalId: tenant.world.fixtures.projectExternalId,
          taskExternalId: tenant.world.fixtures.taskExternalId,
          userExternalId: tenant.world.fixtures.userExternalId,
          title: true,
        };
        const got = {
          externalId: entry.externalId,
          minutes: entry.minutes,
          spentDate: entry.spentDate,
          projectExternalId: entry.projectExternalId,
          taskExternalId: entry.taskExternalId,
          userExternalId: entry.userExternalId,
          title: entry.description.includes(block.title),
        };
        if (!isDeepStrictEqual(want, got)) {
          totals.mismatches += 1;
          problems.push({ mismatch: block.id, want, got });
        }
      }
      // Entries that belong to no block at all.
      for (const entry of entries) {
        if (claimed.has(entry.externalId)) continue;
        totals.orphans += 1;
        problems.push({ orphan: null, entry });
      }
    }
    if (problems.length > 0) process.stdout.write(`problems: ${JSON.stringify(problems)}\n`);
    return totals;
  }

  /** A block's billing state, for a problem report. */
  function summary(block: TimeBlock) {
    return {
      id: block.id,
      description: block.description,
      deleted: block.deletedAt !== null,
      billable: block.isBillable,
      project: block.projectId,
      approval: block.approvalStatus,
      invoicing: block.invoicingSyncStatus,
      entry: block.externalInvoicingEntryId,
      error: block.invoicingSyncError,
    };
  }

  /** The pending blocks and their integrations' state, for a failure message. */
  async function stuck(): Promise<string> {
    const rows = await t.dataSource.manager.find(TimeBlock, {
      where: { invoicingSyncStatus: 'pending' },
      withDeleted: true,
    });
    const integrations = await t.dataSource.manager.findBy(Integration, {
      providerType: 'invoicing',
    });
    return JSON.stringify({
      blocks: rows.map((r) => ({
        id: r.id,
        entry: r.externalInvoicingEntryId,
        approval: r.approvalStatus,
        attempts: r.invoicingSyncAttempts,
        retryAt: r.invoicingSyncRetryAt,
        error: r.invoicingSyncError,
      })),
      integrations: integrations.map((i) => ({
        id: i.id,
        provider: i.provider,
        lease: i.syncLeaseOwner,
        retryAt: i.syncRetryAt,
        error: i.lastError,
      })),
    });
  }
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
