import ICAL from 'ical.js';
import { DateTime } from 'luxon';
import { Actor, Team } from '../support/actors';

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;

/** Creates (or rotates) the actor's feed; returns the token and the path of its URL. */
export async function issueFeed(
  actor: Actor,
  team: Pick<Team, 'url'>,
): Promise<{ token: string; url: string; path: string }> {
  const response = await actor.post(team.url('/ical-feed')).expect(201);
  const { token, url } = response.body as { token: string; url: string };
  return { token, url, path: new URL(url).pathname };
}

export interface ParsedFeed {
  calendar: ICAL.Component;
  events: ICAL.Event[];
  /** The event with this UID; fails the test if there is none. */
  event(uid: string): ICAL.Event;
  uids: string[];
}

/*
 * ical.js reads properties it has no definition for (X-WR-CALNAME, X-WR-TIMEZONE, RFC 7986's
 * NAME) as raw text, without unescaping. Calendar apps read them as TEXT; so does this parser.
 */
for (const name of ['x-wr-calname', 'x-wr-timezone', 'name']) {
  ICAL.design.icalendar.property[name] ??= { defaultType: 'text' };
}

/** The served text as a calendar app reads it: through ical.js, TZIDs resolved in the file. */
export function parseFeed(text: string): ParsedFeed {
  const calendar = new ICAL.Component(ICAL.parse(text));
  const events = calendar.getAllSubcomponents('vevent').map((vevent) => new ICAL.Event(vevent));
  return {
    calendar,
    events,
    uids: events.map((event) => event.uid).sort(),
    event(uid) {
      const found = events.find((event) => event.uid === uid);
      if (!found) throw new Error(`No VEVENT with UID ${uid} in the feed`);
      return found;
    },
  };
}

export const uidOf = (blockId: number) => `time-block-${blockId}@localhost`;

/** The raw (unfolded) content line of a property of the event with `uid`. */
export function rawLine(text: string, uid: string, name: string): string {
  const unfolded = text.replace(/\r\n /g, '');
  const vevent = unfolded
    .split('BEGIN:VEVENT\r\n')
    .find((part) => part.startsWith(`UID:${uid}\r\n`));
  if (!vevent) throw new Error(`No VEVENT with UID ${uid}`);
  const line = vevent
    .split('\r\n')
    .find((l) => l.startsWith(`${name}:`) || l.startsWith(`${name};`));
  if (!line) throw new Error(`No ${name} in the VEVENT ${uid}`);
  return line;
}

export interface DstCrossing {
  zone: string;
  /** The first instant with the new UTC offset. */
  transition: Date;
  start: Date;
  end: Date;
  label: string;
}

/**
 * Every DST switch of `zones` well inside the feed window around `now` (a day's margin at both
 * ends), each with a three-hour block straddling it. Which switches exist depends on the date:
 * the window is 210 days, so a zone can have none for a few weeks a year; across the zones given,
 * northern and southern, there is always at least one (the spec asserts so).
 */
export function dstCrossings(zones: string[], now: Date): DstCrossing[] {
  const from = now.getTime() - 29 * DAY_MS;
  const to = now.getTime() + 179 * DAY_MS;
  const crossings: DstCrossing[] = [];
  for (const zone of zones) {
    let previous = DateTime.fromMillis(from, { zone }).offset;
    // Switches fall on whole hours in these zones: hourly steps find each one exactly.
    for (let at = Math.ceil(from / HOUR_MS) * HOUR_MS; at <= to; at += HOUR_MS) {
      const offset = DateTime.fromMillis(at, { zone }).offset;
      if (offset === previous) continue;
      const transition = new Date(at);
      const start = new Date(at - 1.5 * HOUR_MS);
      const end = new Date(at + 1.5 * HOUR_MS);
      const local = (date: Date) =>
        DateTime.fromJSDate(date, { zone }).toFormat('yyyy-MM-dd HH:mm');
      crossings.push({
        zone,
        transition,
        start,
        end,
        label: `${zone} ${local(start)}–${local(end).slice(11)} local (${previous / 60}h → ${offset / 60}h)`,
      });
      previous = offset;
    }
  }
  return crossings;
}
