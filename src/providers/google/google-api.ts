/*
 * The Calendar API of googleapis, loaded alone: the package's index requires all of its ~300
 * APIs, which cost the API process about 65 MB of heap and seconds of startup for one we use.
 * Types still come from the index (`import type` loads nothing at run time).
 */
export { auth as googleAuth, calendar as googleCalendar } from 'googleapis/build/src/apis/calendar';
export type { Auth, calendar_v3 } from 'googleapis';
