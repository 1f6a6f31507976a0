import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { Membership } from '../auth/authenticated-user';
import { can, Permission } from '../auth/permissions';
import { Encrypter } from '../common/crypto/encrypter';
import { generateSecretToken, sha256Hex } from '../common/crypto/tokens';
import { ForbiddenError, NotFoundError } from '../common/errors/domain.error';
import { APP_CONFIG, AppConfig } from '../config';
import { currentTimestamp } from '../database/timestamped.entity';
import { inTransaction } from '../database/transaction';
import { OrganizationMember } from '../organizations/organization-member.entity';
import {
  ConnectedAccount,
  pkcePair,
  ProviderCalendar,
  ProviderError,
} from '../providers/calendar-provider';
import { blocksWithActingCalendar } from '../sync/pending-blocks';
import { Integration, IntegrationProviderType } from './integration.entity';
import { IntegrationBlockCounts } from './integration.presenter';
import { IntegrationProviders, isCalendarProvider } from './integration-providers';
import { OAuthState } from './oauth-state.entity';
import { PendingGrants } from './pending-grants.service';

/** How long a user has to come back from the provider's consent screen. */
export const OAUTH_STATE_TTL_MS = 10 * 60_000;
const STATE_PREFIX = 'st';
/** `st_` + 32 random bytes in base64url: anything else cannot be a state we issued. */
const STATE_SHAPE = /^st_[A-Za-z0-9_-]{43}$/;

export interface CallbackQuery {
  code?: string;
  state?: string;
  error?: string;
}

/**
 * Connecting calendar and invoicing accounts (OAuth authorization code + PKCE) and reading
 * their status.
 *
 * The OAuth `state` is a random 256-bit token, stored only as its SHA-256 digest together with
 * the user, organization, provider, encrypted PKCE verifier and a 10-minute expiry. It is a
 * lookup key, not a self-describing value, so there is nothing to forge and an HMAC signature
 * would add nothing: an unknown state simply finds no row. It binds the callback (which arrives
 * without our bearer token) to the user and organization that started the flow, and is claimed
 * exactly once (`UPDATE … SET used_at WHERE used_at IS NULL` must affect one row). It does not
 * bind the browser, which is why the callback only parks the grant for its starter to confirm.
 */
