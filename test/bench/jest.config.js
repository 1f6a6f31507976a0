// `npm run bench`: the benchmarks reuse the e2e harness (real app, SQLite file, throwaway MariaDB),
// so they run under Jest for its TypeScript/ESM transform, one file at a time, outside `npm test`.
const path = require('node:path');
const base = require('../jest.config.js');
const mysql = base.projects.find((project) => project.displayName === 'mysql');

// BENCH_LEGS picks legs by name prefix: `drain` is the worker drain, anything else an API leg.
const legs = process.env.BENCH_LEGS?.split(',').map((leg) => leg.trim());
const files = [
  (!legs || legs.some((leg) => leg !== 'drain')) && 'api-load',
  (!legs || legs.includes('drain')) && 'worker-drain',
].filter(Boolean);

module.exports = {
  rootDir: path.resolve(__dirname, '../..'),
  testTimeout: 600000,
  // The API legs first, then the drain, whatever Jest remembers of earlier durations.
  testSequencer: path.join(__dirname, 'sequencer.js'),
  projects: [
    {
      ...mysql,
      displayName: 'bench',
      testMatch: files.map((file) => `<rootDir>/test/bench/${file}.bench.ts`),
      setupFiles: [],
    },
  ],
};
