import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { Membership } from '../auth/authenticated-user';
import { generateSecretToken, sha256Hex } from '../common/crypto/tokens';
import { NotFoundError } from '../common/errors/domain.error';
import { TenantScope } from '../common/tenancy/tenant-scope';
import { APP_CONFIG, AppConfig } from '../config';
import { currentTimestamp } from '../database/timestamped.entity';
import { inTransaction, isSqlite } from '../database/transaction';
import { OrganizationMember } from '../organizations/organization-member.entity';
import { TimeBlock } from '../time-blocks/time-block.entity';
import { CalendarFeed } from './calendar-feed.entity';
import { Calendar, CalendarEvent, serializeCalendar } from './ical';

const DAY_MS = 86_400_000;
/** The feed covers blocks overlapping [now − 30 days, now + 180 days). */
export const FEED_WINDOW = { pastDays: 30, futureDays: 180 } as const;
/** Polling calendar apps would turn every read into a write; once a minute is plenty. */
const LAST_ACCESSED_RESOLUTION_MS = 60_000;
const TOKEN_PREFIX = 'cal';
/** `cal_` + 32 random bytes in base64url: anything else cannot be a feed token. */
const TOKEN_SHAPE = /^cal_[A-Za-z0-9_-]{43}$/;

export const PRODID = '-//danwel//danwel//EN';

export interface RenderedFeed {
  body: string;
  /** Weak: the bytes differ per request (DTSTAMP is "now"), the events do not. */
  etag: string;
}

/**
 * Secret iCalendar feeds: one per member of an organization, managed by that member only, read
 * by any calendar app holding the URL. Only the token's SHA-256 digest is stored.
 */
