import ICAL from 'ical.js';
import { DateTime } from 'luxon';
import { TimeBlock } from '../../src/time-blocks/time-block.entity';
import { User } from '../../src/users/user.entity';
import { Factory } from '../factories';
import { makeTeam, Team } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import {
  DAY_MS,
  dstCrossings,
  HOUR_MS,
  issueFeed,
  ParsedFeed,
  parseFeed,
  rawLine,
  uidOf,
} from './support';

/*
 * What the feed serves, read back with ical.js the way a calendar app would: which blocks (the
 * owner's, in this organization, not deleted, overlapping 30 days back to 180 ahead), and what
 * each says — text that survives escaping and folding, and times that convert back to the stored
 * UTC instants through the VTIMEZONEs in the file, across DST switches too.
 */

const NOW = Date.now();
const at = (offsetMs: number) => new Date(Math.floor((NOW + offsetMs) / 1000) * 1000);
/** Northern and southern zones: between them there is always a DST switch in the window. */
const DST_ZONES = ['Europe/Amsterdam', 'America/New_York', 'Australia/Sydney'];
const CROSSINGS = dstCrossings(DST_ZONES, new Date(NOW));

describe('calendar feed content', () => {
  let t: TestApp;
  let factory: Factory;
  let team: Team;
  let path: string;
  let text: string;
  let feed: ParsedFeed;
  const blocks: Record<string, TimeBlock> = {};
  const crossingBlocks: TimeBlock[] = [];

  const fetchFeed = async (feedPath = path) => {
    const response = await t.http().get(feedPath).expect(200);
    return response.text;
  };
  const blockRepository = () => t.dataSource.getRepository(TimeBlock);

  beforeAll(async () => {
    t = await bootApp();
    factory = new Factory(t.dataSource);
    team = await makeTeam(t, factory, { name: 'Acme, Inc; "Studio"' });
    const owner = team.member.user;
    await t.dataSource
      .getRepository(User)
      .update(owner.id, { name: 'Ada Lovelace', timezone: 'Europe/Amsterdam' });

    const client = await factory.client(team.organization, { name: 'Client, B.V.' });
    const project = await factory.project(team.organization, {
      client,
      name: 'Website; relaunch',
    });
    const block = (values: Parameters<Factory['timeBlock']>[2]) =>
      factory.timeBlock(team.organization, owner, { timezone: 'UTC', ...values });

    blocks.recentPast = await block({
      title: 'Recent past',
      startTime: at(-29 * DAY_MS - HOUR_MS),
      endTime: at(-29 * DAY_MS),
    });
    blocks.tooOld = await block({
      title: 'Too old',
      startTime: at(-31 * DAY_MS - HOUR_MS),
      endTime: at(-31 * DAY_MS),
    });
    blocks.straddlesWindowStart = await block({
      title: 'Straddles the window start',
      startTime: at(-30 * DAY_MS - HOUR_MS),
      endTime: at(-30 * DAY_MS + HOUR_MS),
    });
    blocks.farFuture = await block({
      title: 'Far future',
      startTime: at(179 * DAY_MS),
      endTime: at(179 * DAY_MS + HOUR_MS),
    });
    blocks.tooFar = await block({
      title: 'Too far',
      startTime: at(181 * DAY_MS),
      endTime: at(181 * DAY_MS + HOUR_MS),
    });
    blocks.deleted = await block({
      title: 'Deleted',
      startTime: at(DAY_MS),
      endTime: at(DAY_MS + HOUR_MS),
    });
    await blockRepository().softDelete(blocks.deleted.id);
    blocks.special = await block({
      title: 'Plan; review, ship \\ done 🚀 — ünïcødé',
      description: `First line, with comma; and semicolon\nSecond line: "quoted"\r\n${'long text with émoji 👩‍💻 '.repeat(12)}`,
      project,
      timezone: 'Europe/Amsterdam',
      startTime: at(2 * DAY_MS),
      endTime: at(2 * DAY_MS + 2 * HOUR_MS),
    });
    blocks.utc = await block({
      title: 'In UTC',
      startTime: at(3 * DAY_MS),
      endTime: at(3 * DAY_MS + HOUR_MS),
    });
    blocks.newYork = await block({
      title: 'In New York',
      timezone: 'America/New_York',
      startTime: at(4 * DAY_MS),
      endTime: at(4 * DAY_MS + 90 * 60_000),
    });
    for (const crossing of CROSSINGS) {
      crossingBlocks.push(
        await block({
          title: `Across DST: ${crossing.label}`,
          timezone: crossing.zone,
          startTime: crossing.start,
          endTime: crossing.end,
        }),
      );
    }

    // Not the owner's, or not in this organization: never in this feed.
    blocks.colleagues = await factory.timeBlock(team.organization, team.admin.user, {
      title: "A colleague's block",
      startTime: at(DAY_MS),
      endTime: at(DAY_MS + HOUR_MS),
    });
    const elsewhere = await factory.organization();
    await factory.member(elsewhere, owner, 'member');
    blocks.otherOrganization = await factory.timeBlock(elsewhere, owner, {
      title: 'Elsewhere',
      startTime: at(DAY_MS),
      endTime: at(DAY_MS + HOUR_MS),
    });

    ({ path } = await issueFeed(team.member, team));
    text = await fetchFeed();
    feed = parseFeed(text);
  });
  afterAll(() => t?.close());

  it('serves text/calendar, privately cacheable for five minutes', async () => {
    const response = await t.http().get(path).expect(200);
    expect(response.headers['content-type']).toBe('text/calendar; charset=utf-8');
    expect(response.headers['cache-control']).toBe('private, max-age=300');
    expect(response.headers.etag).toMatch(/^W\/"[0-9a-f]+"$/);
  });

  it('describes the calendar: PRODID, VERSION, CALSCALE, METHOD, name and time zone', () => {
    const { calendar } = feed;
    expect(calendar.name).toBe('vcalendar');
    expect(calendar.getFirstPropertyValue('prodid')).toBe('-//danwel//danwel//EN');
    expect(calendar.getFirstPropertyValue('version')).toBe('2.0');
    expect(calendar.getFirstPropertyValue('calscale')).toBe('GREGORIAN');
    expect(calendar.getFirstPropertyValue('method')).toBe('PUBLISH');
    expect(calendar.getFirstPropertyValue('x-wr-calname')).toBe(
      'Acme, Inc; "Studio" — Ada Lovelace',
    );
    expect(calendar.getFirstPropertyValue('name')).toBe('Acme, Inc; "Studio" — Ada Lovelace');
    expect(calendar.getFirstPropertyValue('x-wr-timezone')).toBe('Europe/Amsterdam');
  });

  it("holds exactly the owner's live blocks in this organization that overlap the window", () => {
    const expected = [
      blocks.recentPast,
      blocks.straddlesWindowStart,
      blocks.farFuture,
      blocks.special,
      blocks.utc,
      blocks.newYork,
      ...crossingBlocks,
    ];
    expect(feed.uids).toEqual(expected.map((block) => uidOf(block.id)).sort());
    expect(text).not.toContain('Too old');
    expect(text).not.toContain('Too far');
    expect(text).not.toContain('Deleted');
    expect(text).not.toContain('colleague');
    expect(text).not.toContain('Elsewhere');
  });

  it('is CRLF lines of at most 75 octets, with no line split inside a UTF-8 sequence', () => {
    expect(text.endsWith('END:VCALENDAR\r\n')).toBe(true);
    expect(/\r(?!\n)|(?<!\r)\n/.test(text)).toBe(false);
    const lines = text.split('\r\n');
    expect(lines.some((line) => line.startsWith(' '))).toBe(true); // something was folded
    for (const line of lines) {
      expect(Buffer.byteLength(line, 'utf8')).toBeLessThanOrEqual(75);
      expect(
        /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(line),
      ).toBe(false);
    }
    // Byte-level: re-encoding the served bytes line by line changes nothing.
    const bytes = Buffer.from(text, 'utf8');
    expect(Buffer.concat(lines.map((line) => Buffer.from(`${line}\r\n`, 'utf8')))).toEqual(
      Buffer.concat([bytes, Buffer.from('\r\n')]),
    );
  });

  it('round-trips summary, description and categories with commas, semicolons, newlines and emoji', () => {
    const event = feed.event(uidOf(blocks.special.id));
    expect(event.summary).toBe('Plan; review, ship \\ done 🚀 — ünïcødé');
    expect(event.description).toBe(
      `${blocks.special.description!.replace(/\r\n/g, '\n')}\n\nClient: Client, B.V.\nProject: Website; relaunch`,
    );
    expect(event.component.getFirstProperty('categories')!.getValues()).toEqual([
      'Website; relaunch',
    ]);
    expect(rawLine(text, uidOf(blocks.special.id), 'SUMMARY')).toBe(
      'SUMMARY:Plan\\; review\\, ship \\\\ done 🚀 — ünïcødé',
    );
  });

  it('leaves DESCRIPTION and CATEGORIES out when a block has nothing to put there', () => {
    const event = feed.event(uidOf(blocks.utc.id));
    expect(event.summary).toBe('In UTC');
    expect(event.component.hasProperty('description')).toBe(false);
    expect(event.component.hasProperty('categories')).toBe(false);
  });

  it('stamps DTSTAMP (now), LAST-MODIFIED (updated_at) and SEQUENCE in UTC', () => {
    const event = feed.event(uidOf(blocks.utc.id));
    const dtstamp = (event.component.getFirstPropertyValue('dtstamp') as ICAL.Time).toJSDate();
    expect(Math.abs(dtstamp.getTime() - Date.now())).toBeLessThan(60_000);
    expect(rawLine(text, uidOf(blocks.utc.id), 'DTSTAMP')).toMatch(/^DTSTAMP:\d{8}T\d{6}Z$/);
    expect(
      (event.component.getFirstPropertyValue('last-modified') as ICAL.Time).toJSDate(),
    ).toEqual(blocks.utc.updatedAt);
    expect(event.sequence).toBe(0);
  });

  it('writes UTC blocks as Z times and zoned blocks with TZID and one VTIMEZONE per zone', () => {
    expect(rawLine(text, uidOf(blocks.utc.id), 'DTSTART')).toMatch(/^DTSTART:\d{8}T\d{6}Z$/);
    expect(rawLine(text, uidOf(blocks.newYork.id), 'DTSTART')).toBe(
      `DTSTART;TZID=America/New_York:${DateTime.fromJSDate(blocks.newYork.startTime, {
        zone: 'America/New_York',
      }).toFormat("yyyyMMdd'T'HHmmss")}`,
    );
    const zones = feed.calendar
      .getAllSubcomponents('vtimezone')
      .map((zone) => zone.getFirstPropertyValue('tzid'));
    const used = new Set(['Europe/Amsterdam', 'America/New_York', ...CROSSINGS.map((c) => c.zone)]);
    expect(zones.sort()).toEqual([...used].sort());
  });

  it('converts every DTSTART/DTEND, through the VTIMEZONEs, back to the stored instants', () => {
    const stored = [
      blocks.recentPast,
      blocks.straddlesWindowStart,
      blocks.farFuture,
      blocks.special,
      blocks.utc,
      blocks.newYork,
      ...crossingBlocks,
    ].map((block) => ({ uid: uidOf(block.id), start: block.startTime, end: block.endTime }));
    const served = stored.map(({ uid }) => ({
      uid,
      start: feed.event(uid).startDate.toJSDate(),
      end: feed.event(uid).endDate.toJSDate(),
    }));
    expect(served).toEqual(stored);
  });

  it('finds a DST switch in the window for at least one zone (so the next test is never empty)', () => {
    expect(CROSSINGS.length).toBeGreaterThan(0);
  });

  it.each(CROSSINGS.map((crossing, index) => ({ ...crossing, index })))(
    'a block across the DST switch $label keeps its instants and its zone',
    ({ zone, start, end, index }) => {
      const block = crossingBlocks[index];
      const event = feed.event(uidOf(block.id));
      expect(rawLine(text, uidOf(block.id), 'DTSTART')).toMatch(
        new RegExp(`^DTSTART;TZID=${zone}:\\d{8}T\\d{6}$`),
      );
      expect(event.startDate.zone!.tzid).toBe(zone);
      expect(event.endDate.zone!.tzid).toBe(zone);
      expect(event.startDate.toJSDate()).toEqual(start);
      expect(event.endDate.toJSDate()).toEqual(end);
      // Three real hours, but not three hours on the wall clock: the offset changed in between.
      const wallHours =
        (Date.UTC(
          event.endDate.year,
          event.endDate.month - 1,
          event.endDate.day,
          event.endDate.hour,
          event.endDate.minute,
        ) -
          Date.UTC(
            event.startDate.year,
            event.startDate.month - 1,
            event.startDate.day,
            event.startDate.hour,
            event.startDate.minute,
          )) /
        HOUR_MS;
      expect([2, 4]).toContain(wallHours);
    },
  );

  it('keeps the UID across an edit, with the new text, LAST-MODIFIED and a higher SEQUENCE', async () => {
    const target = blocks.farFuture;
    const updatedAt = new Date(target.createdAt!.getTime() + 90_000);
    // A bulk update does not run the entity listener: updated_at and sync_version are set as an
    // edit 90 s later that marked the block for syncing twice would have left them.
    await blockRepository().update(target.id, {
      title: 'Far future, renamed',
      updatedAt,
      syncVersion: 2,
    });

    const after = parseFeed(await fetchFeed());
    const event = after.event(uidOf(target.id));
    expect(event.summary).toBe('Far future, renamed');
    expect(event.sequence).toBe(92);
    expect(
      (event.component.getFirstPropertyValue('last-modified') as ICAL.Time).toJSDate(),
    ).toEqual(updatedAt);
    expect(after.uids).toEqual(feed.uids);
  });

  it('answers 304 to If-None-Match while nothing changes, and 200 with a new ETag after a change', async () => {
    const first = await t.http().get(path).expect(200);
    const etag = String(first.headers.etag);
    const again = await t.http().get(path).set('If-None-Match', etag).expect(304);
    expect(again.text ?? '').toBe('');
    expect(again.headers.etag).toBe(etag);

    await blockRepository().update(blocks.utc.id, { title: 'In UTC, moved' });
    const changed = await t.http().get(path).set('If-None-Match', etag).expect(200);
    expect(changed.headers.etag).not.toBe(etag);
    expect(parseFeed(changed.text).event(uidOf(blocks.utc.id)).summary).toBe('In UTC, moved');
  });
});
