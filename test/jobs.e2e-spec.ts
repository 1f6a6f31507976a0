import { DataSource } from 'typeorm';
import { inTransaction } from '../src/database/transaction';
import { JobHandlerRegistry, PermanentJobError } from '../src/jobs/job-handler';
import { Job } from '../src/jobs/job.entity';
import { JobQueue } from '../src/jobs/job-queue.service';
import { JobWorker } from '../src/jobs/job-worker.service';
import { bootApp, TestApp } from './support/app';

/*
 * The durable job queue that mail and sync build on. Handlers here are test fixtures registered
 * on the real registry; the queue, worker and database are the real ones.
 */
describe('durable job queue', () => {
  let t: TestApp;
  let queue: JobQueue;
  const seen: number[] = [];
  let failuresLeft = 0;
  let cleanUps = 0;
  let cleanUpFailures = 0;

  beforeAll(async () => {
    t = await bootApp();
    queue = t.app.get(JobQueue);
    const registry = t.app.get(JobHandlerRegistry);
    registry.register<{ n: number }>('test.record', {
      handle: async ({ n }) => {
        seen.push(n);
      },
    });
    registry.register<{ n: number }>('test.flaky', {
      handle: async ({ n }) => {
        if (failuresLeft-- > 0) throw new Error(`flaky failure before ${n}`);
        seen.push(n);
      },
    });
    registry.register('test.broken', {
      handle: async () => {
        throw new PermanentJobError('payload cannot be processed');
      },
    });
    registry.registerRecurring('test.every_minute', 60, {
      handle: async () => {
        if (cleanUpFailures-- > 0) throw new PermanentJobError('the clean-up failed this time');
        cleanUps += 1;
      },
    });
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    seen.length = 0;
    await t.dataSource.getRepository(Job).clear();
  });

  const enqueue = (type: string, n: number, options = {}) =>
    inTransaction(t.dataSource, (manager) => queue.enqueue(manager, type, { n }, options));
  const makeDue = (ds: DataSource) =>
    ds
      .getRepository(Job)
      .createQueryBuilder()
      .update()
      .set({ availableAt: new Date('2000-01-01T00:00:00Z') })
      .execute();

  it('runs a committed job once and removes it', async () => {
    await enqueue('test.record', 1);
    expect(await t.worker.drain()).toBe(1);
    expect(seen).toEqual([1]);
    expect(await t.dataSource.getRepository(Job).count()).toBe(0);
  });

  it('never runs a job whose transaction rolled back', async () => {
    await expect(
      inTransaction(t.dataSource, async (manager) => {
        await queue.enqueue(manager, 'test.record', { n: 2 });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await t.worker.drain()).toBe(0);
    expect(seen).toEqual([]);
  });

  it('does not run a job before it is due', async () => {
    await enqueue('test.record', 3, { delaySeconds: 3600 });
    expect(await t.worker.drain()).toBe(0);
    await makeDue(t.dataSource);
    expect(await t.worker.drain()).toBe(1);
    expect(seen).toEqual([3]);
  });

  it('retries a failing job with backoff until it succeeds', async () => {
    failuresLeft = 2;
    await enqueue('test.flaky', 4);
    await t.worker.runOnce();
    const afterFirst = await t.dataSource
      .getRepository(Job)
      .findOneByOrFail({ type: 'test.flaky' });
    expect(afterFirst).toMatchObject({ attempts: 1, reservedBy: null, failedAt: null });
    expect(afterFirst.lastError).toBe('flaky failure before 4');
    await makeDue(t.dataSource);
    await t.worker.runOnce();
    await makeDue(t.dataSource);
    await t.worker.runOnce();
    expect(seen).toEqual([4]);
    expect(await t.dataSource.getRepository(Job).count()).toBe(0);
  });

  it('gives up after max attempts, or at once on a permanent error, keeping the error', async () => {
    failuresLeft = 100;
    await enqueue('test.flaky', 5, { maxAttempts: 2 });
    await enqueue('test.broken', 6);
    await t.worker.runOnce();
    await makeDue(t.dataSource);
    await t.worker.runOnce();
    const jobs = await t.dataSource.getRepository(Job).find({ order: { id: 'ASC' } });
    expect(jobs.map((job) => [job.type, job.attempts, job.failedAt !== null])).toEqual([
      ['test.flaky', 2, true],
      ['test.broken', 1, true],
    ]);
    expect(jobs[1].lastError).toBe('payload cannot be processed');
    // Failed jobs stay for inspection and are not claimed again.
    await makeDue(t.dataSource);
    expect(await t.worker.drain()).toBe(0);
  });

  it('fails a job of an unknown type instead of looping on it', async () => {
    await enqueue('test.unknown', 7);
    await t.worker.drain();
    const job = await t.dataSource.getRepository(Job).findOneByOrFail({ type: 'test.unknown' });
    expect(job.failedAt).not.toBeNull();
    expect(job.lastError).toMatch(/No handler is registered/);
  });

  it('takes over a job whose worker died once its lease expires', async () => {
    await enqueue('test.record', 8);
    // A worker that claimed the job and died: the row is reserved, the lease still running.
    await t.dataSource
      .getRepository(Job)
      .createQueryBuilder()
      .update()
      .set({ reservedBy: 'dead-worker', reservedUntil: new Date(Date.now() + 60_000), attempts: 1 })
      .execute();
    expect(await t.worker.drain()).toBe(0);
    await t.dataSource
      .getRepository(Job)
      .createQueryBuilder()
      .update()
      .set({ reservedUntil: new Date(Date.now() - 1000) })
      .execute();
    expect(await t.worker.drain()).toBe(1);
    expect(seen).toEqual([8]);
  });

  it('lets several workers share the queue without running a job twice', async () => {
    const total = 120;
    for (let n = 0; n < total; n += 20) {
      await inTransaction(t.dataSource, async (manager) => {
        for (let i = n; i < n + 20; i++) await queue.enqueue(manager, 'test.record', { n: i });
      });
    }
    // Three workers on the same database, claiming concurrently (on MySQL: SKIP LOCKED).
    const registry = t.app.get(JobHandlerRegistry);
    const workers = [
      t.worker,
      new JobWorker(t.dataSource, registry, queue, t.config, false),
      new JobWorker(t.dataSource, registry, queue, t.config, false),
    ];
    expect(new Set(workers.map((worker) => worker.id)).size).toBe(3);
    await Promise.all(workers.map((worker) => worker.drain()));
    expect(seen.length).toBe(total);
    expect(new Set(seen).size).toBe(total);
    expect(await t.dataSource.getRepository(Job).count()).toBe(0);
  });

  describe('recurring jobs', () => {
    const rowsOf = (type: string) => t.dataSource.getRepository(Job).findBy({ type });
    beforeEach(() => {
      cleanUps = 0;
      cleanUpFailures = 0;
    });

    it('runs when a worker starts, then waits its period, in one row', async () => {
      await t.worker.scheduleRecurring();
      await t.worker.scheduleRecurring();
      expect(await rowsOf('test.every_minute')).toHaveLength(1);
      const before = Date.now();
      await t.worker.drain();
      expect(cleanUps).toBe(1);
      const [row] = await rowsOf('test.every_minute');
      expect(row.availableAt.getTime()).toBeGreaterThanOrEqual(before + 59_000);
      expect(row).toMatchObject({ attempts: 0, reservedBy: null, failedAt: null });
      // Not due again yet.
      expect(await t.worker.drain()).toBe(0);
      await makeDue(t.dataSource);
      await t.worker.drain();
      expect(cleanUps).toBe(2);
    });

    it('keeps its schedule after a failure, with the error kept', async () => {
      await t.worker.scheduleRecurring();
      cleanUpFailures = 1;
      await t.worker.drain();
      expect(cleanUps).toBe(0);
      const [row] = await rowsOf('test.every_minute');
      expect(row).toMatchObject({ failedAt: null, lastError: 'the clean-up failed this time' });
      expect(row.availableAt.getTime()).toBeGreaterThan(Date.now() + 50_000);
      await makeDue(t.dataSource);
      await t.worker.drain();
      expect(cleanUps).toBe(1);
      expect((await rowsOf('test.every_minute'))[0].lastError).toBeNull();
    });

    it('two workers scheduling at once leave one row after the first runs', async () => {
      const duplicate = () =>
        inTransaction(t.dataSource, (manager) =>
          queue.enqueue(manager, 'test.every_minute', {}, { queue: 'recurring' }),
        );
      await duplicate();
      await duplicate();
      await t.worker.drain();
      expect(cleanUps).toBe(2);
      expect(await rowsOf('test.every_minute')).toHaveLength(1);
    });
  });

  it('stops gracefully: finishes what it runs and releases what it holds', async () => {
    await enqueue('test.record', 9);
    t.worker.start();
    for (let i = 0; i < 100 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    await t.worker.stop();
    expect(seen).toEqual([9]);
    await enqueue('test.record', 10);
    // Stopped: nothing is claimed in the background any more.
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toEqual([9]);
    const waiting = await t.dataSource.getRepository(Job).findOneByOrFail({ type: 'test.record' });
    expect(waiting.reservedBy).toBeNull();
  });
});
