import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DataSource, EntityManager, IsNull, Not } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { Membership } from '../auth/authenticated-user';
import { applyProviderCalendar, discoveredCalendar } from '../calendars/calendar-blocks';
import { Calendar } from '../calendars/calendar.entity';
import { Encrypter, SecretColumn, SecretPlace } from '../common/crypto/encrypter';
import { generateSecretToken, sha256Hex } from '../common/crypto/tokens';
import { NotFoundError } from '../common/errors/domain.error';
import { currentTimestamp } from '../database/timestamped.entity';
import { inTransaction, isSqlite } from '../database/transaction';
import { JobHandlerRegistry, RetryJobLaterError } from '../jobs/job-handler';
import { JobQueue } from '../jobs/job-queue.service';
import { Organization } from '../organizations/organization.entity';
import { ConnectedAccount, ProviderCalendar } from '../providers/calendar-provider';
import { Integration } from './integration.entity';
import { IntegrationProviders, revokeGrant } from './integration-providers';
import { InvoicingAlreadyConnectedError } from './integration.errors';
import { OAuthState } from './oauth-state.entity';

/** How long the user who started a connect flow has to confirm the grant the callback parked. */
export const PENDING_GRANT_TTL_MS = 10 * 60_000;
const REFERENCE_PREFIX = 'pg';
/** `pg_` + 32 random bytes in base64url: anything else cannot be a reference we issued. */
const REFERENCE_SHAPE = /^pg_[A-Za-z0-9_-]{43}$/;
const EXPIRE_GRANT = 'integration.grant_expiry';

/** What the callback received, kept encrypted on the state row until it is confirmed. */
export interface ParkedGrant {
  account: Omit<ConnectedAccount, 'expiresAt'> & { expiresAt: string | null };
  calendars: ProviderCalendar[];
}

interface ExpireGrantPayload {
  oauth_state_id: number;
}

export interface PendingGrant {
  state: OAuthState;
  grant: ParkedGrant;
}

/**
 * Grants waiting for the person who asked for them (docs/architecture.md, "Connecting an
 * account"). The state binds the callback to the user who called `connect`, but not to the
 * browser that comes back: whoever completes the authorize link is sent to a single-use
 * reference, and only the starter, signed in, can turn it into an integration. A grant nobody
 * confirms is revoked at the provider and deleted by a job once it expires.
 */
@Injectable()
export class PendingGrants implements OnModuleInit {
  private readonly logger = new Logger(PendingGrants.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly encrypter: Encrypter,
    private readonly providers: IntegrationProviders,
    private readonly queue: JobQueue,
    private readonly registry: JobHandlerRegistry,
  ) {}

  onModuleInit(): void {
    this.registry.register<ExpireGrantPayload>(EXPIRE_GRANT, {
      handle: (payload) => this.expire(payload.oauth_state_id),
    });
  }

  /** Parks `grant` on the claimed state, schedules its expiry; answers the new reference. */
  park(state: OAuthState, account: ConnectedAccount, calendars: ProviderCalendar[]) {
    const reference = generateSecretToken(REFERENCE_PREFIX);
    const grant: ParkedGrant = {
      account: { ...account, expiresAt: account.expiresAt?.toISOString() ?? null },
      calendars,
    };
    return inTransaction(this.dataSource, async (manager) => {
      const expiresAt = new Date(currentTimestamp().getTime() + PENDING_GRANT_TTL_MS);
      await manager.update(
        OAuthState,
        { id: state.id },
        {
          parkedGrant: this.encrypter.encrypt(JSON.stringify(grant), parkedGrantOf(state.id)),
          grantReferenceHash: sha256Hex(reference),
          expiresAt,
        },
      );
      await this.queue.enqueue(
        manager,
        EXPIRE_GRANT,
        { oauth_state_id: state.id },
        {
          organizationId: state.organizationId,
          // A second late, so the job never finds the grant a moment short of expiring.
          delaySeconds: PENDING_GRANT_TTL_MS / 1000 + 1,
        },
      );
      return reference;
    });
  }

