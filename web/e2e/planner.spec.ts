import { expect, test, type Page } from '@playwright/test';
import { GOOGLE_CLIENT, GOOGLE_PORT, OUTBOX } from './playwright.config';
import {
  awaitMailedLink,
  callApi,
  checkScreen,
  connectGoogle,
  GoogleEmulator,
  signIn,
  signUp,
  startGoogleEmulator,
  yOf,
} from './support';

const run = Date.now().toString(36);
const owner = { name: 'Ada Owner', email: `ada-${run}@example.com` };
const colleague = { name: 'Grace Member', email: `grace-${run}@example.com` };
const viewer = { name: 'Vic Viewer', email: `vic-${run}@example.com` };
const TUESDAY = '2026-12-08';

const adaCalendar = `ada.cal-${run}@example.com`;
let google: GoogleEmulator;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  google = await startGoogleEmulator({
    host: '127.0.0.1',
    port: GOOGLE_PORT,
    clients: [GOOGLE_CLIENT],
    accounts: [{ email: adaCalendar, timeZone: 'Europe/Amsterdam' }],
  });
});

test.afterAll(async () => {
  await google?.stop();
});

/** Danwel's events in Ada's Google calendar, as the emulator holds them. */
const adaEvents = () =>
  google.events(adaCalendar).map((event) => ({
    title: event.summary,
    start: event.start?.dateTime,
    end: event.end?.dateTime,
  }));

const orgId = (page: Page) => Number(new URL(page.url()).pathname.split('/')[2]);

test('sign up, create an organization, invite a colleague who accepts as a new user', async ({
  page,
  browser,
}) => {
  await page.goto('/');
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await checkScreen(page, 'sign-in');

  await page.getByRole('link', { name: 'Create account' }).click();
  await checkScreen(page, 'sign-up');
  await signUp(page, owner.name, owner.email);
  await expect(page.getByRole('heading', { name: 'Create an organization' })).toBeVisible();
  await checkScreen(page, 'new-organization');
  await page.getByLabel('Organization name').fill(`Lovelace Labs ${run}`);
  await page.getByLabel('Time zone').fill('Europe/Amsterdam');
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page.getByRole('heading', { name: 'Week planner' })).toBeVisible();

  await page.getByRole('link', { name: 'Members' }).click();
  await expect(page.getByRole('cell', { name: owner.email })).toBeVisible();
  await page.getByLabel('Email').fill(colleague.email);
  await page.getByRole('button', { name: 'Invite' }).click();
  await expect(page.getByRole('status')).toContainText(`Invitation sent to ${colleague.email}`);
  await page.getByLabel('Email').fill(viewer.email);
  await page.getByLabel('Role', { exact: true }).selectOption('viewer');
  await page.getByRole('button', { name: 'Invite' }).click();
  await expect(page.getByRole('status')).toContainText(viewer.email);
  await checkScreen(page, 'members');

  for (const person of [colleague, viewer]) {
    const link = await awaitMailedLink(OUTBOX, person.email, 'invitations');
    const context = await browser.newContext();
    const other = await context.newPage();
    await other.goto(new URL(link).pathname);
    await expect(other.getByText(/You are invited to Lovelace Labs/)).toBeVisible();
    if (person === colleague) await checkScreen(other, 'accept-invitation');
    await other.getByRole('link', { name: 'Create account' }).click();
    await expect(other.getByLabel('Email')).toHaveValue(person.email);
    await signUp(other, person.name, person.email);
    await expect(other.getByRole('heading', { name: 'Week planner' })).toBeVisible();
    await context.close();
  }
  await page.reload();
  await expect(page.getByRole('cell', { name: colleague.email })).toBeVisible();
});

