import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { Calendar } from '../calendars/calendar.entity';
import { sha256Hex } from '../common/crypto/tokens';
import { APP_CONFIG, AppConfig } from '../config';
import { inTransaction } from '../database/transaction';
import { IntegrationPause } from '../integrations/integration-pause';
import { IntegrationSession } from '../integrations/integration-session';
import { Integration } from '../integrations/integration.entity';
import { CalendarProviderName, IntegrationProviders } from '../integrations/integration-providers';
import { backoffSeconds } from '../jobs/backoff';
import {
  CalendarChangesClient,
  ChangePage,
  CursorExpiredError,
  PullFailedError,
  PullWindow,
} from '../providers/calendar-changes';
import { webhookAddress } from '../webhooks/webhook-address';
import { CalendarPull, settledOwnEvents } from './calendar-pull';

/** A push channel is replaced when it has less than this left. */
const CHANNEL_RENEW_MARGIN_MS = 24 * 3600_000;
/** What danwel asks for; Google caps channels at 7 days, Graph event subscriptions near 3 days. */
const CHANNEL_LIFETIME_MS = 7 * 24 * 3600_000;

export const WEBHOOK_PATHS: Record<CalendarProviderName, string> = {
  google_calendar: '/api/v1/webhooks/google-calendar',
  office365: '/api/v1/webhooks/office365',
};

/** Calendars that are pulled: enabled, and read from (`read` or `both`). */
export function isPulled(calendar: Calendar): boolean {
  return (
    calendar.isEnabled === true &&
    (calendar.syncDirection === 'read' || calendar.syncDirection === 'both')
  );
}

/**
 * Pulls the due calendars of an integration whose lease the caller holds: the changes since the
 * stored cursor (a full read when there is none or it expired), applied and the cursor stored in
 * one transaction. When `APP_URL` is public https, each pulled calendar also keeps a push channel
 * (Google watch channel / Graph subscription) so that a change is pulled at once rather than at
 * the next scheduled pull; the schedule stays, so lost notifications only delay a pull.
 */
