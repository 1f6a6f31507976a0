import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateAppKey, parseAppKey } from '../config/app-key';
import { CliError, Output, writeLine } from './output';

export interface KeyGenerateOptions {
  /** Print a fresh key and touch no file. */
  show?: boolean;
  /** Replace an APP_KEY that is already set. */
  force?: boolean;
  /** Succeed quietly when a valid key is already set (for setup scripts). */
  ifMissing?: boolean;
}

export interface KeyGenerateResult {
  /** The key now in effect in .env (or printed, with --show); null when left unchanged. */
  key: string | null;
  written: boolean;
}

// `APP_KEY=…`, optionally `export`ed; `m` so it matches one line of the file.
const APP_KEY_LINE = /^([ \t]*(?:export[ \t]+)?APP_KEY[ \t]*=)(.*)$/gm;

/**
 * `key:generate`: Laravel's command. Writes `APP_KEY=base64:…` into `<dir>/.env`, creating .env
 * from .env.example first when it is missing. Never runs config validation: its job is to make
 * an invalid configuration valid.
 */
export async function keyGenerate(
  dir: string,
  out: Output,
  options: KeyGenerateOptions = {},
): Promise<KeyGenerateResult> {
  const key = generateAppKey();
  if (options.show) {
    writeLine(out, key);
    return { key, written: false };
  }

  const envPath = join(dir, '.env');
  if (await createFromExample(dir)) writeLine(out, 'Created .env from .env.example');
  const contents = (await readOrNull(envPath)) ?? '';

  const current = currentKey(contents);
  // A value that does not parse cannot have encrypted anything (the app refuses to boot with it),
  // so --if-missing may replace it; a valid key guards data and needs --force.
  const valid = current !== '' && typeof parseAppKey(current) !== 'string';
  if (current) {
    if (valid && options.ifMissing && !options.force) {
      writeLine(out, 'APP_KEY is already set in .env; left unchanged.');
      return { key: null, written: false };
    }
    if (valid && !options.force) {
      throw new CliError(
        'APP_KEY is already set in .env; use --force to replace it (then add the old key to ' +
          'APP_PREVIOUS_KEYS, or data encrypted under it can no longer be read).',
      );
    }
    if (!valid && !options.force && !options.ifMissing) {
      throw new CliError(
        'APP_KEY in .env is not a valid key; use --force or --if-missing to replace it.',
      );
    }
  }

  // The mode applies only when the file is new; an existing .env keeps the owner's choice.
  await writeFile(envPath, withKey(contents, key), { mode: 0o600 });
  writeLine(out, 'Generated APP_KEY in .env');
  if (valid) {
    writeLine(
      out,
      'The previous key was replaced: add it to APP_PREVIOUS_KEYS if data was encrypted under it.',
    );
  }
  return { key, written: true };
}

/** Copies .env.example to .env unless .env exists; false when nothing was copied. */
async function createFromExample(dir: string): Promise<boolean> {
  const example = await readOrNull(join(dir, '.env.example'));
  if (example === null) return false;
  try {
    // `wx`: never overwrite an .env that exists; 0600 because it is about to hold a secret
    // (a plain copy would inherit the example's world-readable mode).
    await writeFile(join(dir, '.env'), example, { flag: 'wx', mode: 0o600 });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

async function readOrNull(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** The APP_KEY value as dotenv would read it (last assignment wins; quotes and comments off). */
function currentKey(contents: string): string {
  const matches = [...contents.matchAll(APP_KEY_LINE)];
  const raw = matches.at(-1)?.[2].trim() ?? '';
  const quoted = /^(["'`])(.*)\1$/.exec(raw);
  if (quoted) return quoted[2].trim();
  return raw.replace(/\s+#.*$/, '').trim();
}

function withKey(contents: string, key: string): string {
  if (contents.match(APP_KEY_LINE)) {
    return contents.replace(APP_KEY_LINE, (_line, prefix) => `${prefix}${key}`);
  }
  const separator = contents === '' || contents.endsWith('\n') ? '' : '\n';
  return `${contents}${separator}APP_KEY=${key}\n`;
}
