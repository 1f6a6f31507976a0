import { expect, test, type Page } from '@playwright/test';
import { OUTBOX } from './playwright.config';
import { awaitMailedLink, callApi, checkScreen, signUp } from './support';
import { totp } from './totp';

const run = Date.now().toString(36);
const person = { name: 'Tomas Two', email: `tomas-${run}@example.com` };
// A second account: the server limits how many codes one account may try in a while.
const forgetful = { name: 'Rita Reset', email: `rita-${run}@example.com` };
const PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'battery staple correct';

test.describe.configure({ mode: 'serial' });

let secret = '';
let recoveryCodes: string[] = [];

async function signOut(page: Page) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
}

async function passwordStep(page: Page, password = PASSWORD, email = person.email) {
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

test('the mailed link confirms the address once', async ({ page }) => {
  await page.goto('/register');
  await signUp(page, person.name, person.email, PASSWORD);
  await expect(page.getByRole('heading', { name: 'Create an organization' })).toBeVisible();
  const link = new URL(await awaitMailedLink(OUTBOX, person.email, 'verify-email'));
  expect(link.pathname).toBe('/verify-email');
  await page.goto(link.pathname + link.hash);
  await expect(page.getByRole('status')).toHaveText('Your email address is confirmed.');
  await checkScreen(page, 'verify-email');
  const me = (await callApi(page, 'GET', '/api/v1/me')) as { email_verified_at: string | null };
  expect(me.email_verified_at).not.toBeNull();

  await page.goto('/verify-email');
  await expect(page.getByRole('alert')).toHaveText(/link is incomplete/);
  await page.goto(link.pathname + link.hash);
  await expect(page.getByRole('alert')).toContainText('already used or expired');
});

test('two-factor accounts sign in with a code or a recovery code', async ({ page }) => {
  await passwordStep(page);
  await expect(page.getByRole('heading', { name: 'Create an organization' })).toBeVisible();
  const enrolment = (await callApi(page, 'POST', '/api/v1/me/two-factor', {
    password: PASSWORD,
  })) as { secret: string };
  secret = enrolment.secret;
  // The step the confirmation spends; a step boundary may pass before the login below.
  const confirmedAt = Date.now();
  const spentCode = totp(secret, confirmedAt);
  const confirmed = (await callApi(page, 'POST', '/api/v1/me/two-factor/confirm', {
    code: spentCode,
  })) as { recovery_codes: string[] };
  recoveryCodes = confirmed.recovery_codes;
  await signOut(page);

  await passwordStep(page);
  await expect(page.getByRole('heading', { name: 'Two-factor check' })).toBeVisible();
  expect(await page.evaluate(() => localStorage.getItem('danwel.token'))).toBeNull();
  await checkScreen(page, 'sign-in-two-factor');
  // The code the confirmation used is spent: the server refuses it at the field.
  await page.getByLabel('Code from the app').fill(spentCode);
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByText('code is not correct.')).toBeVisible();
  await page.getByLabel('Code from the app').fill(totp(secret, confirmedAt + 30_000));
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('heading', { name: 'Create an organization' })).toBeVisible();

  await signOut(page);
  await passwordStep(page);
  await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
  await page.getByLabel('Recovery code').fill(recoveryCodes[0]);
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('heading', { name: 'Create an organization' })).toBeVisible();

  // A recovery code works once.
  await signOut(page);
  await passwordStep(page);
  await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
  await page.getByLabel('Recovery code').fill(recoveryCodes[0]);
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.locator('.field-error')).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Two-factor check' })).toBeVisible();
});

test('a forgotten password is reset through the mailed link', async ({ page }) => {
  await page.goto('/register');
  await signUp(page, forgetful.name, forgetful.email, PASSWORD);
  await signOut(page);
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await expect(page.getByRole('heading', { name: 'Reset your password' })).toBeVisible();
  await page.getByLabel('Email').fill(forgetful.email);
  await page.getByRole('button', { name: 'Send the link' }).click();
  await expect(page.getByRole('status')).toContainText('a link is on its way');
  await checkScreen(page, 'forgot-password');

  const link = new URL(await awaitMailedLink(OUTBOX, forgetful.email, 'reset-password'));
  await page.goto(link.pathname + link.hash);
  await expect(page.getByRole('heading', { name: 'Choose a new password' })).toBeVisible();
  await page.getByLabel('New password').fill('short');
  await page.getByRole('button', { name: 'Set password' }).click();
  await expect(page.getByText('password must be at least 8 characters long')).toBeVisible();
  await checkScreen(page, 'reset-password');
  await page.getByLabel('New password').fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Set password' }).click();
  await expect(page.getByRole('status')).toContainText('Your password is changed');

  // The old password no longer works; the new one does.
  await passwordStep(page, PASSWORD, forgetful.email);
  await expect(page.getByRole('alert')).toContainText('do not match');
  await passwordStep(page, NEW_PASSWORD, forgetful.email);
  await expect(page.getByRole('heading', { name: 'Create an organization' })).toBeVisible();

  // The link is spent.
  await page.goto('/login');
  await page.goto(link.pathname + link.hash);
  await page.getByLabel('New password').fill('another good password');
  await page.getByRole('button', { name: 'Set password' }).click();
  await expect(page.getByRole('alert')).toContainText('already used or expired');
});
