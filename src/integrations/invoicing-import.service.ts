import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { Membership } from '../auth/authenticated-user';
import { Client } from '../clients/client.entity';
import { ConflictError, NotFoundError } from '../common/errors/domain.error';
import { inTransaction, isSqlite } from '../database/transaction';
import {
  InvoicingAccess,
  isTokenRefusal,
  ListOptions,
  ListPage,
  ProviderContact,
  ProviderProject,
} from '../invoicing/invoicing-provider';
import { InvoicingProviders } from '../invoicing/invoicing-providers';
import { Project } from '../projects/project.entity';
import { IntegrationSessions } from './integration-session';
import { Integration } from './integration.entity';
import { providerProblem } from './integration.errors';
import { InvoicingAccounts } from './invoicing-accounts.service';

/** How many records an import created, linked (by name) and changed, per kind. */
export interface ImportCounts {
  created: number;
  linked: number;
  updated: number;
}

export interface ImportResult {
  clients: ImportCounts;
  projects: ImportCounts;
}

export type ImportKind = keyof ImportResult;

/**
 * Called after every listing page: how many records of the kind were read so far, and how many
 * the whole listing has where the provider says (`ListPage.total`).
 */
export type ImportProgress = (kind: ImportKind, listed: number, total: number | null) => void;

/** Who imports, for the audit row: a person, or `scheduler` / `cli` on nobody's behalf. */
export type Importer = { userId: number } | { actor: string };

/**
 * A later import lists what changed since the previous one started, less this much: the
 * provider's clock may lag ours, and re-reading a few unchanged records costs nothing.
 */
export const IMPORT_OVERLAP_MS = 5 * 60_000;

/** A listing page at a time, the records danwel keeps. */
type Lister<T> = (access: InvoicingAccess, options: ListOptions) => Promise<ListPage<T>>;

/**
 * Imports an invoicing account's contacts as clients and its projects as projects
 * (`integration_id`, `external_id`). On the first import a local record of the same name
 * (case-insensitive) is linked rather than duplicated; archived upstream is `is_active=false`.
 * The provider then owns the fields `read_only_fields` lists.
 *
 * After the first import only what changed is asked for where the provider can filter (see
 * `ListOptions.since`), from `last_import_started_at`. Everything is read first, then written in
 * one transaction together with that time, so a failed read changes nothing and the next import
 * starts from the last one that was applied whole (docs/architecture.md, "Invoicing").
 */