@Injectable()
export class IntegrationsService {
  private readonly logger = new Logger(IntegrationsService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly encrypter: Encrypter,
    private readonly providers: IntegrationProviders,
    private readonly pendingGrants: PendingGrants,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Starts a connect flow for the caller: a fresh state and the provider's consent URL. */
  async connect(membership: Membership, provider: string): Promise<{ authorize_url: string }> {
    const type = this.providers.typeOf(provider);
    if (type === null) throw new NotFoundError('Provider');
    if (!can(membership.role, CONNECT_PERMISSION[type])) {
      throw new ForbiddenError(
        'Only admins and owners connect the organization’s invoicing system.',
      );
    }
    const state = generateSecretToken(STATE_PREFIX);
    const pkce = pkcePair();
    await inTransaction(this.dataSource, async (manager) => {
      const saved = await manager.save(
        manager.create(OAuthState, {
          stateHash: sha256Hex(state),
          userId: membership.userId,
          organizationId: membership.organizationId,
          provider,
          codeVerifier: null,
          expiresAt: new Date(currentTimestamp().getTime() + OAUTH_STATE_TTL_MS),
          usedAt: null,
        }),
      );
      // The verifier is bound to its row, whose id exists only now.
      const codeVerifier = this.encrypter.encrypt(pkce.verifier, {
        column: 'oauth_states.code_verifier',
        id: saved.id,
      });
      await manager.update(OAuthState, { id: saved.id }, { codeVerifier });
    });
    return {
      authorize_url: this.providers
        .oauth(provider)
        .authorizeUrl({ state, codeChallenge: pkce.challenge }),
    };
  }

  /**
   * The provider's redirect back. Whatever happens, the answer is a redirect to the app with
   * `pending=<reference>` or `error=<code>`; only a valid, unused, unexpired state for this
   * provider whose user may still connect here leads to any write beyond claiming the state, and
   * that write only parks the grant: the browser that came back may be anyone's, so the
   * integration is made when its starter confirms the reference (PendingGrants).
   */
  async callback(provider: string, query: CallbackQuery): Promise<string> {
    try {
      const reference = await this.completeCallback(provider, query);
      return this.appRedirect({ pending: reference });
    } catch (error) {
      if (error instanceof CallbackError) return this.appRedirect({ error: error.code });
      this.logger.warn(`OAuth callback for ${provider} failed: ${(error as Error).message}`);
      return this.appRedirect({ error: 'connect_failed' });
    }
  }

  /** The caller's integrations, or every one in the organization for those who may view all. */
  async list(membership: Membership): Promise<Integration[]> {
    return this.visible(this.dataSource.manager, membership)
      .orderBy('integration.id', 'ASC')
      .getMany();
  }

  async show(
    membership: Membership,
    id: number,
  ): Promise<{ integration: Integration; counts: IntegrationBlockCounts }> {
    const manager = this.dataSource.manager;
    const integration = await this.visible(manager, membership)
      .andWhere('integration.id = :id', { id })
      .getOne();
    if (!integration) throw new NotFoundError('Integration');
    // Counted per acting calendar, like the sync worker: a block whose old event still waits
    // to be deleted from this account counts here (soft-deleted blocks included).
    const rows = await blocksWithActingCalendar(manager)
      .where('block.organizationId = :organizationId', {
        organizationId: membership.organizationId,
      })
      .andWhere('calendar.integrationId = :integrationId', { integrationId: integration.id })
      .andWhere('block.calendarSyncStatus IN (:...statuses)', { statuses: ['pending', 'error'] })
      .select('block.calendarSyncStatus', 'status')
      .addSelect('COUNT(*)', 'count')
      .groupBy('block.calendarSyncStatus')
      .getRawMany<{ status: string; count: number | string }>();
    const count = (status: string) => Number(rows.find((row) => row.status === status)?.count ?? 0);
    return { integration, counts: { pending: count('pending'), error: count('error') } };
  }

  private visible(manager: EntityManager, membership: Membership) {
    const query = membership.scope.query(manager, Integration, 'integration');
    if (!can(membership.role, 'integrations:view:all')) {
      query.andWhere('integration.connectedById = :userId', { userId: membership.userId });
    }
    return query;
  }

  private async completeCallback(provider: string, query: CallbackQuery): Promise<string> {
    const type = this.providers.typeOf(provider);
    if (type === null) throw new CallbackError('unknown_provider');
    const state = await this.claimState(provider, query.state);
    if (query.error) throw new CallbackError(safeCode(query.error));
    if (!query.code) throw new CallbackError('missing_code');

    const membership = await this.dataSource.manager.findOneBy(OrganizationMember, {
      organizationId: state.organizationId,
      userId: state.userId,
    });
    if (!membership || !can(membership.role, CONNECT_PERMISSION[type])) {
      throw new CallbackError('not_allowed');
    }

    let account: ConnectedAccount;
    let calendars: ProviderCalendar[] = [];
    try {
      account = await this.providers.oauth(provider).exchangeCode(
        query.code,
        this.encrypter.decrypt(state.codeVerifier ?? '', {
          column: 'oauth_states.code_verifier',
          id: state.id,
        }),
      );
      // An invoicing account's choice (`provider_account_id`) is made after confirming.
      if (isCalendarProvider(provider)) {
        calendars = await this.providers.get(provider).listCalendars(account.accessToken);
      }
    } catch (error) {
      if (error instanceof ProviderError) throw new CallbackError(safeCode(error.code));
      throw error;
    }
    return this.pendingGrants.park(state, account, calendars);
  }

  /**
   * Claims the state once: the conditional update succeeds for exactly one caller. A state that
   * is unknown, already used, expired or issued for another provider answers `invalid_state`.
   */
  private async claimState(provider: string, state: string | undefined): Promise<OAuthState> {
    if (!state || !STATE_SHAPE.test(state)) throw new CallbackError('invalid_state');
    const stateHash = sha256Hex(state);
    const now = currentTimestamp();
    const claimed = await inTransaction(this.dataSource, async (manager) => {
      const result = await manager.update(
        OAuthState,
        { stateHash, usedAt: IsNull() },
        { usedAt: now },
      );
      return result.affected === 1 ? manager.findOneBy(OAuthState, { stateHash }) : null;
    });
    if (!claimed || claimed.provider !== provider || claimed.expiresAt.getTime() <= now.getTime()) {
      throw new CallbackError('invalid_state');
    }
    return claimed;
  }

  private appRedirect(params: Record<string, string>): string {
    const url = new URL(`${this.config.appUrl.replace(/\/+$/, '')}/integrations`);
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
    return url.toString();
  }
}

/** Who may connect an integration of each type: any member a calendar, admins an invoicing system. */
const CONNECT_PERMISSION: Record<IntegrationProviderType, Permission> = {
  calendar: 'integrations:connect:own',
  invoicing: 'integrations:connect:invoicing',
};

/** An outcome of the callback shown to the user as `?error=<code>`. */
class CallbackError extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

/** Provider error codes are echoed only when they look like codes (`access_denied`). */
function safeCode(code: string): string {
  return /^[a-z0-9_]{1,64}$/i.test(code) ? code.toLowerCase() : 'provider_error';
}
