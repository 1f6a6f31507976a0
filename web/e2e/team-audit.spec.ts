import { expect, test, type Page } from '@playwright/test';
import { OUTBOX } from './playwright.config';
import { awaitMailedLink, callApi, checkScreen, signUp } from './support';

const run = Date.now().toString(36);
const owner = { name: 'Olga Owner', email: `olga-${run}@example.com` };
const colleague = { name: 'Cai Colleague', email: `cai-${run}@example.com` };
const WEEK = '2026-12-07';

test.describe.configure({ mode: 'serial' });

let orgId = 0;
let colleagueId = 0;

async function signIn(page: Page) {
  await page.goto('/login');
  await page.getByLabel('Email').fill(owner.email);
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Week planner' })).toBeVisible();
}

test('team week: every member’s blocks side by side, read-only', async ({ page }) => {
  await page.goto('/register');
  await signUp(page, owner.name, owner.email);
  await page.getByLabel('Organization name').fill(`Team Co ${run}`);
  await page.getByLabel('Time zone').fill('UTC');
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page.getByRole('heading', { name: 'Week planner' })).toBeVisible();
  orgId = Number(new URL(page.url()).pathname.split('/')[2]);
  await callApi(page, 'PATCH', '/api/v1/me', { timezone: 'UTC' });
  const me = (await callApi(page, 'GET', '/api/v1/me')) as { id: number };

  // The colleague joins through an invitation (set up through the API).
  await callApi(page, 'POST', `/api/v1/organizations/${orgId}/invitations`, {
    email: colleague.email,
    role: 'member',
  });
  const token = new URL(await awaitMailedLink(OUTBOX, colleague.email, 'invitations')).pathname
    .split('/')
    .pop();
  const joined = await page.request.post('/api/v1/auth/register', {
    data: { ...colleague, password: 'correct horse battery', invitation_token: token },
  });
  expect(joined.status()).toBe(201);
  colleagueId = ((await joined.json()) as { user: { id: number } }).user.id;

  const block = (userId: number, title: string, start: string, end: string) =>
    callApi(page, 'POST', `/api/v1/organizations/${orgId}/time-blocks`, {
      user_id: userId === me.id ? undefined : userId,
      title,
      start_time: start,
      end_time: end,
      timezone: 'UTC',
    });
  await block(me.id, 'Roadmap', '2026-12-08T09:00:00Z', '2026-12-08T11:00:00Z');
  await block(colleagueId, 'Support desk', '2026-12-09T13:00:00Z', '2026-12-09T16:30:00Z');
  await block(colleagueId, 'Standup', '2026-12-09T08:00:00Z', '2026-12-09T08:15:00Z');

  await page.goto(`/o/${orgId}/team?week=${WEEK}`);
  await expect(page.getByRole('heading', { name: 'Team week' })).toBeVisible();
  const ownerRow = page.getByRole('row', { name: new RegExp(owner.name) });
  const colleagueRow = page.getByRole('row', { name: new RegExp(colleague.name) });
  await expect(ownerRow.getByRole('cell', { name: '09:00–11:00 Roadmap' })).toBeVisible();
  await expect(ownerRow.getByRole('cell').last()).toHaveText('2:00');
  // The colleague's Wednesday lists both blocks, earliest first.
  const wednesday = colleagueRow.getByRole('cell', { name: /Standup/ });
  await expect(wednesday.getByRole('listitem')).toHaveText([
    '08:00–08:15 Standup',
    '13:00–16:30 Support desk',
  ]);
  await expect(colleagueRow.getByRole('cell').last()).toHaveText('3:45');
  await checkScreen(page, 'team-week');

  await page.getByRole('button', { name: 'Next week' }).click();
  await expect(page.getByText('Nobody has planned anything this week.')).toBeVisible();
  await page.getByRole('link', { name: colleague.name }).click();
  await expect(page).toHaveURL(new RegExp(`/planner\\?user=${colleagueId}&week=2026-12-14`));
});

