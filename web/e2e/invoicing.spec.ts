import { expect, test, type Locator, type Page } from '@playwright/test';
import { LEDGERS, type Ledger, type LedgerAccount } from './ledgers';
import { callApi, checkScreen, signUp } from './support';

const run = Date.now().toString(36);
const HARVEST = LEDGERS.find((l) => l.provider === 'harvest')!;
const lastWeek = new Date(Date.now() - 7 * 86_400_000).toISOString().slice(0, 10);
const today = new Date().toISOString().slice(0, 10);

test.beforeAll(async () => {
  for (const ledger of LEDGERS) await ledger.start();
});

test.afterAll(async () => {
  for (const ledger of LEDGERS) await ledger.stop();
});

interface Owner {
  name: string;
  email: string;
  org: number;
}

/** A new owner of a new organization, with two accounts at `ledger`; ends on Integrations. */
async function signUpOwner(
  page: Page,
  ledger: Ledger,
  who: string,
): Promise<{ owner: Owner; account: LedgerAccount }> {
  const name = `${who} ${ledger.name}`;
  const email = `${who.toLowerCase()}-${ledger.provider}-${run}@example.com`;
  const account = ledger.seed(email, who);
  await page.goto('/register');
  await signUp(page, name, email);
  await page.getByLabel('Organization name').fill(`${name} Co ${run}`);
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page.getByRole('heading', { name: 'Week planner' })).toBeVisible();
  const org = Number(new URL(page.url()).pathname.split('/')[2]);
  await page.getByRole('link', { name: 'Integrations' }).click();
  return { owner: { name, email, org }, account };
}

/**
 * Connects `ledger` through its consent and the confirmation step and chooses `account` (the
 * second offered); answers the integration's panel.
 */
