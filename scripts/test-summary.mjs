// Prints one "N passed, N failed" line for every test runner's JSON report in a folder (Jest's
// --json, Playwright's json reporter), so CI shows one total for the whole run.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Playwright: `expected` passed, `unexpected` failed, `flaky` failed first and passed on a retry
 * (counted as passed, and shown). Errors outside any test (the web server did not start, a spec
 * file did not load) fail the run even though no test counted them.
 */
function playwright(report) {
  const { expected, unexpected, flaky, skipped } = report.stats;
  return { p: expected + flaky, f: unexpected + (report.errors?.length ?? 0), flaky, skipped };
}

/** Jest (and Vitest's Jest-shaped report): a suite that failed to run counts as a failure. */
function jestShaped(report) {
  // Vitest has no numRuntimeErrorTestSuites.
  const f = report.numFailedTests + (report.numRuntimeErrorTestSuites ?? 0);
  return { p: report.numPassedTests, f, flaky: 0, skipped: report.numPendingTests ?? 0 };
}

const dir = process.argv[2] ?? 'storage/test-results';
let passed = 0;
let failed = 0;
const parts = [];
for (const file of readdirSync(dir)
  .filter((name) => name.endsWith('.json'))
  .sort()) {
  const report = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  const { p, f, flaky, skipped } =
    report.suites && report.stats ? playwright(report) : jestShaped(report);
  passed += p;
  failed += f;
  const retried = flaky ? ` (${flaky} flaky: passed on a retry)` : '';
  const notRun = skipped ? `, ${skipped} did not run` : '';
  parts.push(`${file.replace(/\.json$/, '')}: ${p} passed${retried}, ${f} failed${notRun}`);
}
if (parts.length === 0) failed += 1;
console.log(`\n${parts.join('; ') || 'no test report was written'}`);
console.log(`${passed} passed, ${failed} failed`);
