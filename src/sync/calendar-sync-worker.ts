import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config';
import { WORKER_AUTOSTART } from '../jobs/job-worker.service';
import { PollingLoop } from '../jobs/polling-loop';
import { CalendarReconciler } from './calendar-reconciler';

/**
 * Runs the calendar reconciler in the background of a worker process (or of the API process in
 * the embedded setup): a pass whenever there may be work, a pause of `WORKER_POLL_INTERVAL_MS`
 * when there was none. Shutdown lets the pass in flight finish and hands the leases back.
 */
@Injectable()
export class CalendarSyncWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(CalendarSyncWorker.name);
  private readonly loop: PollingLoop;

  constructor(
    private readonly reconciler: CalendarReconciler,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(WORKER_AUTOSTART) private readonly autostart: boolean,
  ) {
    this.loop = new PollingLoop(
      () => this.reconciler.runOnce(),
      config.worker.pollIntervalMs,
      (error) => this.logger.error({ msg: 'calendar sync pass failed', err: error }),
    );
  }

  onApplicationBootstrap(): void {
    if (this.autostart) this.start();
  }

  start(): void {
    this.loop.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (!this.loop.isRunning) return;
    await this.loop.stop();
    await this.reconciler.releaseLeases();
  }
}
