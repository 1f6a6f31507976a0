import { Presets, SingleBar } from 'cli-progress';
import { DataSource } from 'typeorm';
import { Integration } from '../integrations/integration.entity';
import { workingInvoicingIntegrations } from '../integrations/invoicing-integrations';
import {
  ImportKind,
  ImportProgress,
  ImportResult,
  InvoicingImport,
} from '../integrations/invoicing-import.service';
import { CliError, describeError, Output, writeLine } from './output';
import { renderTable } from './table';

/** What `invoicing:import` needs from the application context. */
export interface InvoicingImportServices {
  dataSource: DataSource;
  importer: InvoicingImport;
}

export interface InvoicingImportOptions {
  all?: boolean;
  /** Where progress goes: a bar when it is a TTY, a plain line per listing page otherwise. */
  progress?: Output;
}

export interface IntegrationImportOutcome {
  integrationId: number;
  result: ImportResult | null;
  error: string | null;
}

/**
 * `invoicing:import <id>` / `--all`: imports contacts and projects now, as the hourly job does.
 * With `--all` every workable integration is imported even when one fails; the command fails
 * (exit 1) if any did, after printing what the others imported.
 */
export async function invoicingImport(
  services: InvoicingImportServices,
  integrationId: number | undefined,
  out: Output,
  options: InvoicingImportOptions = {},
): Promise<IntegrationImportOutcome[]> {
  if (Boolean(options.all) === (integrationId !== undefined)) {
    throw new CliError('Name one integration id, or pass --all.');
  }
  const ids =
    integrationId !== undefined
      ? [await importable(services.dataSource, integrationId)]
      : (await workingInvoicingIntegrations(services.dataSource.manager)).map((i) => i.id);
  if (ids.length === 0) {
    writeLine(out, 'No invoicing integrations to import.');
    return [];
  }

  const outcomes: IntegrationImportOutcome[] = [];
  for (const id of ids) {
    const progress = new ImportProgressDisplay(id, options.progress);
    try {
      const result = await services.importer.importIntegration(
        id,
        { actor: 'cli' },
        progress.update,
      );
      progress.stop();
      outcomes.push({ integrationId: id, result, error: null });
      writeLine(out, describeResult(id, result));
    } catch (error) {
      progress.stop();
      // One integration: the failure is the command's. Several: report it and go on.
      if (integrationId !== undefined) {
        throw new CliError(`Integration ${id}: ${describeError(error)}`, { cause: error });
      }
      outcomes.push({ integrationId: id, result: null, error: describeError(error) });
      writeLine(out, `Integration ${id}: failed: ${describeError(error)}`);
    }
  }
  const failed = outcomes.filter((outcome) => outcome.error !== null);
  if (failed.length > 0) {
    throw new CliError(
      `${failed.length} of ${outcomes.length} imports failed (integrations ${failed
        .map((outcome) => outcome.integrationId)
        .join(', ')}).`,
    );
  }
  return outcomes;
}

/** The id, if it names an invoicing integration that can be imported; else why not. */
async function importable(dataSource: DataSource, id: number): Promise<number> {
  const integration = await dataSource.manager.findOneBy(Integration, { id });
  if (!integration) throw new CliError(`No integration with id ${id}.`);
  if (integration.providerType !== 'invoicing') {
    throw new CliError(
      `Integration ${id} is a ${integration.providerType} integration, not invoicing.`,
    );
  }
  if (integration.providerAccountId === null) {
    throw new CliError(
      `Integration ${id} has no account chosen yet (PATCH …/integrations/${id} provider_account_id).`,
    );
  }
  return id;
}

function describeResult(id: number, result: ImportResult | null): string {
  if (result === null) return `Integration ${id}: nothing to import (disconnected meanwhile).`;
  const rows = (['clients', 'projects'] as const).map((kind) => [
    kind,
    String(result[kind].created),
    String(result[kind].linked),
    String(result[kind].updated),
  ]);
  return `Integration ${id}:\n${renderTable(['Kind', 'Created', 'Linked', 'Updated'], rows)}`;
}

/**
 * Listing progress for one integration, one kind after the other. A terminal gets a redrawn bar
 * (a count alone where the provider does not say how many there are); a log or pipe gets a line
 * per page, which stays readable when captured.
 */
class ImportProgressDisplay {
  private bar: SingleBar | null = null;
  private kind: ImportKind | null = null;

  constructor(
    private readonly integrationId: number,
    private readonly stream: Output | undefined,
  ) {}

  readonly update: ImportProgress = (kind, listed, total) => {
    if (!this.stream) return;
    if (!(this.stream as { isTTY?: boolean }).isTTY) {
      const of = total === null ? '' : ` of ${total}`;
      writeLine(this.stream, `Integration ${this.integrationId}: ${kind} ${listed}${of} listed`);
      return;
    }
    if (this.kind !== kind) {
      this.stop();
      this.kind = kind;
      this.bar = new SingleBar(
        {
          stream: this.stream,
          format:
            total === null
              ? `Integration ${this.integrationId} ${kind}: {value} listed`
              : `Integration ${this.integrationId} ${kind} [{bar}] {value}/{total}`,
          hideCursor: true,
        },
        Presets.shades_classic,
      );
      this.bar.start(total ?? listed, listed);
      return;
    }
    this.bar!.setTotal(total ?? listed);
    this.bar!.update(listed);
  };

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}