@Injectable()
export class CalendarPuller {
  private readonly logger = new Logger(CalendarPuller.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly providers: IntegrationProviders,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Pulls every due calendar, and those in `now` whatever their schedule, renewing the session's
   * lease before each; a throttled provider pauses the integration. `pulled` collects the
   * calendars read.
   */
  async pullDue(
    integration: Integration,
    session: IntegrationSession,
    calendars: Map<number, Calendar>,
    pulled: Set<number>,
    now: ReadonlySet<number> = new Set(),
  ): Promise<{ done: number; pause: IntegrationPause | null }> {
    const due = [...calendars.values()].filter(
      (calendar) =>
        isPulled(calendar) &&
        (now.has(calendar.id) || (calendar.nextPullAt?.getTime() ?? 0) <= Date.now()),
    );
    const provider = session.provider;
    const client = this.providers.get(provider).changes();
    let done = 0;
    for (const calendar of due) {
      if (!(await session.renew())) break;
      try {
        const readStartedAt = new Date();
        const window = this.window();
        const knownBeforeRead = new Set(
          (await settledOwnEvents(this.dataSource.manager, calendar.id, window)).map(
            (block) => block.externalCalendarEventId!,
          ),
        );
        const page = await this.read(session, client, calendar, window);
        const nextPullAt = new Date(Date.now() + this.config.sync.pullIntervalSeconds * 1000);
        await inTransaction(this.dataSource, (manager) =>
          new CalendarPull(manager, this.audit, integration, calendar, {
            readStartedAt,
            nextPullAt,
            window,
            knownBeforeRead,
          }).apply(page),
        );
        Object.assign(calendar, { syncCursor: page.nextCursor, nextPullAt });
        pulled.add(calendar.id);
        done += 1;
      } catch (error) {
        if (!(error instanceof PullFailedError)) throw error;
        const { failure } = error;
        if (failure.kind === 'throttled') {
          return {
            done,
            pause: new IntegrationPause(
              `throttled by the provider: ${failure.code}`,
              failure.retryAfterSeconds ?? null,
              true,
            ),
          };
        }
        await this.retryLater(calendar, failure.kind === 'permanent');
        this.logger.warn({
          msg: 'pulling a calendar failed',
          calendar: calendar.id,
          err: error.message,
        });
        continue;
      }
      await this.keepPushChannel(session, client, calendar);
    }
    return { done, pause: null };
  }

  /** The changes since the cursor; a stale cursor means a full read, a 401 one refresh. */
  private async read(
    session: IntegrationSession,
    client: CalendarChangesClient,
    calendar: Calendar,
    window: PullWindow,
  ): Promise<ChangePage> {
    const attempt = (cursor: string | null): Promise<ChangePage> =>
      session.call(
        (token) => client.changes(token, calendar.externalId, cursor, window),
        (error) => error instanceof PullFailedError && error.failure.kind === 'unauthorized',
      );
    try {
      return await attempt(calendar.syncCursor);
    } catch (error) {
      if (!(error instanceof CursorExpiredError) || calendar.syncCursor === null) throw error;
      return attempt(null);
    }
  }

  /** What a full read covers: from `pullWindowPastDays` ago to `pullWindowFutureDays` ahead. */
  private window(): PullWindow {
    const now = Date.now();
    return {
      from: new Date(now - this.config.sync.pullWindowPastDays * 86_400_000),
      to: new Date(now + this.config.sync.pullWindowFutureDays * 86_400_000),
    };
  }

  private async retryLater(calendar: Calendar, permanent: boolean): Promise<void> {
    const delay = permanent
      ? this.config.sync.pullIntervalSeconds
      : backoffSeconds(1, {
          baseSeconds: this.config.sync.backoffBaseSeconds,
          capSeconds: this.config.sync.backoffMaxSeconds,
        });
    calendar.nextPullAt = new Date(Date.now() + delay * 1000);
    await inTransaction(this.dataSource, (manager) =>
      manager.update(Calendar, calendar.id, { nextPullAt: calendar.nextPullAt }),
    );
  }

  /** Creates or renews the calendar's push channel when the app can receive notifications. */
  private async keepPushChannel(
    session: IntegrationSession,
    client: CalendarChangesClient,
    calendar: Calendar,
  ): Promise<void> {
    const address = webhookAddress(this.config.appUrl, WEBHOOK_PATHS[session.provider]);
    if (address === null) return;
    const expires = calendar.pushExpiresAt?.getTime() ?? 0;
    if (calendar.pushChannelId && expires - Date.now() > CHANNEL_RENEW_MARGIN_MS) return;
    const secret = randomBytes(32).toString('base64url');
    try {
      const token = await session.token();
      const channel = await client.watch(
        token,
        calendar.externalId,
        address,
        secret,
        new Date(Date.now() + CHANNEL_LIFETIME_MS),
      );
      const previous = calendar.pushChannelId
        ? {
            id: calendar.pushChannelId,
            resourceId: calendar.pushResourceId,
            expiresAt: calendar.pushExpiresAt ?? new Date(),
          }
        : null;
      const values = {
        pushChannelId: channel.id,
        pushResourceId: channel.resourceId,
        pushSecretHash: sha256Hex(secret),
        pushExpiresAt: channel.expiresAt,
      };
      await inTransaction(this.dataSource, (manager) =>
        manager.update(Calendar, calendar.id, values),
      );
      Object.assign(calendar, values);
      if (previous) await client.stopWatch(token, previous).catch(() => undefined);
    } catch (error) {
      // Pulls keep their schedule; the channel is tried again after the next pull.
      this.logger.warn({
        msg: 'creating a push channel failed',
        calendar: calendar.id,
        err: (error as Error).message,
      });
    }
  }
}
