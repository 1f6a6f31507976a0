import type { RunningMariaDb } from './mariadb-server';

export default async function teardown(): Promise<void> {
  await (globalThis as { danwelMariaDb?: RunningMariaDb }).danwelMariaDb?.stop();
}
