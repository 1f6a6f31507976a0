import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startMicrosoftEmulator } from './emulator';

/**
 * Standalone Microsoft emulator for poking at by hand or from another process:
 *   node test/emulators/common/run-ts.cjs test/emulators/microsoft/serve.ts [--port 8443] [--account alice@contoso.test]…
 *        [--client-id ID --client-secret SECRET] [--allow-http-addresses]
 * (`--allow-http-addresses`: subscriptions may use http:// notification URLs, for a local dev server.)
 * Prints the URL, the CA file to trust (e.g. NODE_EXTRA_CA_CERTS for a separate process,
 * `curl --cacert`), the app registration and the accounts; stops on Ctrl-C.
 */
export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  const values = (flag: string) =>
    argv.flatMap((arg, i) => (arg === flag && argv[i + 1] ? [argv[i + 1]] : []));
  const clientId = values('--client-id')[0];
  const clientSecret = values('--client-secret')[0];
  const ms = await startMicrosoftEmulator({
    port: Number(values('--port')[0] ?? 0),
    apps: clientId && clientSecret ? [{ clientId, clientSecret, redirectUris: [] }] : undefined,
    allowHttpAddresses: argv.includes('--allow-http-addresses'),
  });
  const accounts = values('--account');
  for (const email of accounts.length > 0 ? accounts : ['alice@contoso.test']) {
    ms.addAccount({ email });
  }
  const caFile = path.join(os.tmpdir(), `microsoft-emulator-${ms.port}.pem`);
  fs.writeFileSync(caFile, ms.ca);
  console.log(
    JSON.stringify(
      {
        graph: `${ms.url}/v1.0`,
        authorize: `${ms.url}/common/oauth2/v2.0/authorize`,
        token: `${ms.url}/common/oauth2/v2.0/token`,
        caFile,
        clientId: ms.app.clientId,
        clientSecret: ms.app.clientSecret,
        accounts: [...ms.state.accounts.values()].map((a) => a.email),
      },
      null,
      2,
    ),
  );
  const shutdown = () => {
    fs.rmSync(caFile, { force: true });
    void ms.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}
