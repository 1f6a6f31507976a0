import { expect, test } from '@playwright/test';
import { callApi, checkScreen, signUpWithOrganization, yOf } from './support';

test('the spring-forward week has a 23-hour Sunday and blocks land at the right instants', async ({
  page,
}) => {
  // Amsterdam moves from +01:00 to +02:00 at 02:00 on Sunday 28 March 2027.
  const SUNDAY = '2027-03-28';
  const orgId = await signUpWithOrganization(page, 'edge-dst');
  await page.goto(`/o/${orgId}/planner?week=${SUNDAY}`);
  await page.getByLabel('Show all days').check();
  await page.getByLabel('Show 24 hours').check();
  const headers = page.locator('.day-header');
  await expect(headers).toHaveCount(7);
  await expect(page.locator(`.day-header[data-date="${SUNDAY}"]`)).toContainText('23-hour day');
  await expect(page.locator('.day-header .dst')).toHaveCount(1);

  // Drag 10:00–11:00 on the Sunday: after the change, so at +02:00.
  const from = await yOf(page, SUNDAY, 10 * 60 + 5);
  const to = await yOf(page, SUNDAY, 10 * 60 + 55);
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(to.x, to.y, { steps: 8 });
  await page.mouse.up();
  const dialog = page.getByRole('dialog', { name: 'New block' });
  await expect(dialog.getByLabel('Date')).toHaveValue(SUNDAY);
  await expect(dialog.getByLabel('Start')).toHaveValue('10:00');
  await expect(dialog.getByLabel('End', { exact: true })).toHaveValue('11:00');
  await dialog.getByLabel('Title').fill('After the change');
  const created = page.waitForResponse(
    (r) => r.url().endsWith('/time-blocks') && r.request().method() === 'POST',
  );
  await dialog.getByRole('button', { name: 'Save' }).click();
  const afterChange = await (await created).json();
  expect(afterChange.start_time).toBe('2027-03-28T08:00:00.000Z');
  expect(afterChange.end_time).toBe('2027-03-28T09:00:00.000Z');

  // Through the dialog, 01:00–04:00 spans the skipped hour: two real hours, not three.
  await page.getByRole('button', { name: 'New block' }).click();
  const across = page.getByRole('dialog', { name: 'New block' });
  await across.getByLabel('Title').fill('Across the change');
  await across.getByLabel('Date').fill(SUNDAY);
  await across.getByLabel('Start').fill('01:00');
  await across.getByLabel('End', { exact: true }).fill('04:00');
  const spanning = page.waitForResponse(
    (r) => r.url().endsWith('/time-blocks') && r.request().method() === 'POST',
  );
  await across.getByRole('button', { name: 'Save' }).click();
  const body = (await spanning).request().postDataJSON();
  expect(body.start_time).toBe(`${SUNDAY}T01:00:00+01:00`);
  expect(body.end_time).toBe(`${SUNDAY}T04:00:00+02:00`);
  const acrossBlock = await (await spanning).json();
  expect(Date.parse(acrossBlock.end_time) - Date.parse(acrossBlock.start_time)).toBe(2 * 3_600_000);

  // The Saturday before is still at +01:00.
  await page.getByRole('button', { name: 'New block' }).click();
  const saturday = page.getByRole('dialog', { name: 'New block' });
  await saturday.getByLabel('Title').fill('Before the change');
  await saturday.getByLabel('Date').fill('2027-03-27');
  await saturday.getByLabel('Start').fill('10:00');
  await saturday.getByLabel('End', { exact: true }).fill('11:00');
  const before = page.waitForResponse(
    (r) => r.url().endsWith('/time-blocks') && r.request().method() === 'POST',
  );
  await saturday.getByRole('button', { name: 'Save' }).click();
  expect((await (await before).json()).start_time).toBe('2027-03-27T09:00:00.000Z');

  // Each shows at its wall-clock time, in its day's column.
  await page.reload();
  const sunday = page.locator(`.day-column[data-date="${SUNDAY}"]`);
  await expect(sunday.getByRole('button', { name: /After the change 10:00–11:00/ })).toBeVisible();
  await expect(sunday.getByRole('button', { name: /Across the change 01:00–04:00/ })).toBeVisible();
  await expect(
    page
      .locator('.day-column[data-date="2027-03-27"]')
      .getByRole('button', { name: /Before the change 10:00–11:00/ }),
  ).toBeVisible();
  await checkScreen(page, 'planner-dst-week');
});

test('an overlap the organization refuses is rolled back where it happened', async ({ page }) => {
  const TUESDAY = '2026-12-08';
  const orgId = await signUpWithOrganization(page, 'edge-overlap');
  await callApi(page, 'PATCH', `/api/v1/organizations/${orgId}`, {
    settings: { prevent_overlaps: true },
  });
  const blocks = `/api/v1/organizations/${orgId}/time-blocks`;
  await callApi(page, 'POST', blocks, {
    title: 'Standup',
    start_time: `${TUESDAY}T09:00:00+01:00`,
    end_time: `${TUESDAY}T10:00:00+01:00`,
  });
  await callApi(page, 'POST', blocks, {
    title: 'Review',
    start_time: `${TUESDAY}T11:00:00+01:00`,
    end_time: `${TUESDAY}T12:00:00+01:00`,
  });
  await page.goto(`/o/${orgId}/planner?week=${TUESDAY}`);
  const review = page.getByRole('button', { name: /Review 11:00–12:00/ });
  const standup = page.getByRole('button', { name: /Standup 09:00–10:00/ });
  await expect(review).toBeVisible();
  const column = page.locator(`.day-column[data-date="${TUESDAY}"]`);
  // Where the block sits in its day (the page may shift when the error appears above).
  const offset = async () => (await review.boundingBox())!.y - (await column.boundingBox())!.y;
  const home = (await review.boundingBox())!;
  const homeOffset = await offset();

  // Drag Review up 1 h 30 onto Standup: the server refuses (409), the block goes back.
  const refused = page.waitForResponse((r) => r.request().method() === 'PATCH');
  await page.mouse.move(home.x + home.width / 2, home.y + 10);
  await page.mouse.down();
  await page.mouse.move(home.x + home.width / 2, home.y + 10 - 72, { steps: 10 });
  await page.mouse.up();
  const answer = await refused;
  expect(answer.status()).toBe(409);
  expect(answer.request().postDataJSON().start_time).toBe(`${TUESDAY}T09:30:00+01:00`);

  await expect(page.getByRole('alert')).toContainText(
    'The change was not saved and has been undone:',
  );
  await expect(review).toBeVisible();
  await expect.poll(offset).toBe(homeOffset);
  // The block it collided with is marked; the refused one is as it was on the server.
  await expect(standup).toHaveClass(/conflict/);
  await expect(review).not.toHaveClass(/conflict/);
  await checkScreen(page, 'planner-overlap-refused');
  const stored = (await callApi(
    page,
    'GET',
    `${blocks}?from=${TUESDAY}T00:00:00Z&to=2026-12-09T00:00:00Z`,
  )) as {
    data: { title: string; start_time: string }[];
  };
  expect(stored.data.find((b) => b.title === 'Review')?.start_time).toBe(
    '2026-12-08T10:00:00.000Z',
  );
});
