// Budget: the week view with 300 blocks renders and answers a click in at most twice the time
// it takes with 30. Each run loads the planner afresh (no query cache) and times, in the page,
// from navigation start until every block is in the DOM, plus the click on the last block until
// its dialog is open. Medians of RUNS runs, sizes alternating. Prints figures; not a test.
import { expect, test, type Page } from '@playwright/test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { callApi, signUpWithOrganization } from '../e2e/support';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const WEEKS = { 30: '2027-01-04', 300: '2027-01-11' } as const;
const OUT = resolve(dirname(fileURLToPath(import.meta.url)), '../artifacts/bench/week-view.json');

/** `count` 15-minute blocks over the week's five work days, from 08:00 on, in one request. */
async function plan(page: Page, orgId: number, monday: string, count: number) {
  const perDay = count / 5;
  const operations = Array.from({ length: count }, (_, i) => {
    const day = Math.floor(i / perDay);
    const date = new Date(`${monday}T08:00:00+01:00`);
    date.setUTCDate(date.getUTCDate() + day);
    date.setUTCMinutes(date.getUTCMinutes() + (i % perDay) * 15);
    const end = new Date(date.getTime() + 15 * 60_000);
    return {
      op: 'create',
      data: {
        title: `Block ${i + 1}`,
        start_time: date.toISOString(),
        end_time: end.toISOString(),
      },
    };
  });
  await callApi(page, 'POST', `/api/v1/organizations/${orgId}/time-blocks/bulk`, { operations });
}

/** One load of the week: milliseconds until rendered and until the click was answered. */
async function measure(page: Page, orgId: number, count: 30 | 300) {
  await page.goto(`/o/${orgId}/planner?week=${WEEKS[count]}`);
  await expect(page.locator('.block')).toHaveCount(count, { timeout: 60_000 });
  await page.locator('.block').last().click();
  await expect(page.getByRole('dialog', { name: 'Edit block' })).toBeVisible();
  const marks = await page.evaluate(
    () => (window as unknown as { __bench: Record<string, number> }).__bench,
  );
  return { rendered: marks.rendered, interactive: marks.rendered + (marks.opened - marks.clicked) };
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

test('week view with 30 and with 300 blocks', async ({ page }) => {
  const orgId = await signUpWithOrganization(page, 'bench');
  await plan(page, orgId, WEEKS[30], 30);
  await plan(page, orgId, WEEKS[300], 300);
  await page.addInitScript(() => {
    const marks: Record<string, number> = {};
    (window as unknown as { __bench: Record<string, number> }).__bench = marks;
    const expected = () =>
      Number(new URLSearchParams(location.search).get('week') === '2027-01-11' ? 300 : 30);
    const observer = new MutationObserver(() => {
      if (!marks.rendered && document.querySelectorAll('.block').length >= expected()) {
        marks.rendered = performance.now();
      }
      if (marks.clicked && !marks.opened && document.querySelector('dialog[open]')) {
        marks.opened = performance.now();
      }
    });
    document.addEventListener('DOMContentLoaded', () =>
      observer.observe(document.body, { childList: true, subtree: true, attributes: true }),
    );
    document.addEventListener('pointerdown', () => (marks.clicked ??= performance.now()), true);
  });

  await measure(page, orgId, 30); // warm the HTTP cache and the server
  const results = {
    30: [] as { rendered: number; interactive: number }[],
    300: [] as { rendered: number; interactive: number }[],
  };
  for (let run = 0; run < RUNS; run++) {
    for (const count of run % 2 ? ([300, 30] as const) : ([30, 300] as const)) {
      results[count].push(await measure(page, orgId, count));
    }
  }
  const summary = Object.fromEntries(
    ([30, 300] as const).map((count) => [
      count,
      {
        rendered_ms: Math.round(median(results[count].map((r) => r.rendered))),
        interactive_ms: Math.round(median(results[count].map((r) => r.interactive))),
      },
    ]),
  );
  const ratio = summary[300].interactive_ms / summary[30].interactive_ms;
  console.log(`week view, median of ${RUNS} loads each:`);
  for (const count of [30, 300]) {
    console.log(
      `  ${String(count).padStart(3)} blocks: rendered ${summary[count].rendered_ms} ms, interactive ${summary[count].interactive_ms} ms`,
    );
  }
  console.log(`  300/30: ${ratio.toFixed(2)}× (budget ≤ 2×: ${ratio <= 2 ? 'within' : 'OVER'})`);
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, JSON.stringify({ runs: RUNS, ...summary, ratio }, null, 2));
});
