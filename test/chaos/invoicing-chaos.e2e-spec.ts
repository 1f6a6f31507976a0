import {
  atRandomIntervals,
  ChaosRandom,
  killAtRandom,
  nonZero,
  printReport,
  runOperations,
  settle,
  sleep,
  WorkerPool,
} from './driver';
import { checkInvoicing, NO_VIOLATIONS } from './invoicing-invariants';
import { InvoicingChaosWorld } from './invoicing-world';

/*
 * The chaos test of the invoicing push: one organization per provider (Moneybird, Harvest,
 * Xero), all requiring approval, worker processes sharing the work on MariaDB and SIGKILLed at
 * random, while the API takes a stream of random operations — create billable and non-billable
 * blocks, approve, reject, edit times, titles, project and billable flag, delete — and the
 * provider users lock and invoice entries, with every emulator losing answers, failing with 5xx
 * and throttling (invoicing-world.ts). Once it all stops, the accounts must hold exactly what the
 * rows say (invoicing-invariants.ts).
 *
 * Size: `CHAOS_INVOICING_OPERATIONS` per provider (default 30). Not `CHAOS_OPERATIONS`: Moneybird
 * allows 150 requests per 5 minutes, so thousands of operations would spend the run waiting.
 * `CHAOS_WORKERS` (default 3), `CHAOS_SEED`.
 */

const OPERATIONS = Number(process.env.CHAOS_INVOICING_OPERATIONS ?? 30);
const WORKERS = Number(process.env.CHAOS_WORKERS ?? 3);
const SEED = Number(process.env.CHAOS_SEED ?? 20261207);

describe('invoicing push under chaos (mysql, worker processes)', () => {
  let world: InvoicingChaosWorld;
  let workers: WorkerPool;

  beforeAll(async () => {
    world = await InvoicingChaosWorld.start();
    workers = new WorkerPool(world.t.database.config, () => world.workerEnv());
  });

  afterAll(async () => {
    workers?.killAll();
    await world?.close();
  });

  it('settles to exactly one correct entry per approved billable block', async () => {
    const random = new ChaosRandom(SEED);
    const { tenants } = world;
    workers.start(WORKERS);
    await sleep(3_000); // the workers boot

    // Faults (one at a time, each provider's own) and killed workers, all along.
    const faults = atRandomIntervals(random, { minMs: 300, maxMs: 800 }, () =>
      world.injectFault(random),
    );
    const killer = killAtRandom(workers, random);
    // One person at a time per organization (so that a block another request just deleted is
    // not an error), the three organizations at once.
    const operate = (perTenant: number) =>
      runOperations({
        total: perTenant,
        perLane: true,
        concurrency: tenants.length,
        random,
        pauseMs: 100,
        operation: (lane) => world.operation(tenants[lane], random),
      });
    await operate(OPERATIONS);
    // The bookkeepers get to work once much is booked (faults and kills still on), and the
    // people go on editing, rejecting and deleting, locked blocks among them.
    await settle(async () => (await world.pendingBlocks()) === 0, { withinMs: 30_000 });
    for (const tenant of tenants) {
      for (let i = 0; i < 3; i++) await world.lockOrInvoice(tenant, random);
    }
    await operate(Math.ceil(OPERATIONS / 2));
    await faults.stop();
    await killer.stop();
    const rateLimitedAfterWarmUp = world.rateLimitedAfterWarmUp();

    // Quiescence: nothing is left pending, and the lock check has seen every lock. A fault still
    // queued fails one check of one account (it moves nothing there), so the check must reach
    // every account and move nothing several times in a row.
    await settle(async () => (await world.pendingBlocks()) === 0 && (await world.checkLocks()), {
      withinMs: 300_000,
      consecutive: 4,
      failure: async () => `still pending after 5 minutes: ${await world.stuck()}`,
    });

    const report = await checkInvoicing(world);
    printReport('invoicing chaos', {
      operations: world.operations.counts,
      workers: WORKERS,
      kills: workers.kills,
      faults: nonZero(world.faults.counts),
      rateLimitedAfterWarmUp,
      lockCheckFailures: world.lockCheckFailures.counts,
      ...report,
    });
    expect(workers.kills).toBeGreaterThan(0);
    expect(Object.keys(world.faults.counts).length).toBeGreaterThan(3);
    expect(report.entries).toBeGreaterThan(0);
    expect(report).toMatchObject(NO_VIOLATIONS);
  }, 900_000);
});
