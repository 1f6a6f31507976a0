import { INestApplicationContext } from '@nestjs/common';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { createAppContext } from '../bootstrap';
import { createLogger } from '../common/logging/logger';
import { AppConfig } from '../config';
import { InvoicingImport } from '../integrations/invoicing-import.service';
import { dataSourceOptions } from '../database/data-source-options';
import { DEFAULT_DEMO_BLOCKS, dbSeed } from './db-seed.command';
import { keyGenerate } from './key-generate.command';
import { invoicingImport } from './invoicing-import.command';
import { DEFAULT_ROTATE_BATCH_SIZE, keyRotate } from './key-rotate.command';
import { migrateRollback } from './migrate-rollback.command';
import { migrateStatus } from './migrate-status.command';
import { migrate } from './migrate.command';
import { syncStatus } from './sync-status.command';
import { CliError, describeError, Output, writeLine } from './output';

export interface CliDependencies {
  /** Where key:generate finds .env and .env.example. */
  cwd: string;
  stdout: Output;
  stderr: Output;
  /** Progress bars draw here; cli-progress draws nothing when it is not a TTY. */
  progress?: NodeJS.WritableStream;
  /** Loads the validated configuration. Called only by commands that need it. */
  loadConfig: () => AppConfig;
  /** Opens the database; defaults to a plain TypeORM DataSource (no Nest app needed). */
  openDataSource?: (config: AppConfig) => Promise<DataSource>;
  /** Boots the application's modules without HTTP or workers, for commands that need its services. */
  openAppContext?: (config: AppConfig) => Promise<INestApplicationContext>;
}

/**
 * Parses `argv` (the arguments after the script name) and runs one command. Resolves to the
 * process exit code instead of exiting, and closes the DataSource it opened either way, so tests
 * can drive the real command wiring in-process.
 */
export async function runCli(argv: string[], deps: CliDependencies): Promise<number> {
  let dataSource: DataSource | undefined;
  const database = async (): Promise<DataSource> => {
    dataSource ??= await (deps.openDataSource ?? openPlainDataSource)(deps.loadConfig());
    return dataSource;
  };
  let context: INestApplicationContext | undefined;
  const application = async (): Promise<INestApplicationContext> => {
    context ??= await (deps.openAppContext ?? openQuietAppContext)(deps.loadConfig());
    return context;
  };
  const program = buildProgram(deps, database, application);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    // Commander has already printed its own message (and help) for usage errors and --help.
    if (error instanceof CommanderError) return error.exitCode;
    writeLine(deps.stderr, `Error: ${describeError(error)}`);
    if (program.opts().verbose) writeLine(deps.stderr, verboseDetails(error));
    return 1;
  } finally {
    await context?.close().catch((error: unknown) => {
      writeLine(deps.stderr, `Warning: closing the application failed: ${describeError(error)}`);
    });
    if (dataSource?.isInitialized) {
      await dataSource.destroy().catch((error: unknown) => {
        writeLine(deps.stderr, `Warning: closing the database failed: ${describeError(error)}`);
      });
    }
  }
}

