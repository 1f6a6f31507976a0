/**
 * The background loop of a worker: run a pass, and when it found nothing to do, sleep for the idle
 * interval (cut short by `stop`). `stop` lets the pass in flight finish. One loop per worker kind
 * (jobs, calendar sync), so each can be started and stopped on its own.
 */
export class PollingLoop {
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;

  constructor(
    /** One pass; returns how much it did (0 = idle). */
    private readonly pass: () => Promise<number>,
    private readonly idleMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  get isRunning(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.poll();
  }

  /** Resolves once the pass in flight (if any) has finished. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  private async poll(): Promise<void> {
    while (this.running) {
      let done = 0;
      try {
        done = await this.pass();
      } catch (error) {
        this.onError(error);
      }
      if (done === 0 && this.running) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.idleMs);
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
