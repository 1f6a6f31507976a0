import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, ConfigModule } from './config';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { JobsModule } from './jobs/jobs.module';

/**
 * The whole application. The API, the worker and the CLI all build from this module; what differs
 * is whether an HTTP server listens and whether the job worker polls.
 */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, options: { runWorker: boolean }): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot(config),
        JobsModule.forRoot({ runWorker: options.runWorker }),
        HealthModule,
      ],
    };
  }
}
