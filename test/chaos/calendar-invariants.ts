import { In } from 'typeorm';
import { AuditLog } from '../../src/audit/audit-log.entity';
import { Calendar } from '../../src/calendars/calendar.entity';
import { TimeBlock } from '../../src/time-blocks/time-block.entity';
import type { SeenEvent } from '../support/calendar-accounts';
import type { CalendarChaosWorld } from './calendar-world';

/*
 * What must hold once the calendar chaos has settled: every live block on a calendar has exactly
 * one event there with its title, times and zone; no event of danwel's exists anywhere else;
 * every block is settled; sync changed blocks only where a person changed their event (no
 * echoes); and every person's own event is danwel's busy time.
 */

/** Each count must be zero. */
export interface CalendarViolations {
  duplicates: number;
  orphans: number;
  mismatches: number;
  missing: number;
  notSynced: number;
  echoes: number;
  busyTimeMissing: number;
  busyTimeExtra: number;
}

export const NO_VIOLATIONS: CalendarViolations = {
  duplicates: 0,
  orphans: 0,
  mismatches: 0,
  missing: 0,
  notSynced: 0,
  echoes: 0,
  busyTimeMissing: 0,
  busyTimeExtra: 0,
};

/** Compares every block with the events in every calendar: the violations, and what was seen. */
export async function checkCalendars(world: CalendarChaosWorld) {
  const rows = await world.t.dataSource.manager.find(TimeBlock, {
    where: { organizationId: world.team.organization.id },
    withDeleted: true,
  });
  const events = await eventsByBlock(world, rows);
  const blocks = compareBlocks(world, rows, events.seen);
  const sync = await echoes(world);
  const busyTime = await compareBusyTime(world);
  const violations: CalendarViolations = {
    ...blocks,
    orphans: events.orphans,
    echoes: sync.echoes,
    busyTimeMissing: busyTime.missing,
    busyTimeExtra: busyTime.extra,
  };
  return {
    blocks: rows.length,
    liveOnCalendars: rows.filter((r) => r.deletedAt === null && r.calendarId !== null).length,
    externalEditsApplied: sync.applied,
    conflictsResolved: sync.conflicts,
    externalEventsInCalendars: busyTime.expected,
    ...violations,
  };
}

type Seen = Map<string, Array<{ calendar: Calendar; event: SeenEvent }>>;

/** danwel's events in every calendar, by block; an orphan is one whose block is not there. */
async function eventsByBlock(world: CalendarChaosWorld, rows: TimeBlock[]) {
  const byId = new Map(rows.map((row) => [String(row.id), row]));
  const seen: Seen = new Map();
  let orphans = 0;
  for (const account of world.accounts) {
    const own = await world.t.dataSource.manager.findBy(Calendar, {
      id: In(account.calendars.map((c) => c.id)),
    });
    for (const calendar of own) {
      for (const event of world.emulators.events(account, calendar)) {
        if (event.blockId === null) continue; // the people's own events: busy time
        const row = byId.get(event.blockId);
        if (!row || row.deletedAt !== null || row.calendarId !== calendar.id) {
          orphans += 1;
          continue;
        }
        seen.set(event.blockId, [...(seen.get(event.blockId) ?? []), { calendar, event }]);
      }
    }
  }
  return { seen, orphans };
}

function compareBlocks(world: CalendarChaosWorld, rows: TimeBlock[], seen: Seen) {
  let duplicates = 0;
  let mismatches = 0;
  let missing = 0;
  let notSynced = 0;
  for (const row of rows) {
    const events = seen.get(String(row.id)) ?? [];
    const expectsEvent = row.deletedAt === null && row.calendarId !== null;
    const settled = expectsEvent ? ['synced'] : ['synced', 'disabled'];
    if (!settled.includes(row.calendarSyncStatus ?? '')) notSynced += 1;
    if (!expectsEvent) continue;
    if (events.length === 0) missing += 1;
    if (events.length > 1) duplicates += events.length - 1;
    const first = events[0]?.event;
    if (
      first &&
      (first.id !== row.externalCalendarEventId ||
        first.title !== row.title ||
        first.start.getTime() !== row.startTime.getTime() ||
        first.end.getTime() !== row.endTime.getTime() ||
        // A calendar edit may set its own zone; the instants are what must agree.
        (first.timeZone !== row.timezone && !world.externallyChanged.has(row.id)))
    ) {
      mismatches += 1;
    }
  }
  return { duplicates, mismatches, missing, notSynced };
}

/** Sync's audit rows: it may act on a block only where a person changed its event. */
async function echoes(world: CalendarChaosWorld) {
  const bySync = await world.t.dataSource.manager
    .getRepository(AuditLog)
    .createQueryBuilder('log')
    .where('log.organizationId = :org', { org: world.team.organization.id })
    .andWhere('log.actor LIKE :sync', { sync: 'sync:%' })
    .getMany();
  const applied = bySync.filter((log) => log.action !== 'time_block.sync_conflict');
  const echoed = applied.filter((log) => !world.externallyChanged.has(Number(log.auditableId)));
  if (echoed.length > 0) {
    process.stdout.write(
      `echoes: ${JSON.stringify(echoed.map((l) => [l.action, l.auditableId, l.oldValues, l.newValues]))}\n`,
    );
  }
  return {
    echoes: echoed.length,
    applied: applied.length,
    conflicts: bySync.length - applied.length,
  };
}

/** Every person's own event in the calendars is listed by GET …/calendar-events, and no other. */
async function compareBusyTime(world: CalendarChaosWorld) {
  const inCalendars: string[] = [];
  for (const account of world.accounts) {
    for (const calendar of account.calendars) {
      for (const event of world.emulators.events(account, calendar)) {
        if (event.blockId === null)
          inCalendars.push(`${calendar.id} ${event.title} ${event.start.toISOString()}`);
      }
    }
  }
  const listed: string[] = [];
  let cursor: string | null = null;
  do {
    const response = await world.team.owner.get(world.team.url('/calendar-events')).query({
      from: '2027-01-01T00:00:00Z',
      to: '2027-02-01T00:00:00Z',
      user_id: 'all',
      limit: 100,
      ...(cursor ? { cursor } : {}),
    });
    expect(response.status).toBe(200);
    const body = response.body as {
      data: Array<{ calendar_id: number; title: string; start_time: string }>;
      next_cursor: string | null;
    };
    listed.push(...body.data.map((e) => `${e.calendar_id} ${e.title} ${e.start_time}`));
    cursor = body.next_cursor;
  } while (cursor);
  const listedSet = new Set(listed);
  const expectedSet = new Set(inCalendars);
  return {
    expected: inCalendars.length,
    missing: inCalendars.filter((key) => !listedSet.has(key)).length,
    extra: listed.filter((key) => !expectedSet.has(key)).length,
  };
}
