import { DatabaseConfig } from '../../src/config';
import { seededRandom } from '../emulators/common/faults';
import { BuiltProcess, builtEnv, startBuilt } from '../support/built-processes';

/*
 * What every chaos test does, whatever it syncs: seeded randomness (one seed replays a run),
 * real worker processes that are killed at random and replaced, a stream of weighted random
 * operations a few at a time, and waiting for the system to settle before the invariants are
 * checked. Each target brings a world (its accounts, operations and faults) and its invariants:
 * calendar-world.ts with calendar-invariants.ts, invoicing-world.ts with invoicing-invariants.ts.
 */

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A choice of a weighted pick: `weight` relative to the others' weights. */
export interface Weighted<T> {
  weight: number;
  value: T;
}

/** The run's randomness, from one seed. */
export class ChaosRandom {
  private readonly next: () => number;

  constructor(readonly seed: number) {
    this.next = seededRandom(seed);
  }

  /** In [0, 1). */
  number(): number {
    return this.next();
  }

  /** In [0, n). */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Undefined for an empty list. */
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)];
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  weighted<T>(choices: Array<Weighted<T>>): T {
    const total = choices.reduce((sum, choice) => sum + choice.weight, 0);
    let roll = this.next() * total;
    for (const choice of choices) {
      roll -= choice.weight;
      if (roll < 0) return choice.value;
    }
    return choices[choices.length - 1].value;
  }
}

/** Named counters for the report. */
export class Tally {
  readonly counts: Record<string, number> = {};

  add(name: string): void {
    this.counts[name] = (this.counts[name] ?? 0) + 1;
  }
}

/**
 * Built worker processes (`dist/src/worker.js`) on the test database, sharing its work. `kill`
 * SIGKILLs one at random and starts another in its place: whatever it held must be picked up.
 */
export class WorkerPool {
  private readonly running = new Set<BuiltProcess>();
  kills = 0;

  constructor(
    private readonly database: DatabaseConfig,
    private readonly env: () => Record<string, string>,
  ) {}

  get size(): number {
    return this.running.size;
  }

  start(count = 1): void {
    for (let i = 0; i < count; i++) {
      const worker = startBuilt(
        'worker.js',
        builtEnv(this.database, { NODE_ENV: 'test', WORKER_POLL_INTERVAL_MS: '50', ...this.env() }),
      );
      this.running.add(worker);
      worker.child.once('exit', () => this.running.delete(worker));
    }
  }

  /** Kills a worker at random and starts a fresh one; false when none was running. */
  killOne(random: ChaosRandom): boolean {
    const victim = random.pick([...this.running]);
    if (!victim) return false;
    victim.child.kill('SIGKILL');
    this.running.delete(victim);
    this.kills += 1;
    this.start();
    return true;
  }

  killAll(): void {
    for (const worker of this.running) worker.child.kill('SIGKILL');
    this.running.clear();
  }
}

/** Background mischief: `action` after each random pause of `minMs` to `maxMs`, until stopped. */
export function atRandomIntervals(
  random: ChaosRandom,
  interval: { minMs: number; maxMs: number },
  action: () => unknown,
): { stop(): Promise<void> } {
  let running = true;
  const done = (async () => {
    while (running) {
      await sleep(interval.minMs + random.number() * (interval.maxMs - interval.minMs));
      if (running) await action();
    }
  })();
  return {
    stop: () => {
      running = false;
      return done;
    },
  };
}

/**
 * Kills a worker every 1.5 to 4 seconds (a worker takes about two to boot: each gets time to do
 * some work) until stopped; `afterKill` adds other mischief of the moment.
 */
export function killAtRandom(
  pool: WorkerPool,
  random: ChaosRandom,
  afterKill: () => void = () => undefined,
): { stop(): Promise<void> } {
  return atRandomIntervals(random, { minMs: 1_500, maxMs: 4_000 }, () => {
    if (pool.killOne(random)) afterKill();
  });
}

/**
 * Runs operations in `concurrency` lanes at once (as several people using the app would), with
 * a random pause of up to `pauseMs` after each: `total` in all, or with `perLane` `total` in each
 * lane (a lane for each organization, whose people act one at a time).
 */
export async function runOperations(options: {
  total: number;
  concurrency: number;
  random: ChaosRandom;
  operation: (lane: number) => Promise<void>;
  pauseMs?: number;
  perLane?: boolean;
}): Promise<void> {
  let issued = 0;
  await Promise.all(
    Array.from({ length: options.concurrency }, async (_, lane) => {
      for (let own = 0; options.perLane ? own < options.total : issued < options.total; own++) {
        issued += 1;
        await options.operation(lane);
        await sleep(options.random.number() * (options.pauseMs ?? 60));
      }
    }),
  );
}

/**
 * Polls `settled` every half second until it answers true (`consecutive` times in a row, for a
 * check that a fault still queued may fool once): true then, false once `withinMs` has passed.
 * With `failure`, running out of time throws an error with its description instead.
 */
export async function settle(
  settled: () => Promise<boolean>,
  options: { withinMs: number; failure?: () => Promise<string>; consecutive?: number },
): Promise<boolean> {
  const deadline = Date.now() + options.withinMs;
  for (let streak = 0; ;) {
    streak = (await settled()) ? streak + 1 : 0;
    if (streak >= (options.consecutive ?? 1)) return true;
    if (Date.now() > deadline) {
      if (options.failure) throw new Error(await options.failure());
      return false;
    }
    await sleep(500);
  }
}

/** Prints the run's figures, so that a passing run still shows what it went through. */
export function printReport(title: string, report: object): void {
  process.stdout.write(`\n${title}: ${JSON.stringify(report, null, 2)}\n`);
}

/** The counters that are not zero. */
export const nonZero = (counts: Record<string, number>) =>
  Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
