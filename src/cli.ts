import 'reflect-metadata';
import { loadConfigOrExit } from './bootstrap';
import { runCli } from './cli/program';

/**
 * The Artisan-style CLI: `npm run cli -- <command>` (after `npm run build`). Commands live in
 * src/cli/; this entry only supplies the real process streams, the working directory and the
 * environment, and turns the result into an exit code.
 */
async function main(): Promise<void> {
  const code = await runCli(process.argv.slice(2), {
    cwd: process.cwd(),
    stdout: process.stdout,
    stderr: process.stderr,
    progress: process.stderr,
    loadConfig: () => loadConfigOrExit(process.env),
  });
  // Exit explicitly: a driver pool or timer left behind must not keep the process alive.
  process.exit(code);
}

void main();
