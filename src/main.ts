import 'reflect-metadata';
import { createHttpApp, loadConfigOrExit } from './bootstrap';
import { createLogger } from './common/logging/logger';

async function main(): Promise<void> {
  const config = loadConfigOrExit(process.env);
  const logger = createLogger(config.logLevel);
  const app = await createHttpApp(config, logger);
  // On SIGTERM Nest stops accepting connections, lets in-flight requests finish, stops the
  // in-process worker (releasing its leases) and closes the database, in that order.
  await app.listen(config.port, config.host);
  logger.info(
    { url: config.appUrl, worker: config.worker.inProcess ? 'in-process' : 'separate' },
    `danwel is listening on ${config.appUrl} (API docs at ${config.appUrl}/docs)`,
  );
}

void main();