function buildProgram(
  deps: CliDependencies,
  database: () => Promise<DataSource>,
  application: () => Promise<INestApplicationContext>,
): Command {
  const program = new Command('danwel')
    .usage('<command> [options]')
    .description('danwel administration commands (run as `npm run cli -- <command>`)')
    .option('--verbose', 'print stack traces on failure')
    .exitOverride()
    .showHelpAfterError()
    .configureOutput({
      writeOut: (text) => deps.stdout.write(text),
      writeErr: (text) => deps.stderr.write(text),
    });

  program
    .command('migrate')
    .description('Run the pending database migrations, each in its own transaction')
    .action(async () => {
      await migrate(await database(), deps.stdout);
    });

  program
    .command('migrate:rollback')
    .description('Undo the most recently applied migrations')
    .option('--steps <n>', 'how many migrations to undo', positiveInteger, 1)
    .action(async (options: { steps: number }) => {
      await migrateRollback(await database(), deps.stdout, options);
    });

  program
    .command('migrate:status')
    .description('List every migration as applied or pending')
    .action(async () => {
      await migrateStatus(await database(), deps.stdout);
    });

  program
    .command('key:generate')
    .description('Generate APP_KEY (base64: 32 random bytes) and write it into .env')
    .option('--show', 'print a new key instead of writing .env')
    .option('--force', 'replace an APP_KEY that is already set')
    .option('--if-missing', 'do nothing when a valid APP_KEY is already set')
    // Deliberately never loads the configuration: it is what makes an invalid one valid.
    .action(async (options: { show?: boolean; force?: boolean; ifMissing?: boolean }) => {
      await keyGenerate(deps.cwd, deps.stdout, options);
    });

  program
    .command('key:rotate')
    .description(
      'Re-encrypt every stored secret (OAuth tokens, PKCE verifiers, job payloads) under the ' +
        'current APP_KEY, reading old values with APP_PREVIOUS_KEYS',
    )
    .option('--batch-size <n>', 'rows per transaction', positiveInteger, DEFAULT_ROTATE_BATCH_SIZE)
    .action(async (options: { batchSize: number }) => {
      const config = deps.loadConfig();
      await keyRotate(
        await database(),
        { appKey: config.appKey, previousKeys: config.previousKeys },
        deps.stdout,
        options,
      );
    });

  program
    .command('sync:status')
    .description(
      'Show each calendar integration: health, pending and failed blocks, next attempt, lease ' +
        '(GET /metrics exports the same counts as danwel_sync_pending_blocks and _failed_blocks)',
    )
    .option('--json', 'print the same as JSON')
    .action(async (options: { json?: boolean }) => {
      await syncStatus(await database(), deps.stdout, options);
    });

  program
    .command('invoicing:import')
    .argument('[integration-id]', 'the invoicing integration to import', positiveInteger)
    .description(
      'Import contacts and projects of an invoicing integration now (incremental after the ' +
        'first import), with progress on stderr',
    )
    .option('--all', 'import every active invoicing integration that has an account chosen')
    .action(async (integrationId: number | undefined, options: { all?: boolean }) => {
      const context = await application();
      await invoicingImport(
        { dataSource: context.get(DataSource), importer: context.get(InvoicingImport) },
        integrationId,
        deps.stdout,
        { all: options.all, progress: deps.progress },
      );
    });

  program
    .command('db:seed')
    .description(
      'Create the demo organization "Acme Studio" with people, clients, projects and time blocks',
    )
    .option(
      '--blocks <n>',
      'how many time blocks to create',
      nonNegativeInteger,
      DEFAULT_DEMO_BLOCKS,
    )
    .option('--fresh', 'delete the demo organization and demo users first')
    .action(async (options: { blocks: number; fresh?: boolean }) => {
      await dbSeed(await database(), deps.stdout, { ...options, progress: deps.progress });
    });

  return program;
}

async function openPlainDataSource(config: AppConfig): Promise<DataSource> {
  // Migrations and seeding may run long statements: no query timeout here.
  return new DataSource(dataSourceOptions({ ...config.database, queryTimeoutMs: 0 })).initialize();
}

/**
 * The whole application without HTTP or workers: the import needs the provider clients, the
 * token vault and the integration sessions exactly as the worker wires them, and assembling a
 * subset here would be a second wiring to keep in step. It logs warnings only, to stderr, so
 * stdout stays the command's result and boot chatter does not break up the progress bar.
 */
function openQuietAppContext(config: AppConfig): Promise<INestApplicationContext> {
  const quiet = ['silent', 'fatal', 'error'].includes(config.logLevel);
  const level = quiet ? config.logLevel : 'warn';
  return createAppContext(
    config,
    { runWorker: false },
    createLogger(level, 'danwel', pino.destination({ dest: 2, sync: true })),
  );
}

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1)
    throw new InvalidArgumentError('Must be a positive integer.');
  return parsed;
}

function nonNegativeInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0)
    throw new InvalidArgumentError('Must be a whole number ≥ 0.');
  return parsed;
}

/**
 * The stack for --verbose. An expected failure (CliError) has no useful stack of its own; the
 * error it wraps, if any, does.
 */
function verboseDetails(error: unknown): string {
  const source = error instanceof CliError && error.cause !== undefined ? error.cause : error;
  return source instanceof Error ? (source.stack ?? source.message) : String(source);
}
