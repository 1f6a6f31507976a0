import 'reflect-metadata';
import { createAppContext, loadConfigOrExit } from './bootstrap';

/** The standalone worker process: runs jobs until SIGTERM, then releases its leases and exits. */
async function main(): Promise<void> {
  const config = loadConfigOrExit(process.env);
  await createAppContext(config, { runWorker: true });
}

void main();
