// Browser specs against the BUILT server on the embedded default (SQLite), driving Debian's
// Chromium (/usr/bin/chromium; scripts/test.sh installs it with apt when missing). Playwright
// never downloads a browser here.
import { defineConfig } from '@playwright/test';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

const root = resolve(here, '../..');
const scratch = resolve(here, '../artifacts/e2e-server');
export const PORT = Number(process.env.E2E_PORT ?? 3217);
export const OUTBOX = resolve(scratch, 'mail');
export const DATABASE = resolve(scratch, 'danwel.sqlite');
/** The Google emulator the integrations spec starts; the server is pointed at it from boot. */
export const GOOGLE_PORT = PORT + 1;
const google = `http://127.0.0.1:${GOOGLE_PORT}`;
export const GOOGLE_CLIENT = {
  clientId: '42-danwel-web.apps.googleusercontent.com',
  clientSecret: 'GOCSPX-danwel-web',
  redirectUris: [`http://127.0.0.1:${PORT}/api/v1/integrations/oauth/google_calendar/callback`],
};
/** The Harvest emulator the invoicing spec starts, pointed at the same way. */
export const HARVEST_PORT = PORT + 2;
const harvest = `http://127.0.0.1:${HARVEST_PORT}`;
export const HARVEST_APP = {
  clientId: 'harvest-danwel-web',
  clientSecret: 'harvest-danwel-web-secret',
  redirectUris: [`http://127.0.0.1:${PORT}/api/v1/integrations/oauth/harvest/callback`],
};
/** The Moneybird and Xero emulators, likewise. */
export const MONEYBIRD_PORT = PORT + 3;
const moneybird = `http://127.0.0.1:${MONEYBIRD_PORT}`;
export const MONEYBIRD_APP = {
  clientId: 'moneybird-danwel-web',
  clientSecret: 'moneybird-danwel-web-secret',
  redirectUris: [`http://127.0.0.1:${PORT}/api/v1/integrations/oauth/moneybird/callback`],
};
export const XERO_PORT = PORT + 4;
const xero = `http://127.0.0.1:${XERO_PORT}`;
export const XERO_APP = {
  clientId: 'xero-danwel-web',
  clientSecret: 'xero-danwel-web-secret',
  redirectUris: [`http://127.0.0.1:${PORT}/api/v1/integrations/oauth/xero/callback`],
};
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(chromium)) {
  throw new Error(
    `No Chromium at ${chromium}: install Debian's package (apt-get install chromium).`,
  );
}
if (!process.env.E2E_SERVER_STARTED) {
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(OUTBOX, { recursive: true });
  process.env.E2E_SERVER_STARTED = '1';
}

export default defineConfig({
  testDir: '.',
  outputDir: '../artifacts/test-results',
  workers: 1,
  timeout: 60_000,
  reporter: [['list'], ['json', { outputFile: process.env.E2E_JSON ?? '../artifacts/e2e.json' }]],
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    timezoneId: 'America/New_York',
    locale: 'en-GB',
    viewport: { width: 1280, height: 860 },
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: chromium,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  webServer: {
    command: 'node dist/src/cli.js migrate && exec node dist/src/main.js',
    cwd: root,
    url: `http://127.0.0.1:${PORT}/health/ready`,
    reuseExistingServer: false,
    timeout: 60_000,
    env: {
      NODE_ENV: 'production',
      PORT: String(PORT),
      HOST: '127.0.0.1',
      APP_URL: `http://127.0.0.1:${PORT}`,
      APP_KEY: `base64:${Buffer.alloc(32, 9).toString('base64')}`,
      DB_CONNECTION: 'sqlite',
      DB_DATABASE_PATH: DATABASE,
      // The specs read the invitation mails from the outbox.
      MAIL_TRANSPORT: 'log',
      MAIL_LOG_IN_PRODUCTION: 'true',
      MAIL_OUTBOX_DIR: OUTBOX,
      WORKER_IN_PROCESS: 'true',
      LOG_LEVEL: 'warn',
      GOOGLE_CLIENT_ID: GOOGLE_CLIENT.clientId,
      GOOGLE_CLIENT_SECRET: GOOGLE_CLIENT.clientSecret,
      GOOGLE_REDIRECT_URI: GOOGLE_CLIENT.redirectUris[0],
      GOOGLE_AUTHORIZE_URL: `${google}/o/oauth2/v2/auth`,
      GOOGLE_TOKEN_URL: `${google}/token`,
      GOOGLE_REVOKE_URL: `${google}/revoke`,
      GOOGLE_API_BASE_URL: google,
      // As the emulator's danwelEnv() says, known before it starts.
      HARVEST_CLIENT_ID: HARVEST_APP.clientId,
      HARVEST_CLIENT_SECRET: HARVEST_APP.clientSecret,
      HARVEST_REDIRECT_URI: HARVEST_APP.redirectUris[0],
      HARVEST_AUTHORIZE_URL: `${harvest}/oauth2/authorize`,
      HARVEST_TOKEN_URL: `${harvest}/api/v2/oauth2/token`,
      HARVEST_REVOKE_URL: `${harvest}/api/v2/oauth2/token`,
      HARVEST_ACCOUNTS_URL: `${harvest}/api/v2/accounts`,
      HARVEST_API_BASE_URL: `${harvest}/v2`,
      MONEYBIRD_CLIENT_ID: MONEYBIRD_APP.clientId,
      MONEYBIRD_CLIENT_SECRET: MONEYBIRD_APP.clientSecret,
      MONEYBIRD_REDIRECT_URI: MONEYBIRD_APP.redirectUris[0],
      MONEYBIRD_AUTHORIZE_URL: `${moneybird}/oauth/authorize`,
      MONEYBIRD_TOKEN_URL: `${moneybird}/oauth/token`,
      MONEYBIRD_REVOKE_URL: `${moneybird}/oauth/revoke`,
      MONEYBIRD_API_BASE_URL: `${moneybird}/api/v2`,
      XERO_CLIENT_ID: XERO_APP.clientId,
      XERO_CLIENT_SECRET: XERO_APP.clientSecret,
      XERO_REDIRECT_URI: XERO_APP.redirectUris[0],
      XERO_AUTHORIZE_URL: `${xero}/identity/connect/authorize`,
      XERO_TOKEN_URL: `${xero}/connect/token`,
      XERO_REVOKE_URL: `${xero}/connect/revocation`,
      XERO_CONNECTIONS_URL: `${xero}/connections`,
      XERO_API_BASE_URL: `${xero}/api.xro/2.0`,
      XERO_PROJECTS_BASE_URL: `${xero}/projects.xro/2.0`,
    },
  },
});
