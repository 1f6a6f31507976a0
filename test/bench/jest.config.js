// `npm run bench`: the benchmarks reuse the e2e harness (real app, SQLite file, throwaway MariaDB),
// so they run under Jest for its TypeScript/ESM transform, one file at a time, outside `npm test`.
const path = require('node:path');
const base = require('../jest.config.js');
const mysql = base.projects.find((project) => project.displayName === 'mysql');

module.exports = {
  rootDir: path.resolve(__dirname, '../..'),
  testTimeout: 600000,
  projects: [
    {
      ...mysql,
      displayName: 'bench',
      testMatch: ['<rootDir>/test/bench/**/*.bench.ts'],
      setupFiles: [],
    },
  ],
};
