import { startMariaDb } from './mariadb-server';

export default async function setup(): Promise<void> {
  if (process.env.TEST_MYSQL_URL) return;
  const server = await startMariaDb();
  // Workers are forked after global setup, so they inherit this variable.
  process.env.TEST_MYSQL_URL = server.url;
  (globalThis as { danwelMariaDb?: typeof server }).danwelMariaDb = server;
}
