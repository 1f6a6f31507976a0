import { Integration } from '../integrations/integration.entity';
import { isWritable } from './calendar-blocks';
import { Calendar } from './calendar.entity';

type CalendarWithOwner = Pick<Calendar, 'sharedWithOrganization'> & {
  integration?: Pick<Integration, 'connectedById'>;
};

/**
 * Whether `userId`'s blocks may go onto the calendar: its account is one they connected, or its
 * owner shared it with the organization. Otherwise anyone could fill a colleague's calendar.
 * Expects `integration.connectedById` loaded.
 */
export function holdsBlocksOf(calendar: CalendarWithOwner, userId: number): boolean {
  return calendar.sharedWithOrganization === true || calendar.integration?.connectedById === userId;
}

/** What `usable` in the calendar list says: the caller can plan their own blocks onto it now. */
export function isUsableBy(
  calendar: CalendarWithOwner & Pick<Calendar, 'isEnabled' | 'syncDirection'>,
  userId: number,
): boolean {
  return isWritable(calendar) && holdsBlocksOf(calendar, userId);
}
