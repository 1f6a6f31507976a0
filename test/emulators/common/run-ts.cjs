// Runs an emulator entry written in TypeScript without a build step: .ts files are compiled on
// require by @swc/core (already installed for Jest). The entry's exported `main(argv)` is called.
//   node test/emulators/common/run-ts.cjs test/emulators/google/serve.ts --port 8085
const fs = require('node:fs');
const path = require('node:path');
const { transformSync } = require('@swc/core');

require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node test/emulators/common/run-ts.cjs <entry.ts> [args…]');
  process.exit(2);
}
Promise.resolve(require(path.resolve(entry)).main(args)).catch((error) => {
  console.error(error);
  process.exit(1);
});
