import { expect, test, type Page } from '@playwright/test';
import Database from 'better-sqlite3';
import { DATABASE } from './playwright.config';
import { callApi, checkScreen, signUp } from './support';

const run = Date.now().toString(36);
const admin = { name: 'Cleo Catalog', email: `cleo-${run}@example.com` };

test.describe.configure({ mode: 'serial' });

/**
 * Marks a record as synced from an invoicing provider, as the invoicing sync leaves it: linked
 * to an (inactive) invoicing integration of the organization, with the provider's id.
 */
function markSynced(table: 'clients' | 'projects', id: number, orgId: number, userId: number) {
  const db = new Database(DATABASE, { timeout: 5_000 });
  try {
    const now = new Date().toISOString().replace('T', ' ').slice(0, 19);
    const integration = db
      .prepare(
        `INSERT INTO integrations (organization_id, connected_by, provider, provider_type, access_token,
           is_active, created_at, updated_at) VALUES (?, ?, 'moneybird', 'invoicing', 'unused', 0, ?, ?)`,
      )
      .run(orgId, userId, now, now).lastInsertRowid;
    db.prepare(`UPDATE ${table} SET integration_id = ?, external_id = ? WHERE id = ?`).run(
      integration,
      `mb-${table}-${id}`,
      id,
    );
  } finally {
    db.close();
  }
}

async function orgOf(page: Page): Promise<number> {
  return Number(new URL(page.url()).pathname.split('/')[2]);
}

test('clients: create, field errors, edit, archive and restore; synced ones read-only', async ({
  page,
}) => {
  await page.goto('/register');
  await signUp(page, admin.name, admin.email);
  await page.getByLabel('Organization name').fill(`Catalog Co ${run}`);
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page.getByRole('heading', { name: 'Week planner' })).toBeVisible();
  const orgId = await orgOf(page);
  const me = (await callApi(page, 'GET', '/api/v1/me')) as { id: number };

  await page.getByRole('link', { name: 'Clients' }).click();
  await expect(page.getByText('No clients yet.')).toBeVisible();
  await checkScreen(page, 'clients-empty');

  await page.getByRole('button', { name: 'Add client' }).click();
  let dialog = page.getByRole('dialog', { name: 'Add client' });
  await dialog.getByLabel('Name').fill('x'.repeat(300));
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(dialog.locator('.field-error')).toContainText('name');
  await checkScreen(page, 'client-dialog-error');
  await dialog.getByLabel('Name').fill('Acme');
  await dialog.getByLabel('Billing email').fill('billing@acme.example');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByRole('cell', { name: 'Acme', exact: true })).toBeVisible();
  await expect(page.getByRole('cell', { name: 'billing@acme.example' })).toBeVisible();

  await page.getByRole('button', { name: 'Edit Acme' }).click();
  dialog = page.getByRole('dialog', { name: 'Edit client' });
  await expect(dialog.getByLabel('Name')).toHaveValue('Acme');
  await dialog.getByLabel('Name').fill('Acme Corp');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('cell', { name: 'Acme Corp', exact: true })).toBeVisible();

  await page.getByRole('button', { name: 'Archive Acme Corp' }).click();
  await expect(page.getByRole('cell', { name: 'Acme Corp' })).toHaveCount(0);
  await expect(page.getByText('No clients match.')).toBeVisible();
  await page.getByLabel('Show archived').check();
  const row = page.getByRole('row', { name: /Acme Corp/ });
  await expect(row.getByRole('cell', { name: 'Archived' })).toBeVisible();
  await page.getByRole('button', { name: 'Restore Acme Corp' }).click();
  await expect(row.getByRole('cell', { name: 'Active' })).toBeVisible();

  // A client synced from invoicing: name and email belong to the provider.
  const synced = (await callApi(page, 'POST', `/api/v1/organizations/${orgId}/clients`, {
    name: 'Globex',
    email: 'ap@globex.example',
  })) as { id: number };
  markSynced('clients', synced.id, orgId, me.id);
  await page.reload();
  await expect(
    page.getByRole('row', { name: /Globex/ }).getByRole('cell', { name: 'Invoicing' }),
  ).toBeVisible();
  await page.getByRole('button', { name: 'Edit Globex' }).click();
  dialog = page.getByRole('dialog', { name: 'Edit client' });
  await expect(dialog.getByLabel('Name')).toBeDisabled();
  await expect(dialog.getByLabel('Billing email')).toBeDisabled();
  await expect(dialog.getByText('managed by the provider').first()).toBeVisible();
  await checkScreen(page, 'client-dialog-synced');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  // Archiving stays the organization's call.
  await page.getByLabel('Show archived').check();
  await page.getByRole('button', { name: 'Archive Globex' }).click();
  await expect(
    page.getByRole('row', { name: /Globex/ }).getByRole('cell', { name: 'Archived' }),
  ).toBeVisible();
  await checkScreen(page, 'clients');
});

