import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config';
import { inTransaction, isSqlite } from '../database/transaction';
import { backoffSeconds } from './backoff';
import { PollingLoop } from './polling-loop';
import { JobHandlerRegistry, PermanentJobError, RetryJobLaterError } from './job-handler';
import { Job } from './job.entity';
import { JobQueue } from './job-queue.service';
import { LeaseHolder, LeaseTable, workerIdentity } from './lease';

const jobLease = new LeaseTable(Job, {
  owner: { property: 'reservedBy', column: 'reserved_by' },
  expiresAt: { property: 'reservedUntil', column: 'reserved_until' },
});

export const WORKER_AUTOSTART = Symbol('WORKER_AUTOSTART');

/**
 * Claims due jobs under a lease and runs them. Several worker processes (on several machines)
 * share the table safely: on MySQL/MariaDB claims use `FOR UPDATE SKIP LOCKED`, so two workers
 * never take the same row; SQLite has one writer, so its transactions serialise the claims.
 * A worker that dies leaves its lease to expire, after which another worker retries the job.
 */
@Injectable()
export class JobWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly id = workerIdentity();
  private readonly holder: LeaseHolder = { id: this.id };
  private readonly logger = new Logger(JobWorker.name);
  private readonly loop: PollingLoop;

  constructor(
    private readonly dataSource: DataSource,
    private readonly registry: JobHandlerRegistry,
    private readonly queue: JobQueue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(WORKER_AUTOSTART) private readonly autostart: boolean,
  ) {
    this.loop = new PollingLoop(
      () => this.runOnce(),
      config.worker.pollIntervalMs,
      (error) => this.logger.error({ msg: 'claiming jobs failed', err: error }),
    );
  }

  onApplicationBootstrap(): void {
    if (this.autostart) this.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  start(): void {
    if (this.loop.isRunning) return;
    this.scheduleRecurring().catch((error: unknown) =>
      this.logger.error({ msg: 'scheduling recurring jobs failed', err: error }),
    );
    this.loop.start();
    this.logger.log({ msg: 'worker started', worker: this.id });
  }

  /**
   * Gives every recurring job type its row, due now, unless it has one. Two workers starting at
   * once may both add one; the duplicate removes itself after its first run (`finishRecurring`).
   */
  async scheduleRecurring(): Promise<void> {
    for (const { type } of this.registry.recurring()) {
      await inTransaction(this.dataSource, async (manager) => {
        if (await manager.existsBy(Job, { type })) return;
        await this.queue.enqueue(manager, type, {}, { queue: 'recurring' });
      });
    }
  }

  /** Stops claiming, lets in-flight jobs finish, then hands back any lease still held. */
  async stop(): Promise<void> {
    if (!this.loop.isRunning) return;
    await this.loop.stop();
    await this.releaseLeases();
    this.logger.log({ msg: 'worker stopped', worker: this.id });
  }

  /** Claims and runs one batch of due jobs; returns how many ran. Tests drive the worker with it. */
  async runOnce(): Promise<number> {
    const jobs = await this.claim(this.config.worker.concurrency);
    await Promise.all(jobs.map((job) => this.run(job)));
    return jobs.length;
  }

  /** Runs batches until nothing is due (or `maxBatches`); for tests and the CLI. */
  async drain(maxBatches = 1000): Promise<number> {
    let total = 0;
    for (let batch = 0; batch < maxBatches; batch++) {
      const ran = await this.runOnce();
      if (ran === 0) break;
      total += ran;
    }
    return total;
  }

  private async claim(limit: number): Promise<Job[]> {
    const now = new Date();
    const leaseUntil = new Date(now.getTime() + this.config.worker.leaseSeconds * 1000);
    return inTransaction(this.dataSource, async (manager) => {
      const due = manager
        .getRepository(Job)
        .createQueryBuilder('job')
        .select(jobLease.claimColumns('job'))
        .where('job.failedAt IS NULL')
        .andWhere('job.availableAt <= :now', { now })
        .andWhere(jobLease.free('job'), { now })
        .orderBy('job.availableAt', 'ASC')
        .addOrderBy('job.id', 'ASC')
        .limit(limit);
      if (!isSqlite(this.dataSource)) due.setLock('pessimistic_write').setOnLocked('skip_locked');
      const chosen = await due.getMany();
      if (chosen.length === 0) return [];
      const ids = chosen.map((job) => job.id);
      await jobLease.take(manager, chosen, this.holder, leaseUntil, {
        attempts: () => 'attempts + 1',
        updatedAt: now,
      });
      return manager.findBy(Job, { id: In(ids) });
    });
  }

  private async run(job: Job): Promise<void> {
    const handler = this.registry.find(job.type);
    try {
      if (!handler)
        throw new PermanentJobError(`No handler is registered for job type "${job.type}".`);
      await handler.handle(this.queue.payloadOf(job));
      const period = this.registry.periodOf(job.type);
      if (period !== undefined) return await this.finishRecurring(job, period);
      await inTransaction(this.dataSource, (manager) =>
        manager.delete(Job, { id: job.id, ...jobLease.heldBy(this.holder) }),
      );
    } catch (error) {
      await this.recordFailure(job, error);
    }
  }

  /**
   * A recurring job's row waits for its next run (also after a failure: housekeeping must not stop
   * for good). Of duplicate rows of one type the oldest survives.
   */
  private async finishRecurring(job: Job, everySeconds: number, lastError: string | null = null) {
    const now = new Date();
    await inTransaction(this.dataSource, async (manager) => {
      const older = await manager
        .getRepository(Job)
        .createQueryBuilder('job')
        .where('job.type = :type AND job.id < :id', { type: job.type, id: job.id })
        .getExists();
      if (older) {
        await manager.delete(Job, { id: job.id, ...jobLease.heldBy(this.holder) });
        return;
      }
      await jobLease.release(manager, this.holder, {
        id: job.id,
        extra: {
          attempts: 0,
          lastError,
          updatedAt: now,
          availableAt: new Date(now.getTime() + everySeconds * 1000),
        },
      });
    });
  }

  private async recordFailure(job: Job, error: unknown): Promise<void> {
    const message = error instanceof Error ? error.message : String(error);
    const givesUp = error instanceof PermanentJobError || job.attempts >= job.maxAttempts;
    const period = this.registry.periodOf(job.type);
    if (givesUp && period !== undefined) {
      this.logger.warn({ msg: 'recurring job failed', job: job.id, type: job.type, err: message });
      return this.finishRecurring(job, period, message.slice(0, 2000));
    }
    const delay =
      error instanceof RetryJobLaterError ? error.retryAfterSeconds : backoffSeconds(job.attempts);
    const now = new Date();
    this.logger.warn({
      msg: givesUp ? 'job failed' : 'job will retry',
      job: job.id,
      type: job.type,
      err: message,
    });
    // Conditional on still holding the lease: if it expired and another worker took the job,
    // that worker's outcome stands.
    await inTransaction(this.dataSource, (manager) =>
      jobLease.release(manager, this.holder, {
        id: job.id,
        extra: {
          lastError: message.slice(0, 2000),
          updatedAt: now,
          ...(givesUp
            ? { failedAt: now }
            : { availableAt: new Date(now.getTime() + delay * 1000) }),
        },
      }),
    );
  }

  private async releaseLeases(): Promise<void> {
    await inTransaction(this.dataSource, (manager) =>
      jobLease.release(manager, this.holder, { extra: { attempts: () => 'attempts - 1' } }),
    );
  }
}
