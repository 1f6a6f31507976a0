import { createHash } from 'node:crypto';

/**
 * The digest of what a pull compares: title and times. danwel stores it when it writes an event
 * (`time_blocks.synced_hash`); a pulled event with the same digest is danwel's own write (or no
 * change at all), so it is never mistaken for an edit made in Google Calendar or Outlook.
 */
export function eventHash(event: { title: string; start: Date; end: Date }): string {
  return createHash('sha256')
    .update(`${event.title}\n${event.start.toISOString()}\n${event.end.toISOString()}`)
    .digest('hex');
}
