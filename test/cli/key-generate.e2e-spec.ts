import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keyGenerate } from '../../src/cli/key-generate.command';
import { runCli } from '../../src/cli/program';
import { CliError } from '../../src/cli/output';
import { parseAppKey } from '../../src/config';
import { CapturedOutput } from './capture';

const EXAMPLE = [
  'APP_URL=http://localhost:3000',
  '# 32 random bytes: npm run cli -- key:generate',
  'APP_KEY=',
  'DB_CONNECTION=sqlite',
  '',
].join('\n');

function appKeyIn(dir: string): string | undefined {
  return /^(?:export )?APP_KEY=(.*)$/m.exec(readFileSync(join(dir, '.env'), 'utf8'))?.[1];
}

function expect32Bytes(key: string | undefined): void {
  const parsed = parseAppKey(key ?? '');
  expect(Buffer.isBuffer(parsed)).toBe(true);
  expect((parsed as Buffer).length).toBe(32);
}

describe('key:generate', () => {
  let dir: string;
  let out: CapturedOutput;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'danwel-key-'));
    out = new CapturedOutput();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates .env from .env.example and fills in a 32-byte key', async () => {
    writeFileSync(join(dir, '.env.example'), EXAMPLE);

    const result = await keyGenerate(dir, out);

    const env = readFileSync(join(dir, '.env'), 'utf8');
    expect(env).toBe(EXAMPLE.replace('APP_KEY=', `APP_KEY=${result.key}`));
    expect32Bytes(appKeyIn(dir));
    expect(out.lines).toEqual(['Created .env from .env.example', 'Generated APP_KEY in .env']);
    // The file holds a secret: readable by its owner only.
    expect(statSync(join(dir, '.env')).mode & 0o077).toBe(0);
  });

  it('creates a .env holding only the key when there is no .env.example', async () => {
    const result = await keyGenerate(dir, out);
    expect(readFileSync(join(dir, '.env'), 'utf8')).toBe(`APP_KEY=${result.key}\n`);
  });

  it('appends APP_KEY to an existing .env that lacks one, keeping the other lines', async () => {
    writeFileSync(join(dir, '.env'), 'PORT=4000');
    const result = await keyGenerate(dir, out);
    expect(readFileSync(join(dir, '.env'), 'utf8')).toBe(`PORT=4000\nAPP_KEY=${result.key}\n`);
  });

  it('--if-missing keeps an existing valid key and changes nothing', async () => {
    writeFileSync(join(dir, '.env.example'), EXAMPLE);
    await keyGenerate(dir, new CapturedOutput());
    const before = readFileSync(join(dir, '.env'), 'utf8');

    const result = await keyGenerate(dir, out, { ifMissing: true });

    expect(result).toEqual({ key: null, written: false });
    expect(readFileSync(join(dir, '.env'), 'utf8')).toBe(before);
    expect(out.text).not.toContain('Generated');
  });

  it('--if-missing generates a key when the value is empty or invalid', async () => {
    writeFileSync(join(dir, '.env'), 'APP_KEY=not-a-key\nPORT=4000\n');

    const result = await keyGenerate(dir, out, { ifMissing: true });

    expect(result.written).toBe(true);
    expect(appKeyIn(dir)).toBe(result.key);
    expect32Bytes(appKeyIn(dir));
    expect(readFileSync(join(dir, '.env'), 'utf8')).toContain('PORT=4000\n');
    expect(out.lines).toEqual(['Generated APP_KEY in .env']);
  });

  it('refuses to replace a valid key without --force', async () => {
    await keyGenerate(dir, new CapturedOutput());
    const before = readFileSync(join(dir, '.env'), 'utf8');

    await expect(keyGenerate(dir, out)).rejects.toThrow(CliError);
    await expect(keyGenerate(dir, out)).rejects.toThrow(/--force/);
    expect(readFileSync(join(dir, '.env'), 'utf8')).toBe(before);
  });

  it('--force replaces the key in place', async () => {
    writeFileSync(join(dir, '.env'), 'A=1\nexport APP_KEY="base64:aGVsbG8="\nB=2\n');
    // The quoted value is too short to be a key; --if-missing swaps in a valid one to replace.
    const first = (await keyGenerate(dir, new CapturedOutput(), { ifMissing: true })).key;
    expect(appKeyIn(dir)).toBe(first);

    const result = await keyGenerate(dir, out, { force: true });

    const env = readFileSync(join(dir, '.env'), 'utf8');
    expect(env).toBe(`A=1\nexport APP_KEY=${result.key}\nB=2\n`);
    expect(result.key).not.toBe(first);
    expect32Bytes(result.key ?? undefined);
    expect(out.text).toContain('APP_PREVIOUS_KEYS');
  });

  it('--show prints a key and writes nothing', async () => {
    const result = await keyGenerate(dir, out, { show: true });
    expect(out.lines).toEqual([result.key]);
    expect32Bytes(result.key ?? undefined);
    expect(() => statSync(join(dir, '.env'))).toThrow(/ENOENT/);
  });

  it('runs through the CLI without loading (or needing) a valid configuration', async () => {
    const err = new CapturedOutput();
    const code = await runCli(['key:generate', '--if-missing'], {
      cwd: dir,
      stdout: out,
      stderr: err,
      loadConfig: () => {
        throw new Error('key:generate must not load the configuration');
      },
    });
    expect({ code, err: err.text }).toEqual({ code: 0, err: '' });
    expect32Bytes(appKeyIn(dir));

    const refused = await runCli(['key:generate'], {
      cwd: dir,
      stdout: out,
      stderr: err,
      loadConfig: () => {
        throw new Error('unused');
      },
    });
    expect(refused).toBe(1);
    expect(err.lines).toEqual([
      expect.stringMatching(/^Error: APP_KEY is already set in \.env; use --force/),
    ]);
  });
});
