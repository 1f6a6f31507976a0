const path = require('node:path');

// Jest runs three projects: unit specs beside the code, and the e2e suite once per database.
// Nest 12 ships ES modules only, so @swc/jest compiles both our TypeScript (with decorator
// metadata, which Nest's dependency injection needs) and those packages to CommonJS for Jest.
const transform = {
  '^.+\\.(t|j)s$': [
    '@swc/jest',
    {
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
        target: 'es2022',
      },
      module: { type: 'commonjs' },
    },
  ],
};
const esmPackages = [
  '@nestjs',
  'uid',
  'file-type',
  'strtok3',
  'token-types',
  '@tokenizer',
  'uint8array-extras',
  'load-esm',
];

const base = {
  rootDir: path.resolve(__dirname, '..'),
  testEnvironment: 'node',
  transform,
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages.join('|')})/)`],
  moduleFileExtensions: ['ts', 'js', 'json'],
  // storage/ holds runtime data and the second Node's copy of the project (scripts/node-leg.sh).
  modulePathIgnorePatterns: ['<rootDir>/storage/'],
};

const e2e = ['<rootDir>/test/**/*.e2e-spec.ts'];

module.exports = {
  rootDir: path.resolve(__dirname, '..'),
  testTimeout: 30000,
  projects: [
    {
      ...base,
      displayName: 'unit',
      testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/migrations/**/*.spec.ts'],
    },
    {
      ...base,
      displayName: 'sqlite',
      testMatch: e2e,
      // The chaos test runs several worker processes sharing a database, the fault specs stop
      // a MariaDB server: MySQL/MariaDB only.
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/chaos/', '<rootDir>/test/faults/'],
      setupFiles: ['<rootDir>/test/support/use-sqlite.ts'],
    },
    {
      ...base,
      displayName: 'mysql',
      testMatch: e2e,
      // The provider emulators' specs and the provider clients' specs use no database: once (in the
      // sqlite project) is enough.
      testPathIgnorePatterns: [
        '/node_modules/',
        '<rootDir>/test/emulators/',
        '<rootDir>/test/providers/',
      ],
      setupFiles: ['<rootDir>/test/support/use-mysql.ts'],
      globalSetup: '<rootDir>/test/support/mariadb-server.setup.ts',
      globalTeardown: '<rootDir>/test/support/mariadb-server.teardown.ts',
    },
  ],
};
