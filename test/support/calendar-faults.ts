import type { FaultMatch } from '../emulators/common/faults';

/*
 * Where a scheduled fault lands in a calendar emulator, in one vocabulary for every spec: the
 * contract subjects (test/support/calendar-subjects) and the sync specs' CalendarEmulators
 * (test/support/calendar-accounts.ts) both turn a target into the emulator's match here.
 */

export type CalendarEmulatorName = 'google' | 'microsoft';

/**
 * A single (unbatched) create or update, the batch request, a page of a change read, or opening
 * a watch.
 */
export type CalendarCall = 'create' | 'update' | 'batch' | 'page' | 'watch';

/** A call, any event write (single or a batch part), or one part of a batch (by event id). */
export type FaultTarget = CalendarCall | 'write' | { batchPart: string };

/** Google's operation of each call. */
export const GOOGLE_CALLS: Record<CalendarCall, string> = {
  create: 'events.insert',
  update: 'events.update',
  batch: 'batch',
  page: 'events.list',
  watch: 'events.watch',
};

/** Graph's top-level request of each call. */
export const GRAPH_CALLS: Record<CalendarCall, { method: string; path: RegExp; batch?: boolean }> =
  {
    create: { method: 'POST', path: /\/calendars\/[^/]+\/events$/ },
    update: { method: 'PATCH', path: /\/events\/[^/]+$/ },
    // A transport fault on the first item ends the whole $batch.
    batch: { method: 'POST', path: /./, batch: true },
    page: { method: 'GET', path: /\/delta$/ },
    watch: { method: 'POST', path: /^\/v1\.0\/subscriptions$/ },
  };

const EVENT_WRITE: FaultMatch = { method: /^(POST|PUT|PATCH|DELETE)$/, path: /\/events(\/|$)/ };

/** The emulator's match for `on`, of the account `user` (or of every account). */
export function calendarFaultMatch(
  emulator: CalendarEmulatorName,
  on: FaultTarget,
  user?: string,
): FaultMatch {
  const whose = user === undefined ? {} : { user };
  if (on === 'write') return { ...EVENT_WRITE, ...whose };
  if (typeof on !== 'string') {
    const path =
      emulator === 'google'
        ? new RegExp(`/events/${on.batchPart}$`)
        : `/v1.0/me/events/${encodeURIComponent(on.batchPart)}`;
    return { ...whose, batch: true, path };
  }
  if (emulator === 'google') return { ...whose, operation: GOOGLE_CALLS[on], batch: false };
  const call = GRAPH_CALLS[on];
  return call.batch
    ? { ...whose, batch: true }
    : { ...whose, batch: false, method: call.method, path: call.path };
}
