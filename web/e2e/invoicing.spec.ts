import { expect, test } from '@playwright/test';
import { createRequire } from 'node:module';
import { HARVEST_APP, HARVEST_PORT } from './playwright.config';
import { callApi, checkScreen, signUp } from './support';

const run = Date.now().toString(36);
const person = { name: 'Ines Invoicing', email: `ines-${run}@example.com` };

// The server specs' emulator lives in a CommonJS package: required, not imported.
const { startHarvestEmulator } = createRequire(import.meta.url)(
  '../../test/emulators/harvest',
) as typeof import('../../test/emulators/harvest');
type Emulator = Awaited<ReturnType<typeof startHarvestEmulator>>;
let harvest: Emulator;

test.beforeAll(async () => {
  harvest = await startHarvestEmulator({
    host: '127.0.0.1',
    port: HARVEST_PORT,
    apps: [HARVEST_APP],
  });
  // Two accounts to choose from; only the second holds the work.
  harvest.addAccount({ name: 'Ines Ops', members: [person.email] });
  const account = harvest.addAccount({ name: 'Ines Studio', members: [person.email] });
  const client = harvest.addClient(account.id, { name: 'Globex' });
  const project = harvest.addProject(account.id, { name: 'Website', clientId: client.id });
  const design = harvest.addTask(account.id, { name: 'Design' });
  const meetings = harvest.addTask(account.id, { name: 'Meetings' });
  harvest.assignTask(account.id, project.id, design.id);
  harvest.assignTask(account.id, project.id, meetings.id);
});

test.afterAll(async () => {
  await harvest?.stop();
});

