import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import type { Logger } from 'pino';
import { AppModule } from './app.module';
import { configureApp } from './common/http/configure-app';
import { createLogger, PinoNestLogger } from './common/logging/logger';
import { AppConfig, ConfigError, Env, loadConfig, loadDotEnv } from './config';
import { JobWorker } from './jobs/job-worker.service';
import { SyncWorker } from './sync/sync-worker';
import { serveWebApp } from './web-app/serve-web-app';

/** Reads `.env` and the environment once; a bad value stops the process naming the variable. */
export function loadConfigOrExit(env: Env, { dotEnv = true } = {}): AppConfig {
  try {
    if (dotEnv) loadDotEnv();
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\nSee .env.example for every variable.\n`);
      process.exit(1);
    }
    throw error;
  }
}

/** The HTTP API, fully configured but not yet listening (tests call init(), main calls listen()). */
export async function createHttpApp(
  config: AppConfig,
  logger: Logger = createLogger(config.logLevel),
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot(config, { runWorker: config.worker.inProcess }),
    // rawBody: the parsers keep the bytes too (`req.rawBody`), which a signed webhook needs.
    { logger: new PinoNestLogger(logger), bodyParser: false, rawBody: true, abortOnError: false },
  );
  configureApp(app, config, logger);
  serveWebApp(app, logger);
  return app;
}

/** Workers and CLI commands: the same modules without an HTTP server. */
export async function createAppContext(
  config: AppConfig,
  options: { runWorker: boolean },
  logger: Logger = createLogger(config.logLevel),
): Promise<INestApplicationContext> {
  // The workers start only once the shutdown hooks are in place: a SIGTERM that arrives while
  // the context boots must still stop them cleanly (release leases) instead of killing the process.
  const context = await NestFactory.createApplicationContext(
    AppModule.forRoot(config, { runWorker: false }),
    { logger: new PinoNestLogger(logger), abortOnError: false },
  );
  context.enableShutdownHooks();
  if (options.runWorker) {
    context.get(JobWorker).start();
    context.get(SyncWorker).start();
  }
  return context;
}
