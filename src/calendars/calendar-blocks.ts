import { ProviderCalendar } from '../providers/calendar-provider';
import { Calendar } from './calendar.entity';

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
