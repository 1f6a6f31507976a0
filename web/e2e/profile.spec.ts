import { expect, test, type Page } from '@playwright/test';
import { callApi, checkScreen, signUp } from './support';
import { totp } from './totp';

const run = Date.now().toString(36);
const person = { name: 'Paula Profile', email: `paula-${run}@example.com` };
const PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'staple battery horse';

test.describe.configure({ mode: 'serial' });

const panel = (page: Page, name: string) => page.getByRole('region', { name, exact: true });

async function answers(page: Page, url: string, token?: string): Promise<number> {
  const response = await page.request.get(url, {
    headers: token ? { Authorization: `Bearer ${token}` } : {},
  });
  return response.status();
}

test('profile: preferences, password, API tokens, calendar feed and two-factor', async ({
  page,
  context,
}) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.goto('/register');
  await signUp(page, person.name, person.email, PASSWORD);
  await page.getByLabel('Organization name').fill(`Profile Co ${run}`);
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page.getByRole('heading', { name: 'Week planner' })).toBeVisible();
  await page.getByRole('link', { name: 'Profile' }).click();
  await expect(page.getByRole('heading', { name: 'Profile', level: 1 })).toBeVisible();
  await expect(page.getByText(`${person.email} is not confirmed yet.`)).toBeVisible();
  // Outside an organization's pages the navigation still leads into the current one.
  await expect(page.getByRole('link', { name: 'Planner' })).toHaveAttribute(
    'href',
    /^\/o\/\d+\/planner$/,
  );
  await checkScreen(page, 'profile');

  // Preferences: an unknown zone is refused next to its field and nothing changes.
  const prefs = panel(page, 'Time and work days');
  await prefs.getByLabel('Time zone').fill('Mars/Olympus_Mons');
  await prefs.getByRole('button', { name: 'Save' }).click();
  await expect(prefs.locator('.field-error')).toBeVisible();
  await expect(prefs.getByLabel('Time zone')).toHaveAttribute(
    'aria-describedby',
    (await prefs.locator('.field-error').getAttribute('id'))!,
  );
  expect(((await callApi(page, 'GET', '/api/v1/me')) as { timezone: string }).timezone).not.toBe(
    'Mars/Olympus_Mons',
  );
  await prefs.getByLabel('Time zone').fill('Asia/Tokyo');
  await prefs.getByLabel('Fri').uncheck();
  await prefs.getByLabel('Sat').check();
  await prefs.getByLabel('Work day starts').fill('07:30');
  await prefs.getByLabel('Work day ends').fill('16:00');
  await prefs.getByLabel('Week starts on').selectOption({ label: 'Sun' });
  await prefs.getByRole('button', { name: 'Save' }).click();
  await expect(prefs.getByRole('status')).toHaveText('Saved.');
  const me = (await callApi(page, 'GET', '/api/v1/me')) as Record<string, unknown>;
  expect(me).toMatchObject({
    timezone: 'Asia/Tokyo',
    work_days: ['mon', 'tue', 'wed', 'thu', 'sat'],
    work_hours_start: expect.stringMatching(/^07:30/),
    work_hours_end: expect.stringMatching(/^16:00/),
    preferences: { week_start: 7 },
  });
  await page.reload();
  await expect(panel(page, 'Time and work days').getByLabel('Time zone')).toHaveValue('Asia/Tokyo');
  await expect(panel(page, 'Time and work days').getByLabel('Fri')).not.toBeChecked();

  // Password: the wrong current one is refused at its field; then the change goes through.
  const password = panel(page, 'Password');
  await password.getByLabel('Current password').fill('not my password');
  await password.getByLabel('New password').fill(NEW_PASSWORD);
  await password.getByRole('button', { name: 'Change password' }).click();
  await expect(password.getByText('current_password is not correct.')).toBeVisible();
  await password.getByLabel('Current password').fill(PASSWORD);
  await password.getByLabel('New password').fill(NEW_PASSWORD);
  await password.getByRole('button', { name: 'Change password' }).click();
  await expect(password.getByRole('status')).toContainText('Password changed');

  // API tokens: the new one is shown once, works, is listed, and stops working when revoked.
  const tokens = panel(page, 'API tokens');
  await expect(tokens.getByRole('cell', { name: 'registration (this browser)' })).toBeVisible();
  await tokens.getByLabel('Token name').fill('nightly export');
  await tokens.getByLabel('Current password').fill(PASSWORD);
  await tokens.getByRole('button', { name: 'Create token' }).click();
  await expect(tokens.getByText('These credentials do not match our records.')).toBeVisible();
  await expect(page).toHaveURL(/\/profile$/);
  await tokens.getByLabel('Token name').fill('nightly export');
  await tokens.getByLabel('Current password').fill(NEW_PASSWORD);
  await tokens.getByRole('button', { name: 'Create token' }).click();
  const shown = tokens.getByRole('region', { name: 'Copy it now; it is shown once:' });
  const apiToken = (await shown.locator('code').textContent())!;
  expect(apiToken.length).toBeGreaterThan(20);
  expect(await answers(page, '/api/v1/me', apiToken)).toBe(200);
  await expect(tokens.getByRole('cell', { name: 'nightly export', exact: true })).toBeVisible();
  await checkScreen(page, 'profile-token');
  await tokens.getByRole('button', { name: 'Revoke nightly export' }).click();
  await expect(tokens.getByRole('cell', { name: 'nightly export', exact: true })).toHaveCount(0);
  expect(await answers(page, '/api/v1/me', apiToken)).toBe(401);

  // Calendar feed: the URL is shown once, serves iCalendar, copies; a new one retires it.
  const feed = panel(page, 'Calendar feed');
  await expect(feed.getByText('No feed URL yet.')).toBeVisible();
  await feed.getByRole('button', { name: 'Create feed URL' }).click();
  const feedUrl = (await feed.getByLabel('Calendar feed', { exact: true }).textContent())!;
  const ics = await page.request.get(feedUrl);
  expect(ics.status()).toBe(200);
  expect(await ics.text()).toContain('BEGIN:VCALENDAR');
  await feed.getByRole('button', { name: 'Copy' }).click();
  await expect(feed.getByRole('status')).toHaveText('Copied.');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(feedUrl);
  await expect(feed.getByText(/A feed URL exists since/)).toBeVisible();
  await feed.getByRole('button', { name: 'Create a new feed URL' }).click();
  await expect(feed.getByLabel('Calendar feed', { exact: true })).not.toHaveText(feedUrl);
  expect(await answers(page, feedUrl)).toBe(404);

  // Two-factor: enrol, a wrong code is refused, the right one shows recovery codes once.
  const twoFactor = panel(page, 'Two-factor authentication');
  await twoFactor.getByLabel('Current password').fill(NEW_PASSWORD);
  await twoFactor.getByRole('button', { name: 'Turn on two-factor' }).click();
  const secret = (await twoFactor.getByLabel('Secret').textContent())!;
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  await expect(twoFactor.getByRole('link', { name: 'Open in authenticator app' })).toHaveAttribute(
    'href',
    new RegExp(`^otpauth://totp/.*secret=${secret}`),
  );
  // The QR code carries the same URI for a phone's camera; the secret as text still enrols.
  const qr = twoFactor.getByRole('img', { name: 'QR code for your authenticator app' });
  await expect(qr).toBeVisible();
  expect(await qr.locator('path').getAttribute('d')).toMatch(/^(M\d+ \d+h1v1h-1z){200,}$/);
  const good = totp(secret);
  await twoFactor.getByLabel('Code from the app').fill(good === '000000' ? '111111' : '000000');
  await twoFactor.getByRole('button', { name: 'Confirm' }).click();
  await expect(twoFactor.getByText('code is not correct.')).toBeVisible();
  await checkScreen(page, 'profile-two-factor-enrol');
  await twoFactor.getByLabel('Code from the app').fill(totp(secret));
  await twoFactor.getByRole('button', { name: 'Confirm' }).click();
  const codes = twoFactor.getByRole('region', { name: 'Recovery codes' }).getByRole('listitem');
  await expect(codes.first()).toBeVisible();
  const recoveryCodes = await codes.allTextContents();
  expect(recoveryCodes.length).toBeGreaterThanOrEqual(8);
  await expect(twoFactor.getByText('On: signing in asks for a code')).toBeVisible();
  await twoFactor.getByRole('button', { name: 'I have saved them' }).click();
  await expect(codes).toHaveCount(0);

  // With two-factor on, a new token needs a code too (the next step's: this one is used up).
  await tokens.getByLabel('Token name').fill('with code');
  await tokens.getByLabel('Current password').fill(NEW_PASSWORD);
  await tokens.getByLabel('Code from the app').fill(totp(secret, Date.now() + 30_000));
  await tokens.getByRole('button', { name: 'Create token' }).click();
  await expect(tokens.getByRole('cell', { name: 'with code', exact: true })).toBeVisible();

  // Off again with a recovery code.
  const off = twoFactor.getByRole('form', { name: 'Turn off two-factor' });
  await off.getByLabel('Current password').fill(NEW_PASSWORD);
  await off.getByLabel('Recovery code', { exact: true }).fill(recoveryCodes[0]);
  await twoFactor.getByRole('button', { name: 'Turn off two-factor' }).click();
  await expect(twoFactor.getByText('Off: signing in asks for your password only.')).toBeVisible();
  expect(
    ((await callApi(page, 'GET', '/api/v1/me')) as { two_factor_enabled: boolean })
      .two_factor_enabled,
  ).toBe(false);
});

test('profile at tablet width and in dark mode', async ({ page }) => {
  await page.setViewportSize({ width: 800, height: 1100 });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto('/login');
  await page.getByLabel('Email').fill(person.email);
  await page.getByLabel('Password').fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Week planner' })).toBeVisible();
  await page.goto('/profile');
  await expect(panel(page, 'API tokens').getByRole('table')).toBeVisible();
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - window.innerWidth,
  );
  expect(overflow).toBeLessThanOrEqual(0);
  await checkScreen(page, 'profile-tablet-dark');
});
