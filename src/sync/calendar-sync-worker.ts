import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config';
import { WORKER_AUTOSTART } from '../jobs/job-worker.service';
import { CalendarReconciler } from './calendar-reconciler';

/**
 * Runs the calendar reconciler in the background of a worker process (or of the API process in
 * the embedded setup): a pass whenever there may be work, a pause of `WORKER_POLL_INTERVAL_MS`
 * when there was none. Shutdown lets the pass in flight finish and hands the leases back.
 */
@Injectable()
export class CalendarSyncWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(CalendarSyncWorker.name);
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;

  constructor(
    private readonly reconciler: CalendarReconciler,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(WORKER_AUTOSTART) private readonly autostart: boolean,
  ) {}

  onApplicationBootstrap(): void {
    if (this.autostart) this.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.poll();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wake?.();
    await this.loop;
    await this.reconciler.releaseLeases();
  }

  private async poll(): Promise<void> {
    while (this.running) {
      let done = 0;
      try {
        done = await this.reconciler.runOnce();
      } catch (error) {
        this.logger.error({ msg: 'calendar sync pass failed', err: error });
      }
      if (done === 0 && this.running) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.config.worker.pollIntervalMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = null;
      }
    }
  }
}
