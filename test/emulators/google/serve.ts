/**
 * The Google emulator as a standalone process, for poking at it with curl or a dev server:
 *
 *   node test/emulators/common/run-ts.cjs test/emulators/google/serve.ts \
 *     --port 8085 --account ann@example.com --redirect-uri http://localhost:3000/callback
 *
 * Options: --port N, --account EMAIL (repeatable), --client-id, --client-secret,
 * --redirect-uri (repeatable), --token-ttl SECONDS, --chaos SEED:kind=p,kind=p
 * (e.g. `--chaos 7:tooManyRequests=0.05,lostResponse=0.01`), --allow-http-addresses (push
 * channels to http:// addresses, for a local dev server).
 */
import { parseArgs } from 'node:util';
import type { Fault } from '../common/faults';
import { googleFaults, GoogleFaultName } from './faults';
import { DEFAULT_CLIENT, startGoogleEmulator } from './emulator';

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '8085' },
      account: { type: 'string', multiple: true, default: ['ann@example.com'] },
      'client-id': { type: 'string', default: DEFAULT_CLIENT.clientId },
      'client-secret': { type: 'string', default: DEFAULT_CLIENT.clientSecret },
      'redirect-uri': { type: 'string', multiple: true, default: DEFAULT_CLIENT.redirectUris },
      'token-ttl': { type: 'string' },
      chaos: { type: 'string' },
      'allow-http-addresses': { type: 'boolean', default: false },
    },
  });
  const google = await startGoogleEmulator({
    port: Number(values.port),
    accounts: values.account.map((email) => ({ email })),
    clients: [
      {
        clientId: values['client-id'],
        clientSecret: values['client-secret'],
        redirectUris: values['redirect-uri'],
      },
    ],
    accessTokenTtlSeconds: values['token-ttl'] ? Number(values['token-ttl']) : undefined,
    allowHttpAddresses: values['allow-http-addresses'],
  });
  if (values.chaos) {
    const [seed, spec] = values.chaos.split(':');
    const faults = (spec ?? '').split(',').map((pair) => {
      const [name, probability] = pair.split('=');
      const make = googleFaults[name as GoogleFaultName] as (() => Fault) | undefined;
      if (!make) throw new Error(`unknown Google fault ${name}`);
      return { probability: Number(probability), fault: make() };
    });
    google.faults.random({ seed: Number(seed), faults });
  }
  console.log(`Google emulator on ${google.url}`);
  console.log(JSON.stringify({ rootUrl: google.rootUrl, endpoints: google.endpoints }, null, 2));
  console.log(`accounts: ${values.account.join(', ')}; client: ${values['client-id']}`);
  const stop = () => {
    void google.stop().then(() => {
      console.log(`faults injected: ${JSON.stringify(google.faults.counts)}`);
      process.exit(0);
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
