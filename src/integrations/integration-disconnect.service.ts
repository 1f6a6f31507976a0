import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager, IsNull, Not } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { Membership } from '../auth/authenticated-user';
import { Calendar } from '../calendars/calendar.entity';
import { Encrypter } from '../common/crypto/encrypter';
import { ConflictError, NotFoundError } from '../common/errors/domain.error';
import { TenantScope } from '../common/tenancy/tenant-scope';
import { APP_CONFIG, AppConfig } from '../config';
import { inTransaction } from '../database/transaction';
import { CalendarOAuthProvider } from '../providers/calendar-provider';
import { InvoicingProviderName, isInvoicingProvider } from '../invoicing/invoicing-provider';
import * as syncState from '../sync/block-sync-state';
import { TimeBlock } from '../time-blocks/time-block.entity';
import { manageableIntegrations } from './integration-access';
import { IntegrationSession, IntegrationSessions } from './integration-session';
import { Integration } from './integration.entity';
import { IntegrationBusyError } from './integration.errors';
import {
  CalendarProviderName,
  IntegrationProviderName,
  IntegrationProviders,
  isCalendarProvider,
  OAuthClient,
  revokeGrant,
} from './integration-providers';
import type { DepartureReason } from './departures';
import { DisconnectEvents } from './disconnect-events';
import { InvoicingWebhookRegistration } from './invoicing-webhook-registration';

/** What a disconnect needs of the organization: its id and the tenant filter. */
export type OrganizationView = Pick<Membership, 'organizationId' | 'scope'>;

/** How long a disconnect waits for a sync worker to hand the integration back. */
const LEASE_WAIT_MS = 5_000;

/**
 * Disconnecting a calendar account (DELETE …/integrations/:id, optionally `remove_events=true`).
 *
 * 1. Take the integration's sync lease, so no sync worker writes to the account meanwhile (a
 *    worker holding it is waited for, briefly; then 409 with Retry-After).
 * 2. With `remove_events`: delete every event danwel created in the account's calendars — of live
 *    and soft-deleted blocks alike — in the provider's batches, refreshing the token once on 401
 *    (`DisconnectEvents`).
 *    If some cannot be deleted, the ones that were are recorded, the lease is released and the
 *    answer is 502: the integration stays, so the user can try again.
 * 3. Revoke the grant at the provider (Google; Microsoft has no revocation endpoint), best effort.
 * 4. One transaction: blocks lose the account's calendars (and event ids) and become `disabled`,
 *    the calendars and the integration row — its tokens with it — are deleted, audit row.
 *
 * Without `remove_events` the events stay in the user's calendar, no longer updated by danwel.
 * An invoicing integration takes the lease, revokes and forgets the grant (`endInvoicing`).
 */
