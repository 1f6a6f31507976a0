import { Injectable, Logger } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { Calendar } from '../calendars/calendar.entity';
import { DomainError } from '../common/errors/domain.error';
import { safeEqual, sha256Hex } from '../common/crypto/tokens';
import { currentTimestamp } from '../database/timestamped.entity';
import { inTransaction } from '../database/transaction';
import { GoogleNotification, graphNotifications } from './push-notification';

/**
 * A Google notification that is not for a live channel of ours: unknown channel, wrong token or
 * expired channel all answer the same bare 404, so a caller learns nothing about which it was.
 */
export class UnknownChannelError extends DomainError {
  constructor() {
    super(404, 'not-found', 'Not Found');
  }
}

/** The columns a notification is checked against. */
type Channel = Pick<Calendar, 'id' | 'pushChannelId' | 'pushSecretHash' | 'pushExpiresAt'>;

/** Graph may batch many notifications; lookups go by this many channel ids. */
const LOOKUP_CHUNK = 500;

/**
 * Push notifications from Google Calendar (watch channels) and Microsoft Graph (subscriptions):
 * a change happened in a calendar danwel pulls. A notification says nothing about what changed,
 * and is not trusted for anything but its timing: an authentic one makes the calendar due
 * (`next_pull_at` = now) so the sync worker pulls it at once, through the provider's API with the
 * member's token. The worst a forged or replayed one could do is cause an early pull.
 *
 * Authentic means: the channel id (Google channel / Graph subscription id) is a calendar's
 * `push_channel_id`, the secret it carries (Google's channel token / Graph's `clientState`)
 * hashes to its `push_secret_hash` (compared in constant time), and the channel has not expired.
 * These routes are public and have no organization: the channel id and its secret are what
 * identify the calendar, so the lookup by channel id is the one unscoped query on `calendars`.
 * Secrets are never logged; notifications are not audited (no user acted).
 */
@Injectable()
export class PushNotificationsService {
  private readonly logger = new Logger('PushNotifications');

  constructor(private readonly dataSource: DataSource) {}

  /** `sync` only confirms the channel; any other state (`exists`, `not_exists`) marks it due. */
  async google(notification: GoogleNotification): Promise<void> {
    const now = currentTimestamp();
    const channels = notification.channelId ? await this.channels([notification.channelId]) : [];
    const authentic = channels.filter((channel) =>
      this.authentic(channel, notification.token, now),
    );
    if (authentic.length === 0) {
      this.logger.debug({
        msg: 'google notification refused',
        known_channel: channels.length > 0,
      });
      throw new UnknownChannelError();
    }
    const calendarIds = authentic.map((channel) => channel.id);
    this.logger.debug({
      msg: 'google notification',
      calendars: calendarIds,
      state: notification.resourceState,
      message_number: notification.messageNumber,
    });
    if (notification.resourceState === 'sync') return;
    await this.markDue(calendarIds, now);
  }

  /**
   * Every authentic notification marks its calendar due; the others are ignored (and counted in
   * a debug log). The answer is the same either way, so it reveals nothing.
   */
  async graph(body: unknown): Promise<void> {
    const notifications = graphNotifications(body);
    const now = currentTimestamp();
    const byChannel = new Map<string, Channel[]>();
    for (const channel of await this.channels(notifications.map((n) => n.subscriptionId))) {
      byChannel.set(channel.pushChannelId!, [
        ...(byChannel.get(channel.pushChannelId!) ?? []),
        channel,
      ]);
    }
    const due = new Set<number>();
    let ignored = 0;
    for (const notification of notifications) {
      const matching = (byChannel.get(notification.subscriptionId) ?? []).filter((channel) =>
        this.authentic(channel, notification.clientState, now),
      );
      if (matching.length === 0) ignored += 1;
      for (const channel of matching) due.add(channel.id);
    }
    if (due.size > 0) await this.markDue([...due], now);
    this.logger.debug({
      msg: 'graph notifications',
      received: notifications.length,
      ignored,
      calendars: [...due],
    });
  }

  /** The secret hashes to the stored digest (constant-time compare) and the channel is live. */
  private authentic(channel: Channel, secret: string | null, now: Date): boolean {
    if (secret === null || channel.pushSecretHash === null) return false;
    if (!safeEqual(sha256Hex(secret), channel.pushSecretHash)) return false;
    return channel.pushExpiresAt === null || channel.pushExpiresAt.getTime() > now.getTime();
  }

  private async channels(channelIds: string[]): Promise<Channel[]> {
    const ids = [...new Set(channelIds)];
    const found: Channel[] = [];
    for (let i = 0; i < ids.length; i += LOOKUP_CHUNK) {
      found.push(
        ...(await this.dataSource.getRepository(Calendar).find({
          select: { id: true, pushChannelId: true, pushSecretHash: true, pushExpiresAt: true },
          where: { pushChannelId: In(ids.slice(i, i + LOOKUP_CHUNK)) },
        })),
      );
    }
    return found;
  }

  /**
   * `next_pull_at` = now, unless the calendar is already due: a burst of notifications writes
   * once. Sync bookkeeping, like the worker's own writes: `updated_at` stays.
   */
  private markDue(calendarIds: number[], now: Date): Promise<void> {
    return inTransaction(this.dataSource, async (manager) => {
      await manager
        .createQueryBuilder()
        .update(Calendar)
        .set({ nextPullAt: now })
        .where({ id: In(calendarIds) })
        .andWhere('(next_pull_at IS NULL OR next_pull_at > :now)', { now })
        .execute();
    });
  }
}