test('projects: create with a client and rate, field errors, edit, archive; synced ones read-only', async ({
  page,
}) => {
  await page.goto('/login');
  await page.getByLabel('Email').fill(admin.email);
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Week planner' })).toBeVisible();
  const orgId = await orgOf(page);
  const me = (await callApi(page, 'GET', '/api/v1/me')) as { id: number };
  await page.getByRole('link', { name: 'Projects' }).click();
  await expect(page.getByText('No projects yet.')).toBeVisible();

  await page.getByRole('button', { name: 'Add project' }).click();
  let dialog = page.getByRole('dialog', { name: 'Add project' });
  await dialog.getByLabel('Name').fill('Website relaunch');
  await dialog.getByLabel('Client').selectOption({ label: 'Acme Corp' });
  // Archived clients are not offered for new projects.
  await expect(dialog.getByLabel('Client').getByRole('option', { name: 'Globex' })).toHaveCount(0);
  await dialog.getByLabel('Hourly rate').fill('85.555');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(dialog.locator('.field-error')).toContainText('hourly_rate');
  await dialog.getByLabel('Hourly rate').fill('85');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(dialog).toHaveCount(0);
  const row = page.getByRole('row', { name: /Website relaunch/ });
  await expect(row.getByRole('cell', { name: 'Acme Corp' })).toBeVisible();
  await expect(row.getByRole('cell', { name: '85.00' })).toBeVisible();

  await page.getByRole('button', { name: 'Edit Website relaunch' }).click();
  dialog = page.getByRole('dialog', { name: 'Edit project' });
  await expect(dialog.getByLabel('Client')).toHaveValue(/\d+/);
  await dialog.getByLabel('Client').selectOption({ label: 'No client' });
  await dialog.getByLabel('Hourly rate').fill('');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(row.getByRole('cell', { name: '—' })).toHaveCount(2);

  await page.getByRole('button', { name: 'Archive Website relaunch' }).click();
  await expect(page.getByText('No projects match.')).toBeVisible();

  const synced = (await callApi(page, 'POST', `/api/v1/organizations/${orgId}/projects`, {
    name: 'Support retainer',
    hourly_rate: '120.00',
  })) as { id: number };
  markSynced('projects', synced.id, orgId, me.id);
  await page.reload();
  await page.getByRole('button', { name: 'Edit Support retainer' }).click();
  dialog = page.getByRole('dialog', { name: 'Edit project' });
  await expect(dialog.getByLabel('Name')).toBeDisabled();
  await expect(dialog.getByLabel('Client')).toBeDisabled();
  await expect(dialog.getByLabel('Hourly rate')).toBeDisabled();
  // The colour stays danwel's to change.
  await dialog.getByLabel('Colour').fill('#aa3355');
  const saved = page.waitForResponse((r) => r.request().method() === 'PATCH');
  await dialog.getByRole('button', { name: 'Save' }).click();
  const response = await saved;
  expect(response.status()).toBe(200);
  expect(response.request().postDataJSON()).toEqual({ color: '#aa3355' });
  await expect(dialog).toHaveCount(0);
  await page.getByLabel('Show archived').check();
  await checkScreen(page, 'projects');

  await page.setViewportSize({ width: 800, height: 1000 });
  await page.emulateMedia({ colorScheme: 'dark' });
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - window.innerWidth,
  );
  expect(overflow).toBeLessThanOrEqual(0);
  await checkScreen(page, 'projects-tablet-dark');
});