@Injectable()
export class IntegrationDisconnectService {
  private readonly logger = new Logger(IntegrationDisconnectService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly encrypter: Encrypter,
    private readonly providers: IntegrationProviders,
    private readonly sessions: IntegrationSessions,
    private readonly events: DisconnectEvents,
    private readonly webhooks: InvoicingWebhookRegistration,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async disconnect(
    membership: Membership,
    integrationId: number,
    options: { removeEvents: boolean },
  ): Promise<void> {
    const integration = await manageableIntegrations(this.dataSource.manager, membership)
      .andWhere('integration.id = :integrationId', { integrationId })
      .getOne();
    if (!integration) throw new NotFoundError('Integration');
    if (integration.providerType === 'invoicing' && isInvoicingProvider(integration.provider)) {
      await this.endInvoicing(membership, integration, integration.provider);
      return;
    }
    if (!isCalendarProvider(integration.provider)) {
      throw new ConflictError('Only calendar integrations can be disconnected here.');
    }
    await this.end(membership, integration, integration.provider, options, {});
  }

  /**
   * An invoicing integration: under the lease (no sync worker books meanwhile), danwel's webhook
   * is removed and the grant revoked where the provider can, and the integration row with its
   * tokens is deleted. Nothing else in the provider is deleted: entries booked there are the organization's records. Imported
   * clients and projects stay, unlinked (their foreign keys SET NULL).
   */
  private async endInvoicing(
    membership: OrganizationView,
    integration: Integration,
    providerName: InvoicingProviderName,
  ): Promise<void> {
    const session = this.sessions.open(integration, providerName, 'disconnect');
    await this.takeLease(session);
    try {
      // danwel's own webhook only; everything else in the account stays.
      await this.webhooks.remove(integration);
      const revoked = await this.revoke(integration.id, this.providers.oauth(providerName));
      await inTransaction(this.dataSource, async (manager) => {
        if (!(await session.stillHeld(manager))) {
          throw new IntegrationBusyError(this.config.sync.leaseSeconds);
        }
        const organizationId = membership.organizationId;
        await manager.delete(Integration, { id: integration.id, organizationId });
        await this.audit.record(manager, {
          action: 'integration.disconnected',
          organizationId,
          auditable: { type: 'integration', id: integration.id },
          oldValues: {
            provider: integration.provider,
            provider_type: 'invoicing',
            provider_account_id: integration.providerAccountId,
            connected_by: integration.connectedById,
          },
          newValues: { revoked_at_provider: revoked },
        });
      });
    } catch (error) {
      await session.release().catch((failure: unknown) =>
        this.logger.error({
          msg: 'releasing a disconnect lease failed',
          integrationId: integration.id,
          err: failure,
        }),
      );
      throw error;
    }
  }

  /**
   * The account of someone who is no longer a member (or of a deleted organization): the same
   * disconnect, without deleting their events, run by a job (a busy lease makes it retry).
   */
  async disconnectDeparted(
    organizationId: number,
    integrationId: number,
    reason: DepartureReason,
  ): Promise<void> {
    const integration = await this.dataSource.manager.findOneBy(Integration, {
      id: integrationId,
      organizationId,
    });
    if (!integration) return;
    const view = { organizationId, scope: new TenantScope(organizationId) };
    if (!isCalendarProvider(integration.provider)) {
      await inTransaction(this.dataSource, async (manager) => {
        await manager.delete(Integration, { id: integration.id, organizationId });
        await this.audit.record(manager, {
          action: 'integration.disconnected',
          organizationId,
          auditable: { type: 'integration', id: integration.id },
          oldValues: { provider: integration.provider, connected_by: integration.connectedById },
          newValues: { reason },
        });
      });
      return;
    }
    await this.end(view, integration, integration.provider, { removeEvents: false }, { reason });
  }

  /** Lease, events (optionally), push channels, grant, then the local half; the lease is ours. */
  private async end(
    membership: OrganizationView,
    integration: Integration,
    providerName: CalendarProviderName,
    options: { removeEvents: boolean },
    details: { reason?: DepartureReason },
  ): Promise<void> {
    const provider = this.providers.get(providerName);
    const session = this.sessions.open(integration, providerName, 'disconnect');
    await this.takeLease(session);

    try {
      const eventsRemoved = options.removeEvents
        ? await this.events.removeAll(membership, integration, provider.events(), session)
        : 0;
      await this.stopPushChannels(session, provider);
      const revoked = await this.revoke(integration.id, provider);
      await inTransaction(this.dataSource, (manager) =>
        this.forget(manager, membership, integration, session, {
          remove_events: options.removeEvents,
          events_removed: eventsRemoved,
          revoked_at_provider: revoked,
          ...details,
        }),
      );
    } catch (error) {
      await session.release().catch((failure: unknown) =>
        this.logger.error({
          msg: 'releasing a disconnect lease failed',
          integrationId: integration.id,
          err: failure,
        }),
      );
      throw error;
    }
  }

  /**
   * Takes the integration's lease, waiting up to LEASE_WAIT_MS for a sync worker to finish its
   * batch and hand it back; then 409 with the time the holder still has.
   */
  private async takeLease(session: IntegrationSession<IntegrationProviderName>): Promise<void> {
    if (await session.acquire(LEASE_WAIT_MS)) return;
    const row = await this.dataSource.manager.findOneBy(Integration, {
      id: session.integrationId,
    });
    if (!row) throw new NotFoundError('Integration');
    const expiresAt = row.syncLeaseExpiresAt?.getTime() ?? Date.now();
    throw new IntegrationBusyError((expiresAt - Date.now()) / 1000);
  }

  /**
   * Stops the account's push channels (Google watch channels, Graph subscriptions), so that the
   * provider stops calling our webhook. Best effort: a channel left open expires on its own, and
   * its notifications find no calendar.
   */
  private async stopPushChannels(
    session: IntegrationSession,
    provider: CalendarOAuthProvider,
  ): Promise<void> {
    const integrationId = session.integrationId;
    const calendars = await this.dataSource.manager.findBy(Calendar, {
      integrationId,
      pushChannelId: Not(IsNull()),
    });
    if (calendars.length === 0) return;
    try {
      const token = await session.token();
      for (const calendar of calendars) {
        await provider.changes().stopWatch(token, {
          id: calendar.pushChannelId!,
          resourceId: calendar.pushResourceId,
          expiresAt: calendar.pushExpiresAt ?? new Date(),
        });
      }
    } catch (error) {
      this.logger.warn({ msg: 'stopping push channels failed', integrationId, err: error });
    }
  }

  /**
   * Revokes the grant with the current refresh token (else the access token): for Google that ends
   * the grant and every token of it. Best effort: a failure is logged, the disconnect goes on.
   */
  private async revoke(integrationId: number, provider: OAuthClient): Promise<boolean> {
    const row = await this.dataSource.manager.findOneBy(Integration, { id: integrationId });
    if (!row) return false;
    try {
      const token = row.refreshToken
        ? this.encrypter.decrypt(row.refreshToken, {
            column: 'integrations.refresh_token',
            id: row.id,
          })
        : this.encrypter.decrypt(row.accessToken, {
            column: 'integrations.access_token',
            id: row.id,
          });
      const revoked = await revokeGrant(provider, token);
      if (!revoked)
        this.logger.log({ msg: 'the provider did not revoke the grant', integrationId });
      return revoked;
    } catch (error) {
      this.logger.warn({ msg: 'revoking the grant failed', integrationId, err: error });
      return false;
    }
  }

  /**
   * The local half, in one transaction. Blocks are detached explicitly (not through the foreign
   * keys' SET NULL) so their sync state says what happened (`calendarsDetached`), then lose their
   * place on these calendars (`calendar_id`). Then the calendars and the integration (with its
   * tokens) are deleted.
   */
  private async forget(
    manager: EntityManager,
    membership: OrganizationView,
    integration: Integration,
    session: IntegrationSession,
    outcome: {
      remove_events: boolean;
      events_removed: number;
      revoked_at_provider: boolean;
      reason?: DepartureReason;
    },
  ): Promise<void> {
    const organizationId = membership.organizationId;
    // Still ours (a very slow disconnect could have let it expire and a worker take it over).
    if (!(await session.stillHeld(manager))) {
      throw new IntegrationBusyError(this.config.sync.leaseSeconds);
    }
    const calendarIds = (
      await manager.find(Calendar, {
        select: { id: true },
        where: { organizationId, integrationId: integration.id },
      })
    ).map((calendar) => calendar.id);

    let detached = 0;
    if (calendarIds.length > 0) {
      await syncState.calendarsDetached(manager, organizationId, calendarIds);
      const unplaced = await manager
        .createQueryBuilder()
        .update(TimeBlock)
        .set({ calendarId: null })
        .where('organization_id = :organizationId', { organizationId })
        .andWhere('calendar_id IN (:...calendarIds)', { calendarIds })
        .updateEntity(false)
        .execute();
      detached = unplaced.affected ?? 0;
    }
    await manager.delete(Calendar, { organizationId, integrationId: integration.id });
    await manager.delete(Integration, { id: integration.id, organizationId });
    await this.audit.record(manager, {
      action: 'integration.disconnected',
      organizationId,
      auditable: { type: 'integration', id: integration.id },
      oldValues: {
        provider: integration.provider,
        provider_account_email: integration.providerAccountEmail,
        connected_by: integration.connectedById,
        calendars: calendarIds.length,
      },
      newValues: { ...outcome, time_blocks_detached: detached },
    });
  }
}
