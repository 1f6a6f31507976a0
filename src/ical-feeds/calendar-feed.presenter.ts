import { CalendarFeed } from './calendar-feed.entity';

/** What the owner may see of a feed: never the token or its URL (those are shown once). */
export function presentCalendarFeed(feed: CalendarFeed | null) {
  return {
    exists: feed !== null,
    created_at: feed?.createdAt?.toISOString() ?? null,
    last_accessed_at: feed?.lastAccessedAt?.toISOString() ?? null,
  };
}