test('connect Google, drag a block into Tuesday: it is in the calendar; move it by keyboard, approve it, see it in the report', async ({
  page,
}) => {
  await signIn(page, owner.email);
  await page.getByRole('link', { name: 'Integrations' }).click();
  await connectGoogle(page, google, adaCalendar, () =>
    page.getByRole('button', { name: 'Connect Google Calendar' }).click(),
  );
  await page.getByRole('link', { name: 'Planner' }).click();
  // The owner plans in Amsterdam time, an hour ahead of UTC in December.
  await callApi(page, 'PATCH', '/api/v1/me', { timezone: 'Europe/Amsterdam' });
  const url = new URL(page.url());
  await page.goto(`${url.pathname}?week=${TUESDAY}`);
  await expect(page.getByText('Times in Europe/Amsterdam')).toBeVisible();
  await expect(page.locator(`.day-column[data-date="${TUESDAY}"]`)).toBeVisible();
  await checkScreen(page, 'planner-empty');

  const from = await yOf(page, TUESDAY, 10 * 60 + 5);
  const to = await yOf(page, TUESDAY, 11 * 60 + 25);
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(to.x, to.y, { steps: 12 });
  await page.mouse.up();
  const dialog = page.getByRole('dialog', { name: 'New block' });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByLabel('Date')).toHaveValue(TUESDAY);
  await expect(dialog.getByLabel('Start')).toHaveValue('10:00');
  await expect(dialog.getByLabel('End', { exact: true })).toHaveValue('11:30');
  await dialog.getByLabel('Title').fill('Deep work');
  await dialog.getByLabel('Calendar').selectOption({ index: 1 });
  await dialog.getByLabel('Billable').check();
  await checkScreen(page, 'block-dialog');
  const created = page.waitForResponse(
    (r) => r.url().endsWith('/time-blocks') && r.request().method() === 'POST',
  );
  await dialog.getByRole('button', { name: 'Save' }).click();
  expect((await created).status()).toBe(201);

  const block = page.getByRole('button', { name: /Deep work 10:00–11:30/ });
  await expect(block).toBeVisible();
  // The worker puts it into Ada's Google calendar.
  await expect
    .poll(adaEvents, { timeout: 20_000 })
    .toEqual([{ title: 'Deep work', start: expect.any(String), end: expect.any(String) }]);
  expect(Date.parse(adaEvents()[0].start!)).toBe(Date.parse(`${TUESDAY}T10:00:00+01:00`));
  await expect(
    page.locator(`.day-column[data-date="${TUESDAY}"]`).getByText('Deep work'),
  ).toBeVisible();

  // Keyboard: Alt+↓ moves it 15 minutes later, and the server keeps it there.
  await block.focus();
  const moved = page.waitForResponse((r) => r.request().method() === 'PATCH');
  await page.keyboard.press('Alt+ArrowDown');
  const body = (await moved).request().postDataJSON();
  expect(body.start_time).toBe(`${TUESDAY}T10:15:00+01:00`);
  await page.reload();
  await expect(page.getByRole('button', { name: /Deep work 10:15–11:45/ })).toBeVisible();
  await checkScreen(page, 'planner-week');
  // And the calendar follows.
  await expect
    .poll(() => adaEvents().map((event) => Date.parse(event.start!)), { timeout: 20_000 })
    .toEqual([Date.parse(`${TUESDAY}T10:15:00+01:00`)]);

  // An overlapping block is refused by the server... when the organization forbids overlaps; a
  // block whose end is before its start is refused everywhere: the form keeps the field error.
  await page.getByRole('button', { name: 'New block' }).click();
  const invalid = page.getByRole('dialog', { name: 'New block' });
  await invalid.getByLabel('Title').fill('Backwards');
  await invalid.getByLabel('Date').fill(TUESDAY);
  await invalid.getByLabel('Start').fill('15:00');
  await invalid.getByLabel('End', { exact: true }).fill('14:00');
  await invalid.getByRole('button', { name: 'Save' }).click();
  await expect(invalid.getByRole('alert').first()).toBeVisible();
  await invalid.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByText('Backwards')).toHaveCount(0);

  // The organization holds billable time for review; the owner approves the block.
  await page.getByRole('link', { name: 'Approvals' }).click();
  await expect(page.getByText('Approval is off')).toBeVisible();
  await page.getByLabel('Book billable time in invoicing only once approved').check();
  await page.getByLabel('From').fill('2026-12-01');
  await page.getByLabel('To').fill('2026-12-31');
  await expect(page.getByText('Approval is off')).toHaveCount(0);
  const row = page.getByRole('row', { name: /Deep work/ });
  await expect(row).toContainText('Ada Owner');
  await expect(row).toContainText('10:15–11:45');
  await expect(row).toContainText('1:30');
  await checkScreen(page, 'approvals');
  await row.getByRole('button', { name: 'Approve Deep work' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Approved 1 block.' })).toBeVisible();
  await expect(page.getByText('Nothing waiting for review in this range.')).toBeVisible();
  const settings = (await callApi(page, 'GET', `/api/v1/organizations/${orgId(page)}`)) as {
    settings: { require_approval?: boolean };
  };
  expect(settings.settings.require_approval).toBe(true);
  await page.getByRole('link', { name: 'Planner' }).click();
  await page.goto(`${new URL(page.url()).pathname}?week=${TUESDAY}`);
  await expect(
    page.getByRole('button', { name: /Deep work 10:15–11:45, .*Approved/ }),
  ).toBeVisible();

  await page.getByRole('link', { name: 'Reports' }).click();
  await page.getByLabel('From').fill('2026-12-01');
  await page.getByLabel('To').fill('2027-01-01');
  await expect(page.getByRole('cell', { name: '1:30' }).first()).toBeVisible();
  await expect(page.locator('tfoot')).toContainText('1:30');
  await checkScreen(page, 'reports');
});