  /** The caller's unexpired grant behind `reference`, or 404 for anything else. */
  async find(
    membership: Membership,
    reference: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<PendingGrant> {
    if (!REFERENCE_SHAPE.test(reference)) throw new NotFoundError('Pending grant');
    const state = await membership.scope
      .query(manager, OAuthState, 'state')
      .andWhere('state.grantReferenceHash = :hash', { hash: sha256Hex(reference) })
      .andWhere('state.userId = :userId', { userId: membership.userId })
      .andWhere('state.parkedGrant IS NOT NULL')
      .andWhere('state.expiresAt > :now', { now: currentTimestamp() })
      .getOne();
    if (!state || this.providers.typeOf(state.provider) === null) {
      throw new NotFoundError('Pending grant');
    }
    return { state, grant: this.open(state) };
  }

  /**
   * Turns the caller's pending grant into an integration, once: the row is deleted in the same
   * transaction, conditionally, so of two confirmations (or a confirmation and the expiry job)
   * exactly one succeeds.
   */
  confirm(membership: Membership, reference: string): Promise<Integration> {
    return inTransaction(this.dataSource, async (manager) => {
      const { state, grant } = await this.find(membership, reference, manager);
      const claimed = await manager.delete(OAuthState, {
        id: state.id,
        grantReferenceHash: state.grantReferenceHash!,
      });
      if (claimed.affected !== 1) throw new NotFoundError('Pending grant');
      return this.providers.typeOf(state.provider) === 'invoicing'
        ? this.storeInvoicing(manager, state, grant)
        : this.store(manager, state, grant);
    });
  }

  /**
   * The expiry job. First the reference stops working (so no confirmation can race the
   * revocation), then the grant is revoked at the provider where it can be, then the row goes.
   * A rerun after a crash finds the row without a reference and finishes the work.
   */
  private async expire(stateId: number): Promise<void> {
    const state = await this.dataSource.manager.findOneBy(OAuthState, {
      id: stateId,
      parkedGrant: Not(IsNull()),
    });
    if (!state || this.providers.typeOf(state.provider) === null) return;
    if (state.grantReferenceHash !== null) {
      const waitMs = state.expiresAt.getTime() - currentTimestamp().getTime();
      if (waitMs > 0) throw new RetryJobLaterError('the grant has not expired yet', waitMs / 1000);
      const retired = await inTransaction(this.dataSource, (manager) =>
        manager.update(
          OAuthState,
          { id: state.id, grantReferenceHash: state.grantReferenceHash! },
          { grantReferenceHash: null },
        ),
      );
      if (retired.affected !== 1) return; // confirmed meanwhile
    }

    const grant = this.open(state);
    const revoked = await revokeGrant(
      this.providers.oauth(state.provider),
      grant.account.refreshToken ?? grant.account.accessToken,
    );
    if (!revoked) this.logger.log({ msg: 'the provider did not revoke an expired grant', stateId });

    await inTransaction(this.dataSource, async (manager) => {
      const deleted = await manager.delete(OAuthState, {
        id: state.id,
        parkedGrant: Not(IsNull()),
      });
      if (deleted.affected !== 1) return;
      await this.audit.record(manager, {
        action: 'integration.grant_expired',
        organizationId: state.organizationId,
        userId: state.userId,
        newValues: {
          provider: state.provider,
          provider_account_email: grant.account.email,
          revoked_at_provider: revoked,
        },
      });
    });
  }

  private open(state: OAuthState): ParkedGrant {
    return JSON.parse(
      this.encrypter.decrypt(state.parkedGrant!, parkedGrantOf(state.id)),
    ) as ParkedGrant;
  }

  /**
   * Creates the organization's invoicing integration, its account not chosen yet
   * (`PATCH …/integrations/:id`). There is at most one: a second answers 409, except that
   * connecting the same provider again repairs one that needs reconnecting (its account kept).
   * The organization's row is locked first (MySQL), so two confirmations cannot both pass.
   */
  private async storeInvoicing(
    manager: EntityManager,
    state: OAuthState,
    grant: ParkedGrant,
  ): Promise<Integration> {
    const { account } = grant;
    const organizations = manager
      .getRepository(Organization)
      .createQueryBuilder('organization')
      .where('organization.id = :id', { id: state.organizationId });
    if (!isSqlite(this.dataSource)) organizations.setLock('pessimistic_write');
    await organizations.getOne();
    const existing = await manager.findOneBy(Integration, {
      organizationId: state.organizationId,
      providerType: 'invoicing',
    });
    if (existing && !(existing.provider === state.provider && existing.needsReconnect === true)) {
      throw new InvoicingAlreadyConnectedError(existing.id, existing.provider);
    }
    const integration =
      existing ??
      manager.create(Integration, {
        organizationId: state.organizationId,
        connectedById: state.userId,
        provider: state.provider,
        providerType: 'invoicing',
        providerAccountId: null,
      });
    Object.assign(integration, {
      name: integration.name ?? null,
      ...placeholderTokens(account, existing),
      providerAccountEmail: account.email,
      isActive: true,
      needsReconnect: false,
      syncRetryAt: null,
      lastError: null,
      errorCount: 0,
    });
    const saved = await manager.save(integration);
    await this.storeTokens(manager, saved, account);
    await this.audit.record(manager, {
      action: 'integration.connected',
      organizationId: state.organizationId,
      userId: state.userId,
      auditable: { type: 'integration', id: saved.id },
      newValues: {
        provider: state.provider,
        provider_type: 'invoicing',
        provider_account_email: account.email,
        connected_by: state.userId,
        reconnected: existing !== null,
      },
    });
    return saved;
  }

  /**
   * Writes a grant's tokens, encrypted and bound to the saved row; a reconnect without a refresh
   * token keeps ours.
   */
  private async storeTokens(
    manager: EntityManager,
    integration: Integration,
    account: ParkedGrant['account'],
  ): Promise<void> {
    const at = (column: SecretColumn): SecretPlace => ({ column, id: integration.id });
    integration.accessToken = this.encrypter.encrypt(
      account.accessToken,
      at('integrations.access_token'),
    );
    if (account.refreshToken) {
      integration.refreshToken = this.encrypter.encrypt(
        account.refreshToken,
        at('integrations.refresh_token'),
      );
    }
    integration.tokenMetadata = this.encrypter.encrypt(
      JSON.stringify(account.metadata),
      at('integrations.token_metadata'),
    );
    await manager.update(
      Integration,
      { id: integration.id },
      {
        accessToken: integration.accessToken,
        refreshToken: integration.refreshToken,
        tokenMetadata: integration.tokenMetadata,
      },
    );
  }

  /** Creates the integration, or repairs the one of the same account, with its calendars. */
  private async store(
    manager: EntityManager,
    state: OAuthState,
    grant: ParkedGrant,
  ): Promise<Integration> {
    const { account } = grant;
    const existing = account.accountId
      ? await manager.findOneBy(Integration, {
          organizationId: state.organizationId,
          connectedById: state.userId,
          provider: state.provider,
          providerAccountId: account.accountId,
        })
      : null;
    const integration =
      existing ??
      manager.create(Integration, {
        organizationId: state.organizationId,
        connectedById: state.userId,
        provider: state.provider,
        providerType: 'calendar',
      });
    Object.assign(integration, {
      name: account.email,
      ...placeholderTokens(account, existing),
      providerAccountId: account.accountId,
      providerAccountEmail: account.email,
      isActive: true,
      needsReconnect: false,
      syncRetryAt: null,
      lastError: null,
      errorCount: 0,
    });
    const saved = await manager.save(integration);
    await this.storeTokens(manager, saved, account);

    const known = await manager.findBy(Calendar, {
      organizationId: state.organizationId,
      integrationId: saved.id,
    });
    for (const found of grant.calendars) {
      const seen = known.find((row) => row.externalId === found.externalId);
      if (seen) applyProviderCalendar(seen, found);
      await manager.save(
        seen ??
          discoveredCalendar(
            manager,
            { organizationId: state.organizationId, integrationId: saved.id },
            found,
          ),
      );
    }

    await this.audit.record(manager, {
      action: 'integration.connected',
      organizationId: state.organizationId,
      userId: state.userId,
      auditable: { type: 'integration', id: saved.id },
      newValues: {
        provider: state.provider,
        provider_account_email: account.email,
        connected_by: state.userId,
        reconnected: existing !== null,
      },
    });
    return saved;
  }
}

/**
 * The token columns before the row is saved: the tokens are bound to the row id, so a new row is
 * inserted without them and `storeTokens` writes them in the same transaction.
 */
function placeholderTokens(account: ParkedGrant['account'], existing: Integration | null) {
  return {
    accessToken: existing?.accessToken ?? '',
    refreshToken: existing?.refreshToken ?? null,
    tokenMetadata: existing?.tokenMetadata ?? null,
    expiresAt: account.expiresAt ? new Date(account.expiresAt) : null,
  };
}

function parkedGrantOf(stateId: number): SecretPlace {
  return { column: 'oauth_states.parked_grant', id: stateId };
}
