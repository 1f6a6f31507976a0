import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { Membership } from '../auth/authenticated-user';
import { Client } from '../clients/client.entity';
import { ConflictError } from '../common/errors/domain.error';
import { inTransaction } from '../database/transaction';
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

/** How many records an import created, linked (by name) and updated, per kind. */
export interface ImportCounts {
  created: number;
  linked: number;
  updated: number;
}

/** A listing page at a time, the records danwel keeps. */
type Lister<T> = (access: InvoicingAccess, options: ListOptions) => Promise<ListPage<T>>;

/**
 * Imports an invoicing account's contacts as clients and its projects as projects
 * (`integration_id`, `external_id`). On the first import a local record of the same name
 * (case-insensitive) is linked rather than duplicated; archived upstream is `is_active=false`.
 * The provider then owns the fields `read_only_fields` lists. Everything is read first, then
 * written in one transaction, so a failed read changes nothing.
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

  async import(
    membership: Membership,
    integrationId: number,
  ): Promise<{ clients: ImportCounts; projects: ImportCounts }> {
    const integration = await this.accounts.integration(membership, integrationId);
    if (integration.providerAccountId === null) {
      throw new ConflictError(
        'Choose the account to import from first (PATCH provider_account_id).',
      );
    }
    const provider = this.invoicing.get(integration.provider);
    let contacts: ProviderContact[];
    let projects: ProviderProject[];
    try {
      contacts = await this.everyPage(integration, (a, o) => provider.listContacts(a, o));
      projects = await this.everyPage(integration, (a, o) => provider.listProjects(a, o));
    } catch (error) {
      throw providerProblem(integration.id, error);
    }
    return inTransaction(this.dataSource, async (manager) => {
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
      const counts = { clients: clients, projects: projectCounts };
      await this.audit.record(manager, {
        action: 'integration.imported',
        organizationId: membership.organizationId,
        userId: membership.userId,
        auditable: { type: 'integration', id: integration.id },
        newValues: counts,
      });
      return counts;
    });
  }

  /** Every page of a listing, with one token refresh per page where the provider refused it. */
  private async everyPage<T>(integration: Integration, list: Lister<T>): Promise<T[]> {
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
          list({ accessToken, accountId: integration.providerAccountId! }, { since: null, page }),
        isTokenRefusal,
      );
      items.push(...answer.items);
      page = answer.next;
    } while (page !== null);
    return items;
  }

  /**
   * Creates or updates one row per provider record. Linking by name happens only while the
   * integration has no rows of this kind yet (its first import), and only to local rows.
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
      const values = {
        name: record.name.slice(0, 255),
        isActive: !record.archived,
        ...extra(record),
      };
      const existing = synced.find((row) => row.externalId === record.externalId);
      if (existing) {
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
