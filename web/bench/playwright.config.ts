// The week view's timing benchmark: the browser specs' server, browser and settings, with the
// benchmark files instead of the specs and no retries or failure screenshots in the way.
import { defineConfig } from '@playwright/test';
import specs from '../e2e/playwright.config';

export default defineConfig({
  ...specs,
  testDir: '.',
  testMatch: /.*\.bench\.ts$/,
  outputDir: '../artifacts/bench-results',
  reporter: [['list']],
  timeout: 300_000,
  retries: 0,
  use: { ...specs.use, screenshot: 'off' },
});
