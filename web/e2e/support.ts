import { expect, type Page } from '@playwright/test';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

const require = createRequire(import.meta.url);
// Evaluated rather than added as a script tag, so the pages keep the server's CSP in the specs.
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const SCREENS = resolve(here, '../artifacts/screens');

/** Keeps a screenshot of the screen and fails on serious or critical axe-core violations. */
export async function checkScreen(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENS, `${name}.png`), fullPage: true });
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const result = await (
      window as unknown as {
        axe: {
          run: (c?: unknown) => Promise<{
            violations: { id: string; impact: string; nodes: { target: string[] }[] }[];
          }>;
        };
      }
    ).axe.run(document);
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
  expect(violations, `accessibility on ${name}`).toEqual([]);
}

/** The newest link to `path` (followed by `/` or `#` and a token) mailed to that address. */
export function mailedLink(outbox: string, email: string, path: string): string {
  const texts = readdirSync(outbox)
    .filter((f) => f.endsWith('.txt') || f.endsWith('.eml'))
    .map((f) => readFileSync(join(outbox, f), 'utf8'))
    .filter((text) => text.includes(email));
  const links = texts
    .join('\n')
    .match(new RegExp(`https?://[^\\s"<>]*/${path}[/#][A-Za-z0-9_-]+`, 'g'));
  if (!links) throw new Error(`no ${path} mail for ${email} in ${outbox}`);
  return links[links.length - 1];
}

/** Waits for the worker to mail a link (a poll interval or so), then answers it. */
export async function awaitMailedLink(
  outbox: string,
  email: string,
  path: string,
): Promise<string> {
  await expect
    .poll(
      () => {
        try {
          return mailedLink(outbox, email, path);
        } catch {
          return null;
        }
      },
      { timeout: 10_000 },
    )
    .toBeTruthy();
  return mailedLink(outbox, email, path);
}

export async function signUp(
  page: Page,
  name: string,
  email: string,
  password = 'correct horse battery',
) {
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
}

/**
 * A new account with its own organization, both planning in `zone`; answers the organization id.
 * `who` keeps the email unique within a run.
 */
export async function signUpWithOrganization(
  page: Page,
  who: string,
  zone = 'Europe/Amsterdam',
): Promise<number> {
  const run = Date.now().toString(36);
  await page.goto('/register');
  await signUp(page, `Planner ${who}`, `${who}-${run}@example.com`);
  await page.getByLabel('Organization name').fill(`Org ${who} ${run}`);
  await page.getByLabel('Time zone').fill(zone);
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page.getByRole('heading', { name: 'Week planner' })).toBeVisible();
  await callApi(page, 'PATCH', '/api/v1/me', { timezone: zone });
  return Number(new URL(page.url()).pathname.split('/')[2]);
}

/** Signs in through the form and waits for the planner. */
export async function signIn(page: Page, email: string, password = 'correct horse battery') {
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Week planner' })).toBeVisible();
}

/** Calls the API as the user signed in on the page (setup a spec does not test through screens). */
export async function callApi(
  page: Page,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  return page.evaluate(
    async ({ method, path, body }) => {
      const response = await fetch(path, {
        method,
        headers: {
          Authorization: `Bearer ${localStorage.getItem('danwel.token')}`,
          'Content-Type': 'application/json',
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}`);
      return response.status === 204 ? null : response.json();
    },
    { method, path, body },
  );
}

/** Pixel y of a wall-clock time in a day column of the planner. */
export async function yOf(
  page: Page,
  date: string,
  minutes: number,
): Promise<{ x: number; y: number }> {
  const column = page.locator(`.day-column[data-date="${date}"]`);
  const box = (await column.boundingBox())!;
  const first = (await page.locator('.gutter span').first().textContent())!;
  const firstMinutes = Number(first.slice(0, 2)) * 60;
  return { x: box.x + box.width / 2, y: box.y + ((minutes - firstMinutes) * 48) / 60 };
}

/** The server specs' Google emulator; it lives in a CommonJS package: required, not imported. */
export const { startGoogleEmulator } =
  require('../../test/emulators/google') as typeof import('../../test/emulators/google');
export type GoogleEmulator = Awaited<ReturnType<typeof startGoogleEmulator>>;

/**
 * Connects (or reconnects) a Google account: `start` sends the browser to the emulator's consent
 * for `email`; back on Integrations, the pending account is confirmed.
 */
export async function connectGoogle(
  page: Page,
  google: GoogleEmulator,
  email: string,
  start: () => Promise<void>,
  screen?: string,
): Promise<void> {
  google.authorize({ email });
  await start();
  const pending = page.getByRole('region', { name: 'Confirm the connection' });
  await expect(pending).toContainText(`Google Calendar signed in as ${email}`);
  expect(new URL(page.url()).searchParams.get('pending')).toBeTruthy();
  if (screen) await checkScreen(page, screen);
  await pending.getByRole('button', { name: 'Confirm' }).click();
  await expect(page.getByRole('status')).toHaveText('Account connected.');
}