@Injectable()
export class IcalFeedsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The caller's feed in this organization, if there is one. */
  find(membership: Membership): Promise<CalendarFeed | null> {
    return this.ownFeed(this.dataSource.manager, membership).getOne();
  }

  /**
   * Creates the caller's feed, or rotates it: a new token whose URL replaces the old one, which
   * stops working at once. The token is returned here and never again.
   */
  async issue(membership: Membership): Promise<{ url: string; token: string }> {
    return inTransaction(this.dataSource, async (manager) => {
      const token = generateSecretToken(TOKEN_PREFIX);
      const existing = await this.lockOwnFeed(manager, membership);
      if (existing) {
        existing.tokenHash = sha256Hex(token);
        existing.lastAccessedAt = null;
        await manager.save(existing);
        await this.audit.record(manager, {
          action: 'calendar_feed.rotated',
          organizationId: membership.organizationId,
          auditable: { type: 'calendar_feed', id: existing.id },
          newValues: { user_id: existing.userId },
        });
      } else {
        const feed = await manager.save(
          manager.create(CalendarFeed, {
            organizationId: membership.organizationId,
            userId: membership.userId,
            tokenHash: sha256Hex(token),
            lastAccessedAt: null,
          }),
        );
        await this.audit.record(manager, {
          action: 'calendar_feed.created',
          organizationId: membership.organizationId,
          auditable: { type: 'calendar_feed', id: feed.id },
          newValues: { user_id: feed.userId },
        });
      }
      return { url: this.url(token), token };
    });
  }

  /** Deletes the caller's feed (its URL stops working); nothing to delete is fine too. */
  async remove(membership: Membership): Promise<void> {
    await inTransaction(this.dataSource, async (manager) => {
      const feed = await this.lockOwnFeed(manager, membership);
      if (!feed) return;
      await manager.delete(CalendarFeed, { id: feed.id });
      await this.audit.record(manager, {
        action: 'calendar_feed.deleted',
        organizationId: membership.organizationId,
        auditable: { type: 'calendar_feed', id: feed.id },
        oldValues: { user_id: feed.userId },
      });
    });
  }

  /**
   * The calendar behind a token. Unknown and rotated tokens, feeds of people who are no longer
   * members (or who left and came back: the feed predates the current membership), and feeds of
   * deleted organizations all answer 404.
   */
  async render(token: string, now = new Date()): Promise<RenderedFeed> {
    if (!TOKEN_SHAPE.test(token)) throw new NotFoundError('Calendar feed');
    const manager = this.dataSource.manager;
    const feed = await manager.findOneBy(CalendarFeed, { tokenHash: sha256Hex(token) });
    const membership = feed
      ? await manager
          .getRepository(OrganizationMember)
          .createQueryBuilder('membership')
          .innerJoinAndSelect('membership.organization', 'organization')
          .innerJoinAndSelect('membership.user', 'user')
          .where('membership.organizationId = :organizationId', {
            organizationId: feed.organizationId,
          })
          .andWhere('membership.userId = :userId', { userId: feed.userId })
          .andWhere('organization.deletedAt IS NULL')
          .getOne()
      : null;
    if (!feed || !membership?.organization || !membership.user) {
      throw new NotFoundError('Calendar feed');
    }
    if (membership.joinedAt && feed.updatedAt && feed.updatedAt < membership.joinedAt) {
      throw new NotFoundError('Calendar feed');
    }

    await this.touch(feed, now);

    const blocks = await new TenantScope(feed.organizationId)
      .query(manager, TimeBlock, 'block')
      .andWhere('block.userId = :userId', { userId: feed.userId })
      .andWhere('block.startTime < :windowEnd', {
        windowEnd: new Date(now.getTime() + FEED_WINDOW.futureDays * DAY_MS),
      })
      .andWhere('block.endTime > :windowStart', {
        windowStart: new Date(now.getTime() - FEED_WINDOW.pastDays * DAY_MS),
      })
      // A block only ever names its own organization's client and project; the join says so too.
      .leftJoinAndSelect('block.client', 'client', 'client.organizationId = block.organizationId')
      .leftJoinAndSelect(
        'block.project',
        'project',
        'project.organizationId = block.organizationId',
      )
      .orderBy('block.startTime', 'ASC')
      .addOrderBy('block.id', 'ASC')
      .getMany();

    const calendar: Calendar = {
      prodId: PRODID,
      name: `${membership.organization.name} — ${membership.user.name}`,
      timezone: membership.user.timezone ?? membership.organization.timezone ?? 'UTC',
      refreshInterval: 'PT1H',
      events: blocks.map((block) => this.event(block, now)),
    };
    return {
      body: serializeCalendar(calendar, now),
      etag: `W/"${sha256Hex(JSON.stringify(calendar)).slice(0, 32)}"`,
    };
  }

  /** The public URL of a token: outside /api/v1, so calendar apps see a plain `.ics` file. */
  url(token: string): string {
    return `${this.config.appUrl.replace(/\/+$/, '')}/ical/${token}.ics`;
  }

  private ownFeed(manager: EntityManager, membership: Membership) {
    return membership.scope
      .query(manager, CalendarFeed, 'feed')
      .andWhere('feed.userId = :userId', { userId: membership.userId });
  }

  /**
   * The caller's feed, read after locking the caller's membership row (MySQL; SQLite runs one
   * transaction at a time). The membership always exists, so two first-time requests queue on it
   * instead of both inserting, and the second rotates what the first created.
   */
  private async lockOwnFeed(
    manager: EntityManager,
    membership: Membership,
  ): Promise<CalendarFeed | null> {
    if (!isSqlite(this.dataSource)) {
      const member = await membership.scope
        .query(manager, OrganizationMember, 'membership')
        .andWhere('membership.userId = :userId', { userId: membership.userId })
        .setLock('pessimistic_write')
        .getOne();
      if (!member) throw new NotFoundError('Organization');
    }
    return this.ownFeed(manager, membership).getOne();
  }

  /** Records the read, at most once a minute, without touching `updated_at` (the token's age). */
  private async touch(feed: CalendarFeed, now: Date): Promise<void> {
    const last = feed.lastAccessedAt?.getTime();
    if (last !== undefined && now.getTime() - last < LAST_ACCESSED_RESOLUTION_MS) return;
    await inTransaction(this.dataSource, (manager) =>
      manager.update(CalendarFeed, { id: feed.id }, { lastAccessedAt: currentTimestamp() }),
    );
  }

  private event(block: TimeBlock, now: Date): CalendarEvent {
    const details = [
      block.client ? `Client: ${block.client.name}` : null,
      block.project ? `Project: ${block.project.name}` : null,
    ].filter((line): line is string => line !== null);
    const description = [
      block.description?.trim() ? block.description : null,
      details.join('\n') || null,
    ]
      .filter((part): part is string => part !== null)
      .join('\n\n');
    return {
      uid: `time-block-${block.id}@${this.uidDomain()}`,
      start: block.startTime,
      end: block.endTime,
      timezone: block.timezone,
      summary: block.title,
      description: description || null,
      categories: block.project ? [block.project.name] : [],
      created: block.createdAt,
      lastModified: block.updatedAt ?? block.createdAt ?? now,
      sequence: sequenceOf(block),
    };
  }

  private uidDomain(): string {
    return new URL(this.config.appUrl).hostname;
  }
}

/**
 * SEQUENCE must never go down and should go up with every revision. `sync_version` counts the
 * edits that need pushing, but an edit of a block with nowhere to push it leaves it alone; the
 * whole seconds from `created_at` to `updated_at` grow with every saved edit. Their sum is never
 * smaller than before and grows when either does.
 */
function sequenceOf(block: TimeBlock): number {
  const edited =
    block.createdAt && block.updatedAt
      ? Math.floor((block.updatedAt.getTime() - block.createdAt.getTime()) / 1000)
      : 0;
  return (block.syncVersion ?? 0) + Math.max(0, edited);
}
