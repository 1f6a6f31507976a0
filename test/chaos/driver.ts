import { DatabaseConfig } from '../../src/config';
import { seededRandom } from '../emulators/common/faults';
import { BuiltProcess, builtEnv, startBuilt } from '../support/built-processes';

/*
 * What every chaos test does, whatever it syncs: seeded randomness (one seed replays a run),
 * real worker processes that are killed at random and replaced, a stream of weighted random
 * operations a few at a time, and waiting for the system to settle before the invariants are
 * checked. The calendar chaos spec drives it with calendar operations and faults
 * (calendar-world.ts); another target brings its own.
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

/**
 * Kills a worker every 1.5 to 4 seconds (a worker takes about two to boot: each gets time to do
 * some work) until stopped; `afterKill` adds other mischief of the moment.
 */
export function killAtRandom(
  pool: WorkerPool,
  random: ChaosRandom,
  afterKill: () => void = () => undefined,
): { stop(): Promise<void> } {
  let killing = true;
  const done = (async () => {
    while (killing) {
      await sleep(1_500 + random.number() * 2_500);
      if (killing && pool.killOne(random)) afterKill();
    }
  })();
  return {
    stop: () => {
      killing = false;
      return done;
    },
  };
}

/**
 * Runs `total` operations, `concurrency` at a time (as several people using the app would), with
 * a random pause of up to `pauseMs` after each.
 */
export async function runOperations(options: {
  total: number;
  concurrency: number;
  random: ChaosRandom;
  operation: () => Promise<void>;
  pauseMs?: number;
}): Promise<void> {
  let issued = 0;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (issued < options.total) {
        issued += 1;
        await options.operation();
        await sleep(options.random.number() * (options.pauseMs ?? 60));
      }
    }),
  );
}

/**
 * Polls `settled` every half second until it answers true: true then, false once `withinMs` has
 * passed. With `failure`, running out of time throws an error with its description instead.
 */
export async function settle(
  settled: () => Promise<boolean>,
  options: { withinMs: number; failure?: () => Promise<string> },
): Promise<boolean> {
  const deadline = Date.now() + options.withinMs;
  for (;;) {
    if (await settled()) return true;
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
