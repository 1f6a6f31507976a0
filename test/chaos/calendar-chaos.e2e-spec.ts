import { checkCalendars, NO_VIOLATIONS } from './calendar-invariants';
import { CalendarChaosWorld } from './calendar-world';
import {
  ChaosRandom,
  killAtRandom,
  printReport,
  runOperations,
  settle,
  sleep,
  WorkerPool,
} from './driver';

/*
 * The chaos test of two-way calendar sync. Several real worker processes share the work on
 * MariaDB while the API takes a stream of random block operations — create, edit, move to
 * another calendar, take off the calendar, delete —, people edit their calendars, and both
 * emulators inject every fault they know. Workers are SIGKILLed at random and replaced. Once the
 * operations stop and the faults are switched off, the system must settle to exactly what the
 * rows say (calendar-invariants.ts).
 *
 * Size: `CHAOS_OPERATIONS` (default 200, `npm run test:chaos` runs 3000), `CHAOS_WORKERS`
 * (default 3), `CHAOS_SEED`.
 */

const OPERATIONS = Number(process.env.CHAOS_OPERATIONS ?? 200);
const WORKERS = Number(process.env.CHAOS_WORKERS ?? 3);
const SEED = Number(process.env.CHAOS_SEED ?? 20261122);
const CONCURRENCY = 4;

describe('two-way calendar sync under chaos (mysql, worker processes)', () => {
  let world: CalendarChaosWorld;
  let workers: WorkerPool;

  beforeAll(async () => {
    world = await CalendarChaosWorld.start();
    workers = new WorkerPool(world.t.database.config, () => world.workerEnv());
  });

  afterAll(async () => {
    workers?.killAll();
    await world?.close();
  });

  it('settles to exactly one correct event per block, whatever happened on the way', async () => {
    const random = new ChaosRandom(SEED);
    workers.start(WORKERS);
    world.injectFaults(SEED);
    await sleep(3_000); // the workers boot

    // Workers die at random; now and then a provider forgets a sync cursor too.
    const killer = killAtRandom(workers, random, () => {
      if (random.chance(0.5)) world.forgetCursor(random);
    });
    await runOperations({
      total: OPERATIONS,
      concurrency: CONCURRENCY,
      random,
      operation: () => world.operation(random),
    });
    // The workers catch up with the faults (and the killing) still on, for up to 20 s.
    await settle(async () => (await world.pendingBlocks()) === 0, { withinMs: 20_000 });
    await killer.stop();
    const faults = world.faultCounts();
    world.stopFaults();

    // Quiescence: nothing pending; accounts that lost their grant are connected again.
    await settle(
      async () => {
        await world.reconnectLost();
        return (await world.pendingBlocks()) === 0;
      },
      { withinMs: 120_000, failure: async () => `still pending: ${await world.stuck()}` },
    );
    // Two more full rounds of pulls with nothing pending: every change in the calendars is in.
    for (let round = 0; round < 2; round++) {
      const since = await world.pullAll();
      await settle(
        async () =>
          (await world.calendarsBehind(since)) === 0 && (await world.pendingBlocks()) === 0,
        { withinMs: 120_000, failure: async () => `the calendars did not settle` },
      );
    }

    const report = await checkCalendars(world);
    printReport('calendar chaos', {
      operations: world.operations.counts,
      workers: WORKERS,
      kills: workers.kills,
      reconnects: world.reconnects,
      calendarOperations: world.calendarOperations.counts,
      staleCursors: world.staleCursors,
      faults,
      ...report,
    });
    expect(workers.kills).toBeGreaterThan(0);
    expect(
      Object.keys(faults.google).length + Object.keys(faults.microsoft).length,
    ).toBeGreaterThan(5);
    expect(report).toMatchObject(NO_VIOLATIONS);
  }, 900_000);
});
