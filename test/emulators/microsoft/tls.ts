import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface SelfSignedCertificate {
  /** PEM private key (EC P-256). */
  key: string;
  /** PEM certificate; it is its own CA, so this is also what a client must trust. */
  cert: string;
}

/**
 * A throwaway certificate for 127.0.0.1 / localhost, made with the `openssl` binary (node has no
 * certificate generator and the project adds no npm dependency for one). An EC key takes ~15 ms.
 */
export function generateSelfSignedCertificate(): SelfSignedCertificate {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ms-emulator-tls-'));
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        keyFile,
        '-out',
        certFile,
        '-days',
        '2',
        '-subj',
        '/CN=Microsoft emulator (test only)',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-addext',
        'basicConstraints=critical,CA:TRUE',
      ],
      { stdio: 'pipe' },
    );
    return { key: fs.readFileSync(keyFile, 'utf8'), cert: fs.readFileSync(certFile, 'utf8') };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(
        'The Microsoft emulator serves HTTPS with a certificate made at start by the `openssl` ' +
          'command, which is not installed. Install the package `openssl` (apt-get install openssl).',
      );
    }
    throw error;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The part of undici's Agent constructor we use. */
type UndiciAgentClass = new (options: { connect: { ca: string } }) => {
  close(): Promise<void>;
};

const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');

/**
 * An undici dispatcher that trusts `ca`, for `fetch(url, { dispatcher })` and therefore for the
 * Graph SDK's `fetchOptions: { dispatcher }`.
 *
 * Why this shape: on Node 20 the SDK calls the global `fetch` (undici), which ignores the
 * node-fetch style `agent` option entirely, and `NODE_EXTRA_CA_CERTS` is only read at process
 * start. undici honours a per-request `dispatcher`, but the `undici` package is not a dependency,
 * so we borrow the Agent class behind Node's own global dispatcher. Under Jest the test file runs
 * in a separate realm whose globalThis does not hold that dispatcher; `fetch` itself comes from
 * the outer realm, so its Function constructor reaches the outer globalThis.
 */
export async function trustingDispatcher(ca: string, probeUrl: string): Promise<object> {
  const outerGlobal = (
    (fetch as unknown as { constructor: FunctionConstructor }).constructor(
      'return globalThis',
    ) as () => Record<symbol, unknown>
  )();
  const existing = () =>
    (outerGlobal[GLOBAL_DISPATCHER] ??
      (globalThis as unknown as Record<symbol, unknown>)[GLOBAL_DISPATCHER]) as object | undefined;
  if (!existing()) {
    // Node creates its global dispatcher on the first network fetch; the probe is expected to
    // fail certificate verification, which is fine: we only need the dispatcher to exist.
    await fetch(probeUrl).then(
      (response) => response.body?.cancel(),
      () => undefined,
    );
  }
  const dispatcher = existing();
  if (!dispatcher) {
    throw new Error('Could not find the undici global dispatcher behind fetch');
  }
  const Agent = dispatcher.constructor as UndiciAgentClass;
  return new Agent({ connect: { ca } });
}