test('a rejected block shows the note to its member; their edit sends it back for review', async ({
  page,
  browser,
}) => {
  // The colleague plans billable time on Wednesday (setup through the API; dragging is above).
  const context = await browser.newContext();
  const member = await context.newPage();
  await signIn(member, colleague.email);
  const org = orgId(member);
  await callApi(member, 'PATCH', '/api/v1/me', { timezone: 'Europe/Amsterdam' });
  const block = (await callApi(member, 'POST', `/api/v1/organizations/${org}/time-blocks`, {
    title: 'Client call',
    start_time: '2026-12-09T09:00:00Z',
    end_time: '2026-12-09T10:00:00Z',
    is_billable: true,
  })) as { id: number };

  await signIn(page, owner.email);
  await page.getByRole('link', { name: 'Approvals' }).click();
  await page.getByLabel('From').fill('2026-12-01');
  await page.getByLabel('To').fill('2026-12-31');
  await page.getByLabel('Member').selectOption({ label: colleague.name });
  const row = page.getByRole('row', { name: /Client call/ });
  await expect(row).toContainText(colleague.name);
  await expect(page.getByRole('row', { name: /Deep work/ })).toHaveCount(0);
  await row.getByRole('button', { name: 'Reject Client call' }).click();
  const dialog = page.getByRole('dialog', { name: 'Reject a block' });
  await dialog.getByLabel('Note for the member').fill('   ');
  await dialog.getByRole('button', { name: 'Reject' }).click();
  await expect(dialog.getByRole('alert')).toContainText('note must be 1 to 2000 characters');
  await dialog.getByLabel('Note for the member').fill('Bill this to the retainer project.');
  await checkScreen(page, 'approvals-reject');
  await dialog.getByRole('button', { name: 'Reject' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByRole('status').filter({ hasText: 'Rejected 1 block.' })).toBeVisible();
  await page.getByLabel('Status').selectOption('rejected');
  await expect(page.getByRole('row', { name: /Client call/ })).toContainText(
    'Bill this to the retainer project.',
  );

  // The member sees the note on the block and in its dialog; renaming it asks for review again.
  await member.goto(`/o/${org}/planner?week=${TUESDAY}`);
  const rejected = member.getByRole('button', {
    name: /Client call 10:00–11:00, .*Rejected: Bill this to the retainer project\./,
  });
  await expect(rejected).toBeVisible();
  await rejected.focus();
  await expect(member.getByRole('tooltip')).toContainText('Rejected: Bill this to the retainer');
  await member.keyboard.press('Enter');
  const edit = member.getByRole('dialog', { name: 'Edit block' });
  await expect(edit).toContainText('Rejected: Bill this to the retainer project.');
  await expect(edit).toContainText('Saving a change sends the block back for approval.');
  await checkScreen(member, 'block-dialog-rejected');
  await edit.getByLabel('Title').fill('Client call (retainer)');
  await edit.getByRole('button', { name: 'Save' }).click();
  await expect(edit).toHaveCount(0);
  await expect(
    member.getByRole('button', { name: /Client call \(retainer\) 10:00–11:00/ }),
  ).not.toHaveAccessibleName(/Rejected/);
  const after = (await callApi(
    member,
    'GET',
    `/api/v1/organizations/${org}/time-blocks/${block.id}`,
  )) as { approval_status: string; rejection_note: string | null };
  expect(after).toMatchObject({ approval_status: 'pending', rejection_note: null });
  await context.close();

  // The open queue picks the member's edit up on its next poll.
  await page.getByLabel('Status').selectOption('pending');
  await expect(page.getByLabel('Select Client call (retainer)')).toBeVisible({ timeout: 20_000 });
  await page.getByLabel('Select Client call (retainer)').check();
  await page.getByRole('button', { name: 'Approve selected (1)' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Approved 1 block.' })).toBeVisible();
  await expect(page.getByText('Nothing waiting for review in this range.')).toBeVisible();
});

test('a viewer sees the week but cannot change it; another organization stays hidden', async ({
  page,
}) => {
  await signIn(page, viewer.email);
  await expect(page.getByText('You can view this week but not change it.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'New block' })).toHaveCount(0);
  await checkScreen(page, 'planner-viewer');

  // A viewer's own new organization; the first one's id must not open it.
  const orgPath = new URL(page.url()).pathname;
  await page.getByLabel('Organization').selectOption({ label: 'New organization…' });
  await page.getByLabel('Organization name').fill(`Vic Co ${run}`);
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page.getByRole('button', { name: 'New block' })).toBeVisible();
  const ownOrgId = Number(new URL(page.url()).pathname.split('/')[2]);
  expect(`/o/${ownOrgId}/planner`).not.toBe(orgPath);
  await page.goto(`/o/${ownOrgId + 1000}/planner`);
  await expect(page.getByText('There is nothing here.')).toBeVisible();
  await checkScreen(page, 'not-found');
  await expect(page.getByText('Deep work')).toHaveCount(0);
});