@Injectable()
export class InvoicingImport {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly invoicing: InvoicingProviders,
    private readonly sessions: IntegrationSessions,
    private readonly accounts: InvoicingAccounts,
  ) {}

  /** `POST …/integrations/:id/import`: the organization's invoicing integration, now. */
  async import(membership: Membership, integrationId: number): Promise<ImportResult> {
    const integration = await this.accounts.integration(membership, integrationId);
    if (integration.providerAccountId === null) {
      throw new ConflictError(
        'Choose the account to import from first (PATCH provider_account_id).',
      );
    }
    try {
      return await this.run(integration, { userId: membership.userId });
    } catch (error) {
      throw providerProblem(integration.id, error);
    }
  }

  /**
   * Imports one integration on nobody's request (the import job, the CLI); null when there is
   * nothing to import from: it is gone, not an invoicing one, or has no account chosen yet.
   * Provider and token failures are thrown as the provider clients throw them (`InvoicingError`,
   * `ReconnectRequiredError` …), for the caller to retry or report.
   */
  async importIntegration(
    integrationId: number,
    importer: Importer,
    onProgress?: ImportProgress,
  ): Promise<ImportResult | null> {
    const integration = await this.dataSource.manager.findOneBy(Integration, {
      id: integrationId,
    });
    if (
      !integration ||
      integration.providerType !== 'invoicing' ||
      !this.invoicing.has(integration.provider) ||
      integration.providerAccountId === null
    ) {
      return null;
    }
    return this.run(integration, importer, onProgress);
  }

  private async run(
    integration: Integration,
    importer: Importer,
    onProgress?: ImportProgress,
  ): Promise<ImportResult> {
    const provider = this.invoicing.get(integration.provider);
    const started = new Date();
    const previous = integration.lastImportStartedAt;
    const since = previous ? new Date(previous.getTime() - IMPORT_OVERLAP_MS) : null;
    const contacts = await this.everyPage(integration, since, 'clients', onProgress, (a, o) =>
      provider.listContacts(a, o),
    );
    const projects = await this.everyPage(integration, since, 'projects', onProgress, (a, o) =>
      provider.listProjects(a, o),
    );
    return inTransaction(this.dataSource, async (manager) => {
      const current = await this.lockIntegration(manager, integration.id);
      if (!current) throw new NotFoundError('Integration');
      const none = { created: 0, linked: 0, updated: 0 };
      // An import that started later was applied meanwhile (its listing is newer), or the
      // account changed: this listing has nothing to add.
      if (
        current.providerAccountId !== integration.providerAccountId ||
        (current.lastImportStartedAt !== null && current.lastImportStartedAt >= started)
      ) {
        return { clients: { ...none }, projects: { ...none } };
      }
      const clients = await this.upsert(manager, integration, Client, contacts, () => ({}));
      const byExternalId = new Map(
        (await manager.findBy(Client, { integrationId: integration.id })).map((c) => [
          c.externalId,
          c.id,
        ]),
      );
      const projectCounts = await this.upsert(manager, integration, Project, projects, (p) =>
        p.contactExternalId !== null && byExternalId.has(p.contactExternalId)
          ? { clientId: byExternalId.get(p.contactExternalId)! }
          : {},
      );
      await manager.update(Integration, { id: integration.id }, { lastImportStartedAt: started });
      const counts = { clients, projects: projectCounts };
      await this.audit.record(manager, {
        action: 'integration.imported',
        organizationId: integration.organizationId,
        ...('userId' in importer ? { userId: importer.userId } : { userId: null, ...importer }),
        auditable: { type: 'integration', id: integration.id },
        newValues: { ...counts, incremental: since !== null },
      });
      return counts;
    });
  }

  /** The integration row, locked against a concurrent import's write (SQLite writes one at a time). */
  private lockIntegration(manager: EntityManager, id: number): Promise<Integration | null> {
    const query = manager
      .getRepository(Integration)
      .createQueryBuilder('integration')
      .where('integration.id = :id', { id });
    if (!isSqlite(this.dataSource)) query.setLock('pessimistic_write');
    return query.getOne();
  }

  /** Every page of a listing, with one token refresh per page where the provider refused it. */
  private async everyPage<T>(
    integration: Integration,
    since: Date | null,
    kind: ImportKind,
    onProgress: ImportProgress | undefined,
    list: Lister<T>,
  ): Promise<T[]> {
    const session = this.sessions.open(
      integration,
      this.invoicing.get(integration.provider).name,
      'refresh',
    );
    const items: T[] = [];
    let page: string | null = null;
    do {
      const answer: ListPage<T> = await session.call(
        (accessToken) =>
          list({ accessToken, accountId: integration.providerAccountId! }, { since, page }),
        isTokenRefusal,
      );
      items.push(...answer.items);
      onProgress?.(kind, items.length, answer.total);
      page = answer.next;
    } while (page !== null);
    return items;
  }

  /**
   * Creates or updates one row per provider record; a record that changed nothing here is not
   * written (nor counted). Linking by name happens only while the integration has no rows of this
   * kind yet (its first import), and only to local rows.
   */
  private async upsert<E extends Client | Project, T extends ProviderContact | ProviderProject>(
    manager: EntityManager,
    integration: Integration,
    entity: new () => E,
    records: T[],
    extra: (record: T) => { clientId?: number },
  ): Promise<ImportCounts> {
    const organizationId = integration.organizationId;
    const repository = manager.getRepository<Client | Project>(entity);
    const synced = await repository.findBy({ organizationId, integrationId: integration.id });
    const firstImport = synced.length === 0;
    const local = firstImport
      ? await repository.findBy({ organizationId, integrationId: IsNull() })
      : [];
    const counts: ImportCounts = { created: 0, linked: 0, updated: 0 };
    for (const record of records) {
      const values: { name: string; isActive: boolean; clientId?: number } = {
        name: record.name.slice(0, 255),
        isActive: !record.archived,
        ...extra(record),
      };
      const existing = synced.find((row) => row.externalId === record.externalId);
      if (existing) {
        if (!differs(existing, values)) continue;
        await repository.update({ id: existing.id, organizationId }, values);
        counts.updated++;
        continue;
      }
      const namesake = local.find((row) => row.name.toLowerCase() === record.name.toLowerCase());
      if (namesake) {
        local.splice(local.indexOf(namesake), 1);
        await repository.update(
          { id: namesake.id, organizationId },
          { ...values, integrationId: integration.id, externalId: record.externalId },
        );
        counts.linked++;
        continue;
      }
      await repository.save(
        repository.create({
          organizationId,
          integrationId: integration.id,
          externalId: record.externalId,
          ...values,
        }),
      );
      counts.created++;
    }
    return counts;
  }
}

/** Whether writing `values` would change the row. */
function differs(row: Client | Project, values: Record<string, unknown>): boolean {
  return Object.entries(values).some(
    ([key, value]) => (row as unknown as Record<string, unknown>)[key] !== value,
  );
}