test('audit log: newest first, filters by action, person and dates, pages', async ({ page }) => {
  await signIn(page);
  for (let i = 1; i <= 27; i++) {
    await callApi(page, 'POST', `/api/v1/organizations/${orgId}/clients`, { name: `Client ${i}` });
  }
  await page.getByRole('link', { name: 'Audit log' }).click();
  await expect(page.getByRole('heading', { name: 'Audit log' })).toBeVisible();
  const rows = page.locator('tbody tr');
  await expect(rows).toHaveCount(25);
  await expect(rows.first()).toContainText('client.created');
  await expect(rows.first()).toContainText('name: Client 27');
  await checkScreen(page, 'audit-log');

  await page.getByRole('button', { name: 'Older' }).click();
  await expect(page.getByText('Page 2')).toBeVisible();
  await expect(rows.first()).toContainText('Client 2');
  await expect(page.getByText('name: Client 27')).toHaveCount(0);
  await page.getByRole('button', { name: 'Newer' }).click();
  await expect(page.getByText('name: Client 27')).toBeVisible();

  const filters = page.getByRole('form', { name: 'Filters' });
  await filters.getByLabel('Action').fill('invitation.accepted');
  await filters.getByRole('button', { name: 'Filter' }).click();
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText(colleague.name);
  await expect(rows.first()).toContainText(`email: ${colleague.email}`);
  await expect(page.getByRole('button', { name: 'Older' })).toBeDisabled();
  // The filters live in the address: a reload keeps them.
  await page.reload();
  await expect(page.getByRole('form', { name: 'Filters' }).getByLabel('Action')).toHaveValue(
    'invitation.accepted',
  );
  await expect(rows).toHaveCount(1);

  await page.getByRole('button', { name: 'Clear filters' }).click();
  await filters.getByLabel('Who').selectOption({ label: colleague.name });
  await filters.getByRole('button', { name: 'Filter' }).click();
  await expect(rows.first()).toBeVisible();
  for (const who of await rows.locator('td:nth-child(2)').allTextContents()) {
    expect(who).toBe(colleague.name);
  }

  await page.getByRole('button', { name: 'Clear filters' }).click();
  await filters.getByLabel('From').fill('2030-01-01');
  await filters.getByRole('button', { name: 'Filter' }).click();
  await expect(page.getByText('No entries match these filters.')).toBeVisible();

  await page.getByRole('button', { name: 'Clear filters' }).click();
  await page.setViewportSize({ width: 800, height: 1000 });
  await page.emulateMedia({ colorScheme: 'dark' });
  await expect(rows).toHaveCount(25);
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - window.innerWidth,
  );
  expect(overflow).toBeLessThanOrEqual(0);
  await checkScreen(page, 'audit-log-tablet-dark');
  await page.goto(`/o/${orgId}/team?week=${WEEK}`);
  await expect(page.getByRole('cell', { name: '09:00–11:00 Roadmap' })).toBeVisible();
  await checkScreen(page, 'team-week-tablet-dark');
});

test('a member sees the catalog read-only and neither the team week nor the audit log', async ({
  page,
}) => {
  await page.goto('/login');
  await page.getByLabel('Email').fill(colleague.email);
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Week planner' })).toBeVisible();
  const nav = page.getByRole('navigation', { name: 'Main' });
  await expect(nav.getByRole('link', { name: 'Clients' })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Team' })).toHaveCount(0);
  await expect(nav.getByRole('link', { name: 'Audit log' })).toHaveCount(0);

  await nav.getByRole('link', { name: 'Clients' }).click();
  await expect(page.getByRole('cell', { name: 'Client 27', exact: true })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Add client' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: /^(Edit|Archive) / })).toHaveCount(0);
  await checkScreen(page, 'clients-member');

  for (const screen of ['team', 'audit']) {
    await page.goto(`/o/${orgId}/${screen}`);
    await expect(page.getByRole('alert')).toHaveText('There is nothing here.');
  }
});
