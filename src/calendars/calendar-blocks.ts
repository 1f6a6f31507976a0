import { EntityManager } from 'typeorm';
import { ProviderCalendar } from '../providers/calendar-provider';
import { Calendar, CalendarSyncDirection } from './calendar.entity';

/** Blocks are pushed only to enabled calendars that danwel may write to. */
export function isWritable(calendar: Pick<Calendar, 'isEnabled' | 'syncDirection'>): boolean {
  return (
    calendar.isEnabled === true &&
    (calendar.syncDirection === 'write' || calendar.syncDirection === 'both')
  );
}

/** The provider's view of a calendar (name, colour, primary flag) onto our row. */
export function applyProviderCalendar(calendar: Calendar, found: ProviderCalendar): void {
  calendar.name = found.name.slice(0, 255);
  calendar.color = found.color ? found.color.slice(0, 20) : null;
  calendar.isPrimary = found.primary;
}

/**
 * A calendar seen for the first time in a connected account. Only the primary calendar starts
 * enabled: a colleague's or a shared calendar the account can see must not receive blocks until
 * the account's owner turns it on.
 */
export function discoveredCalendar(
  manager: EntityManager,
  owner: { organizationId: number; integrationId: number },
  found: ProviderCalendar,
): Calendar {
  const calendar = manager.create(Calendar, {
    organizationId: owner.organizationId,
    integrationId: owner.integrationId,
    externalId: found.externalId,
    isEnabled: found.primary,
  });
  applyProviderCalendar(calendar, found);
  return calendar;
}

const DIRECTION_REACH: Record<CalendarSyncDirection, readonly ('read' | 'write')[]> = {
  read: ['read'],
  write: ['write'],
  both: ['read', 'write'],
};

/**
 * Whether a change lets danwel do more with a calendar than before: enabling it, or a direction
 * that reads or writes where the old one did not. Only the account's owner may widen; an admin
 * may only narrow (disable, or drop a direction).
 */
export function widensAccess(
  before: Pick<Calendar, 'isEnabled' | 'syncDirection'>,
  after: Pick<Calendar, 'isEnabled' | 'syncDirection'>,
): boolean {
  if (after.isEnabled === true && before.isEnabled !== true) return true;
  const had = DIRECTION_REACH[before.syncDirection ?? 'write'];
  return DIRECTION_REACH[after.syncDirection ?? 'write'].some((way) => !had.includes(way));
}