test('connect Harvest, choose the account, map the task, import, disconnect', async ({ page }) => {
  await page.goto('/register');
  await signUp(page, person.name, person.email);
  await page.getByLabel('Organization name').fill(`Invoicing Co ${run}`);
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page.getByRole('heading', { name: 'Week planner' })).toBeVisible();
  await page.getByRole('link', { name: 'Integrations' }).click();

  harvest.consents.push({ email: person.email });
  await page.getByRole('button', { name: 'Connect Harvest' }).click();
  const pending = page.getByRole('region', { name: 'Confirm the connection' });
  await expect(pending).toContainText(`Harvest signed in as ${person.email}`);
  await pending.getByRole('button', { name: 'Confirm' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Account connected.' })).toBeVisible();
  // One invoicing system per organization: no second one is offered.
  await expect(
    page.getByRole('button', { name: /^Connect (Harvest|Moneybird|Xero)$/ }),
  ).toHaveCount(0);

  const panel = page.getByRole('region', { name: /^Invoicing: Harvest/ });
  await expect(panel).toContainText('Choose the account time is booked in.');
  await checkScreen(page, 'invoicing-choose-account');
  await panel.getByLabel('Account to book in').selectOption({ label: 'Ines Studio' });
  await panel.getByRole('button', { name: 'Choose' }).click();
  await expect(panel).toContainText('Booking in Ines Studio');

  // Choosing the account imported its project, booked on its first billable task.
  const tasks = panel.getByRole('table', { name: 'Task' });
  await expect(tasks.getByRole('cell', { name: 'Website', exact: true })).toBeVisible();
  const task = panel.getByLabel('Task for Website');
  await expect(task).toHaveValue(/\d+/);
  await expect(panel.getByText('(chosen)')).toHaveCount(0);
  const other =
    (await task.locator('option:checked').textContent()) === 'Design' ? 'Meetings' : 'Design';
  const saved = page.waitForResponse((r) => r.request().method() === 'PUT');
  await task.selectOption({ label: other });
  expect((await saved).status()).toBe(200);
  await expect(panel.getByText('(chosen)')).toBeVisible();
  await page.reload();
  await expect(task.locator('option:checked')).toHaveText(other);
  await checkScreen(page, 'invoicing-bookings');

  // A task the provider does not list (offered here by a stale page) is refused at the field.
  await page.route('**/bookings', async (route) => {
    const response = await route.fetch();
    const body = (await response.json()) as {
      projects: { available_tasks: { external_id: string; name: string; billable: boolean }[] }[];
    };
    body.projects[0].available_tasks.push({ external_id: '999999', name: 'Gone', billable: true });
    await route.fulfill({ response, json: body });
  });
  await page.reload();
  const refused = page.waitForResponse((r) => r.request().method() === 'PUT');
  await panel.getByLabel('Task for Website').selectOption({ label: 'Gone' });
  expect((await refused).status()).toBe(422);
  await expect(panel.getByRole('alert')).toContainText('task_external_id');
  await page.unroute('**/bookings');

  await panel.getByRole('button', { name: 'Import now' }).click();
  await expect(panel.getByRole('status')).toContainText('Imported:');
  await page.getByRole('link', { name: 'Projects' }).click();
  await expect(page.getByRole('cell', { name: 'Website', exact: true })).toBeVisible();

  // A billable block of last week on the imported project is booked; its badge says so.
  const org = new URL(page.url()).pathname.split('/')[2];
  const { data: projects } = (await callApi(
    page,
    'GET',
    `/api/v1/organizations/${org}/projects`,
  )) as {
    data: { id: number; name: string }[];
  };
  const lastWeek = new Date(Date.now() - 7 * 86_400_000).toISOString().slice(0, 10);
  const block = (await callApi(page, 'POST', `/api/v1/organizations/${org}/time-blocks`, {
    title: 'Wireframes',
    start_time: `${lastWeek}T14:00:00Z`,
    end_time: `${lastWeek}T15:45:00Z`,
    timezone: 'UTC',
    project_id: projects.find((p) => p.name === 'Website')!.id,
    is_billable: true,
  })) as { id: number };
  await expect
    .poll(
      async () =>
        (
          (await callApi(page, 'GET', `/api/v1/organizations/${org}/time-blocks/${block.id}`)) as {
            invoicing_sync_status: string;
          }
        ).invoicing_sync_status,
      { timeout: 20_000 },
    )
    .toBe('synced');
  await page.getByRole('link', { name: 'Planner' }).click();
  await page.getByRole('button', { name: 'Previous week' }).click();
  const booked = page.getByRole('button', { name: /^Wireframes / });
  await expect(booked).toHaveAccessibleName(/Booked in invoicing/);
  await expect(booked.locator('.badge.invoicing')).toHaveText('¤');
  await checkScreen(page, 'planner-invoicing-badge');

  // Reports group and filter by the review and booking states, one row per block in detail.
  await page.getByRole('link', { name: 'Reports' }).click();
  await page.getByLabel('From').fill(lastWeek);
  await page.getByLabel('Group by').selectOption({ label: 'Invoicing' });
  await expect(page.getByRole('cell', { name: 'Booked', exact: true })).toBeVisible();
  await page.getByLabel('Group by').selectOption({ label: 'Block' });
  const row = page.getByRole('row', { name: /^Wireframes / });
  await expect(row).toContainText('Pending approval, Booked');
  await expect(row.getByRole('cell').nth(2)).toHaveText('—');
  await expect(row.getByRole('cell').nth(3)).toHaveText('1:45');
  await page.getByLabel('Invoicing', { exact: true }).selectOption({ label: 'Booking failed' });
  await expect(page.getByText('No time in this range.')).toBeVisible();
  await page.getByLabel('Invoicing', { exact: true }).selectOption({ label: 'Booked' });
  await expect(row).toBeVisible();
  await checkScreen(page, 'reports-by-block');

  await page.getByRole('link', { name: 'Integrations' }).click();
  await panel.getByRole('button', { name: /^Disconnect / }).click();
  await panel.getByRole('button', { name: 'Disconnect now' }).click();
  await expect(panel).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Connect Harvest' })).toBeVisible();
});
