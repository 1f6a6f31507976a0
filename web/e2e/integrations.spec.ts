import { expect, test, type Page } from '@playwright/test';
import { GOOGLE_CLIENT, GOOGLE_PORT } from './playwright.config';
import { checkScreen, connectGoogle, GoogleEmulator, signUp, startGoogleEmulator } from './support';

const run = Date.now().toString(36);
const person = { name: 'Iris Integrations', email: `iris-${run}@example.com` };
const googleAccount = `iris.cal-${run}@example.com`;

let google: GoogleEmulator;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  google = await startGoogleEmulator({
    host: '127.0.0.1',
    port: GOOGLE_PORT,
    clients: [GOOGLE_CLIENT],
    accounts: [{ email: googleAccount, timeZone: 'Europe/Amsterdam' }],
  });
  google.addCalendar(googleAccount, { summary: 'Team rota' });
});

test.afterAll(async () => {
  await google?.stop();
});

/** Connect (or reconnect): the browser goes to the emulator's consent and comes back pending. */
const consentAndConfirm = (page: Page, start: () => Promise<void>) =>
  connectGoogle(page, google, googleAccount, start, 'integrations-pending');

test('connect a Google account, switch calendars, reconnect, disconnect', async ({ page }) => {
  await page.goto('/register');
  await signUp(page, person.name, person.email);
  await page.getByLabel('Organization name').fill(`Integrations Co ${run}`);
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page.getByRole('heading', { name: 'Week planner' })).toBeVisible();
  await page.getByRole('link', { name: 'Integrations' }).click();
  await expect(page.getByText('No calendar accounts connected yet.')).toBeVisible();
  await checkScreen(page, 'integrations-empty');

  await consentAndConfirm(page, () =>
    page.getByRole('button', { name: 'Connect Google Calendar' }).click(),
  );
  const account = page.getByRole('region', { name: `Google Calendar: ${googleAccount}` });
  await expect(account).toContainText('Connected');
  await expect(account.getByRole('cell', { name: 'Team rota', exact: true })).toBeVisible();

  // Calendars: switching one (whichever way it starts) and changing a direction stick.
  const team = account.getByLabel('Sync Team rota');
  const wasOn = await team.isChecked();
  const saved = page.waitForResponse((r) => r.request().method() === 'PATCH');
  await team.setChecked(!wasOn);
  expect((await saved).status()).toBe(200);
  await account.getByLabel('Direction of Team rota').selectOption({ label: 'danwel only reads' });
  await expect(account.getByLabel('Direction of Team rota')).toHaveValue('read');
  await page.reload();
  if (wasOn) await expect(account.getByLabel('Sync Team rota')).not.toBeChecked();
  else await expect(account.getByLabel('Sync Team rota')).toBeChecked();
  await expect(account.getByLabel('Direction of Team rota')).toHaveValue('read');
  await checkScreen(page, 'integrations');

  // The provider withdraws danwel's access: the next call finds out, the page offers Reconnect.
  google.revokeAccess(googleAccount);
  google.expireAccessTokens(googleAccount);
  await account.getByRole('button', { name: 'Refresh calendars' }).click();
  await expect(account.getByText('Needs reconnecting')).toBeVisible();
  await checkScreen(page, 'integrations-needs-reconnect');
  await consentAndConfirm(page, () => account.getByRole('button', { name: 'Reconnect' }).click());
  await expect(account).toContainText('Connected');
  await expect(page.getByRole('region', { name: /^Google Calendar:/ })).toHaveCount(1);

  await account.getByRole('button', { name: `Disconnect ${googleAccount}` }).click();
  await account.getByRole('button', { name: 'Disconnect now' }).click();
  await expect(page.getByText('No calendar accounts connected yet.')).toBeVisible();
});

test('a stale or failed return from the provider is explained', async ({ page }) => {
  await page.goto('/login');
  await page.getByLabel('Email').fill(person.email);
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Week planner' })).toBeVisible();
  await page.goto('/integrations?pending=pg_unknown');
  await expect(page).toHaveURL(/\/o\/\d+\/integrations\?pending=pg_unknown$/);
  const pending = page.getByRole('region', { name: 'Confirm the connection' });
  await expect(pending.getByRole('alert')).toBeVisible();
  await expect(pending.getByRole('button', { name: 'Confirm' })).toHaveCount(0);
  await page.goto('/integrations?error=access_denied');
  await expect(page.getByRole('alert')).toContainText('not completed (access_denied)');
});
