import { DynamicModule, Global, Module } from '@nestjs/common';
import { JobHandlerRegistry } from './job-handler';
import { JobQueue } from './job-queue.service';
import { JobWorker, WORKER_AUTOSTART } from './job-worker.service';

@Global()
@Module({})
export class JobsModule {
  /** `runWorker` starts the polling loop at boot (in-process worker or the worker entry point). */
  static forRoot(options: { runWorker: boolean }): DynamicModule {
    return {
      module: JobsModule,
      providers: [
        JobHandlerRegistry,
        JobQueue,
        JobWorker,
        { provide: WORKER_AUTOSTART, useValue: options.runWorker },
      ],
      exports: [JobHandlerRegistry, JobQueue, JobWorker, WORKER_AUTOSTART],
    };
  }
}
