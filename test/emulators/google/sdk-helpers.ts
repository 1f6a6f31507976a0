/**
 * The real SDK pointed at an emulator, configured the way the product should configure it
 * (see README.md, "What the SDK does").
 */
import { Auth, calendar_v3, google } from 'googleapis';
import { DEFAULT_CLIENT, GoogleEmulator } from './emulator';

export const REDIRECT_URI = DEFAULT_CLIENT.redirectUris[0];

export interface ClientOptions {
  forceRefreshOnFailure?: boolean;
  eagerRefreshThresholdMillis?: number;
}

/**
 * An OAuth2 client on the emulator's endpoints. `fetchImplementation: fetch`: gaxios 7 would
 * otherwise `import('node-fetch')` (ESM), which Jest's CommonJS runtime refuses
 * ("A dynamic import callback was invoked without --experimental-vm-modules").
 */
export function oauthClient(
  emulator: GoogleEmulator,
  options: ClientOptions = {},
): Auth.OAuth2Client {
  return new google.auth.OAuth2({
    clientId: DEFAULT_CLIENT.clientId,
    clientSecret: DEFAULT_CLIENT.clientSecret,
    redirectUri: REDIRECT_URI,
    endpoints: emulator.endpoints,
    transporterOptions: { fetchImplementation: fetch },
    ...options,
  });
}

/** A client that already holds tokens for `email` (no consent dance). */
export function connectedClient(
  emulator: GoogleEmulator,
  email: string,
  options: ClientOptions & { scopes?: string[] } = {},
): Auth.OAuth2Client {
  const { scopes, ...clientOptions } = options;
  const auth = oauthClient(emulator, clientOptions);
  auth.setCredentials(emulator.issueTokens({ email, scopes }));
  return auth;
}

export function calendarApi(
  emulator: GoogleEmulator,
  auth: Auth.OAuth2Client,
  options: { retry?: boolean } = {},
): calendar_v3.Calendar {
  return google.calendar({ version: 'v3', rootUrl: emulator.rootUrl, auth, ...options });
}

export interface CaughtGaxiosError {
  /** A GaxiosError of google-auth-library's gaxios (its `name` is plain "Error"). */
  gaxios: boolean;
  name: string;
  message: string;
  status?: number;
  code?: string;
  headers: Record<string, string>;
  data: unknown;
  /** `error.errors[0].reason` of a Google error body. */
  reason?: string;
  domain?: string;
  cause?: { name?: string; code?: string; message?: string; cause?: { code?: string } };
  /** The error as thrown. */
  raw: unknown;
}

/** Awaits a call that must fail and flattens the GaxiosError for assertions. */
export async function failure(call: Promise<unknown>): Promise<CaughtGaxiosError> {
  try {
    await call;
  } catch (error) {
    const e = error as Error & {
      status?: number;
      code?: string;
      response?: { status: number; headers: Headers; data: unknown };
      cause?: CaughtGaxiosError['cause'];
    };
    const data = e.response?.data;
    const first = (data as { error?: { errors?: Array<{ reason?: string; domain?: string }> } })
      ?.error?.errors?.[0];
    return {
      gaxios: e.constructor.name === 'GaxiosError' && Symbol.for('gaxios-gaxios-error') in e,
      name: e.name,
      message: e.message,
      status: e.status ?? e.response?.status,
      code: e.code,
      headers: Object.fromEntries(e.response?.headers?.entries() ?? []),
      data,
      reason: first?.reason,
      domain: first?.domain,
      cause: e.cause,
      raw: error,
    };
  }
  throw new Error('expected the call to fail, it succeeded');
}

/** Polls until `check` holds (for writes that land after the client gave up). */
export async function eventually(check: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
