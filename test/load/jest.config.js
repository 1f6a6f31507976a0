// `npm run test:load`: the built API under many connections on a throwaway MariaDB, outside
// `npm test` (it runs for a minute and wants the machine to itself). Uses the e2e harness's
// MariaDB global setup and TypeScript transform.
const path = require('node:path');
const base = require('../jest.config.js');
const mysql = base.projects.find((project) => project.displayName === 'mysql');

module.exports = {
  rootDir: path.resolve(__dirname, '../..'),
  testTimeout: 600000,
  projects: [
    {
      ...mysql,
      displayName: 'load',
      testMatch: ['<rootDir>/test/load/**/*.load.ts'],
    },
  ],
};