async function connectInvoicing(
  page: Page,
  ledger: Ledger,
  owner: Owner,
  account: LedgerAccount,
): Promise<Locator> {
  ledger.consentAs(owner.email);
  await page.getByRole('button', { name: `Connect ${ledger.name}` }).click();
  const pending = page.getByRole('region', { name: 'Confirm the connection' });
  await expect(pending).toContainText(ledger.confirmation(owner.email));
  await pending.getByRole('button', { name: 'Confirm' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Account connected.' })).toBeVisible();
  // One invoicing system per organization: no second one is offered.
  await expect(
    page.getByRole('button', { name: /^Connect (Harvest|Moneybird|Xero)$/ }),
  ).toHaveCount(0);

  const panel = page.getByRole('region', { name: new RegExp(`^Invoicing: ${ledger.name}`) });
  await expect(panel).toContainText('Choose the account time is booked in.');
  const choice = panel.getByLabel('Account to book in');
  await expect(choice.locator('option')).toHaveText([/ Ops$/, account.name]);
  await checkScreen(page, `invoicing-choose-account-${ledger.provider}`);
  await choice.selectOption({ label: account.name });
  await panel.getByRole('button', { name: 'Choose' }).click();
  await expect(panel).toContainText(`Booking in ${account.name}`);
  return panel;
}

/** A billable block of last week on the imported project Website, made through the API. */
async function planWireframes(page: Page, owner: Owner, title = 'Wireframes'): Promise<number> {
  const { data: projects } = (await callApi(
    page,
    'GET',
    `/api/v1/organizations/${owner.org}/projects`,
  )) as { data: { id: number; name: string }[] };
  const block = (await callApi(page, 'POST', `/api/v1/organizations/${owner.org}/time-blocks`, {
    title,
    start_time: `${lastWeek}T14:00:00Z`,
    end_time: `${lastWeek}T15:45:00Z`,
    timezone: 'UTC',
    project_id: projects.find((p) => p.name === 'Website')!.id,
    is_billable: true,
  })) as { id: number };
  return block.id;
}

async function awaitBooked(page: Page, owner: Owner, blockId: number): Promise<void> {
  await expect
    .poll(
      async () =>
        (
          (await callApi(
            page,
            'GET',
            `/api/v1/organizations/${owner.org}/time-blocks/${blockId}`,
          )) as { invoicing_sync_status: string }
        ).invoicing_sync_status,
      { timeout: 20_000 },
    )
    .toBe('synced');
}

for (const ledger of LEDGERS) {
  test(`connect ${ledger.name}, choose the account, import, book an approved block`, async ({
    page,
  }) => {
    const { owner, account } = await signUpOwner(page, ledger, 'Ines');
    const panel = await connectInvoicing(page, ledger, owner, account);

    await panel.getByRole('button', { name: 'Import now' }).click();
    await expect(panel.getByRole('status')).toContainText('Imported:');
    // What time will be booked on, as far as this provider asks: a task per project, a user per
    // member (found by the member's email).
    await expect(panel.getByRole('table', { name: 'Task' })).toHaveCount(ledger.tasks ? 1 : 0);
    if (ledger.tasks) {
      const tasks = panel.getByRole('table', { name: 'Task' });
      await expect(tasks.getByRole('cell', { name: 'Website', exact: true })).toBeVisible();
      await expect(panel.getByLabel('Task for Website').locator('option:checked')).toHaveText(
        /^(Design|Meetings)$/,
      );
    }
    const users = panel.getByRole('table', { name: `${ledger.name} user` });
    await expect(users).toHaveCount(ledger.users ? 1 : 0);
    if (ledger.users) {
      await expect(users.getByRole('row', { name: new RegExp(owner.name) })).toBeVisible();
      await expect(
        panel.getByLabel(`${owner.name} is booked as`).locator('option:checked'),
      ).toContainText(owner.email);
    }
    await checkScreen(page, `invoicing-bookings-${ledger.provider}`);
    await page.getByRole('link', { name: 'Projects' }).click();
    await expect(page.getByRole('cell', { name: 'Website', exact: true })).toBeVisible();

    // Held for review, the block is not booked until it is approved.
    await page.getByRole('link', { name: 'Approvals' }).click();
    await page.getByLabel('Book billable time in invoicing only once approved').check();
    await expect(page.getByText('Approval is off')).toHaveCount(0);
    const blockId = await planWireframes(page, owner);
    await page.getByLabel('From').fill(lastWeek);
    await page.getByLabel('To').fill(today);
    const row = page.getByRole('row', { name: /Wireframes/ });
    await expect(row).toContainText('1:45');
    expect(account.entries()).toEqual([]);
    await row.getByRole('button', { name: 'Approve Wireframes' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Approved 1 block.' })).toBeVisible();

    await awaitBooked(page, owner, blockId);
    expect(account.entries()).toEqual([
      { description: expect.stringContaining('Wireframes'), minutes: 105, user: owner.email },
    ]);
    await page.getByRole('link', { name: 'Planner' }).click();
    await page.getByRole('button', { name: 'Previous week' }).click();
    const booked = page.getByRole('button', { name: /^Wireframes / });
    await expect(booked).toHaveAccessibleName(/Approved.*Booked in invoicing/);
    await expect(booked.locator('.badge.invoicing')).toHaveText('¤');
    await checkScreen(page, `planner-invoicing-badge-${ledger.provider}`);
  });
}

for (const ledger of LEDGERS.filter((l) => l.users)) {
  test(`${ledger.name}: book a member as another user; a refused user changes nothing`, async ({
    page,
  }) => {
    const { owner, account } = await signUpOwner(page, ledger, 'Mia');
    const email = `bo-${ledger.provider}-${run}@example.com`;
    const bookkeeper = `${account.addUser('Bo Keeper', email)} (${email})`;
    const panel = await connectInvoicing(page, ledger, owner, account);
    await panel.getByRole('button', { name: 'Import now' }).click();
    await expect(panel.getByRole('status')).toContainText('Imported:');

    // Found by email at first; a person's choice replaces it.
    const user = panel.getByLabel(`${owner.name} is booked as`);
    await expect(user.locator('option:checked')).toContainText(owner.email);
    await expect(panel.getByText('(chosen)')).toHaveCount(0);
    const saved = page.waitForResponse((r) => r.request().method() === 'PUT');
    await user.selectOption({ label: bookkeeper });
    const answer = await saved;
    expect(answer.url()).toMatch(/\/bookings\/members\/\d+$/);
    expect(answer.status()).toBe(200);
    await expect(panel.getByText('(chosen)')).toBeVisible();
    await page.reload();
    await expect(user.locator('option:checked')).toHaveText(bookkeeper);
    await checkScreen(page, `invoicing-member-user-${ledger.provider}`);

    // A user the provider does not list (offered here by a stale page) is refused at the field.
    await page.route('**/bookings', async (route) => {
      const response = await route.fetch();
      const body = (await response.json()) as {
        available_users: { external_id: string; name: string; email: string | null }[];
      };
      body.available_users.push({ external_id: '999999', name: 'Gone', email: null });
      await route.fulfill({ response, json: body });
    });
    await page.reload();
    const refused = page.waitForResponse((r) => r.request().method() === 'PUT');
    await user.selectOption({ label: 'Gone' });
    expect((await refused).status()).toBe(422);
    const row = panel.getByRole('row', { name: new RegExp(owner.name) });
    await expect(row.getByRole('alert')).toContainText('user_external_id');
    await expect(user).toHaveAccessibleDescription(/user_external_id/);
    await page.unroute('**/bookings');
    await page.reload();
    await expect(user.locator('option:checked')).toHaveText(bookkeeper);

    // The member's next block is booked for the chosen user.
    await awaitBooked(page, owner, await planWireframes(page, owner, 'Bookkeeping'));
    expect(account.entries()).toEqual([
      { description: expect.stringContaining('Bookkeeping'), minutes: 105, user: email },
    ]);
  });
}

test('Harvest: choose the task, a refused task, reports by booking state, disconnect', async ({
  page,
}) => {
  const { owner, account } = await signUpOwner(page, HARVEST, 'Hal');
  const panel = await connectInvoicing(page, HARVEST, owner, account);

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

  // A billable block of last week (approval is off: booked at once); reports group by its state.
  await awaitBooked(page, owner, await planWireframes(page, owner));
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
