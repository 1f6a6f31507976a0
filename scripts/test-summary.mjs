// Prints one "N passed, N failed" line for every test runner's JSON report in a folder (Jest's
// --json, Playwright's json reporter), so CI shows one total for the whole run.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? 'storage/test-results';
let passed = 0;
let failed = 0;
const parts = [];
for (const file of readdirSync(dir)
  .filter((name) => name.endsWith('.json'))
  .sort()) {
  const report = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  let p;
  let f;
  if (report.stats) {
    // Playwright: expected = passed, unexpected = failed, flaky passed on a retry.
    p = report.stats.expected + report.stats.flaky;
    f = report.stats.unexpected;
  } else {
    // Jest (and Vitest's Jest-shaped report): a suite that failed to run counts as a failure.
    p = report.numPassedTests;
    f = report.numFailedTests + (report.numRuntimeErrorTestSuites ?? 0); // Vitest has no such field
  }
  passed += p;
  failed += f;
  parts.push(`${file.replace(/\.json$/, '')}: ${p} passed, ${f} failed`);
}
if (parts.length === 0) failed += 1;
console.log(`\n${parts.join('; ') || 'no test report was written'}`);
console.log(`${passed} passed, ${failed} failed`);
