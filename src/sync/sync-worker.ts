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
import { InvoicingReconciler } from './invoicing-reconciler';

/**
 * Runs the reconcilers — calendar events, then invoicing entries — in the background of a worker
 * process (or of the API process in the embedded setup): a pass whenever there may be work, a
 * pause of `WORKER_POLL_INTERVAL_MS` when there was none. Shutdown lets the pass in flight finish and hands the leases back.
 */
@Injectable()
export class SyncWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(SyncWorker.name);
  private readonly loop: PollingLoop;

  constructor(
    private readonly calendar: CalendarReconciler,
    private readonly invoicing: InvoicingReconciler,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(WORKER_AUTOSTART) private readonly autostart: boolean,
  ) {
    this.loop = new PollingLoop(
      async () => (await this.calendar.runOnce()) + (await this.invoicing.runOnce()),
      config.worker.pollIntervalMs,
      (error) => this.logger.error({ msg: 'sync pass failed', err: error }),
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
    // Both reconcilers hold their leases under this process's one sync owner.
    await this.calendar.releaseLeases();
  }
}
