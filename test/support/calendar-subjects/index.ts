import type { CalendarSubject } from '../calendar-subject';
import { googleSubject } from './google';
import { microsoftSubject } from './microsoft';

/** Every calendar provider's contract subject: one line per provider. */
export const CALENDAR_SUBJECTS: CalendarSubject[] = [googleSubject, microsoftSubject];
