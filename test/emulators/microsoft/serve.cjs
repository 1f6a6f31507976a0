// Runs serve.ts without a build step: TypeScript is compiled on require by @swc/core, which the
// project already has for Jest. Usage: node test/emulators/microsoft/serve.cjs [--port 8443] …
const fs = require('node:fs');
const { transformSync } = require('@swc/core');

require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};

require('./serve.ts')
  .main()
  .catch((error) => {
    console.error(error);
    process.exit(1);
  });
