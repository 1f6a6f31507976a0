import ICAL from 'ical.js';
import {
  CalendarEvent,
  escapeText,
  foldLine,
  formatLocal,
  formatUtc,
  isLocalTimeUnambiguous,
  paramValue,
  serializeCalendar,
  tzidFor,
  vtimezone,
} from './ical';

const octets = (text: string) => Buffer.byteLength(text, 'utf8');
/** RFC 5545 §3.1 unfolding: drop every CRLF followed by one space. */
const unfold = (text: string) => text.replace(/\r\n /g, '');
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe('escapeText', () => {
  it('escapes backslash, semicolon and comma, and writes every newline as \\n', () => {
    expect(escapeText('a\\b;c,d')).toBe('a\\\\b\\;c\\,d');
    expect(escapeText('one\ntwo\r\nthree\rfour')).toBe('one\\ntwo\\nthree\\nfour');
  });

  it('escapes the backslash of a literal "\\n" so it does not turn into a newline', () => {
    expect(escapeText('C:\\new')).toBe('C:\\\\new');
  });

  it('leaves colons, quotes, tabs and non-ASCII alone and drops other control characters', () => {
    expect(escapeText('10:30 "quoted"\ttab café 🚀')).toBe('10:30 "quoted"\ttab café 🚀');
    expect(escapeText('bell\x07null\x00del\x7fesc\x1b')).toBe('bellnulldelesc');
  });
});

describe('paramValue', () => {
  it('quotes values holding ; : or , and never emits a double quote inside', () => {
    expect(paramValue('Europe/Amsterdam')).toBe('Europe/Amsterdam');
    expect(paramValue('a;b')).toBe('"a;b"');
    expect(paramValue('say "hi", ok')).toBe('"say \'hi\', ok"');
  });
});

describe('foldLine', () => {
  it('leaves lines of up to 75 octets alone', () => {
    const line = `SUMMARY:${'x'.repeat(67)}`;
    expect(octets(line)).toBe(75);
    expect(foldLine(line)).toBe(line);
  });

  it('folds at 75 octets, continuation lines starting with a space that counts', () => {
    const line = `DESCRIPTION:${'abcdefghij'.repeat(20)}`;
    const physical = foldLine(line).split('\r\n');
    expect(physical.length).toBe(3);
    expect(physical.map(octets)).toEqual([75, 75, octets(line) - 75 - 74 + 1]);
    expect(physical.slice(1).every((part) => part.startsWith(' ') && part[1] !== ' ')).toBe(true);
    expect(unfold(foldLine(line))).toBe(line);
  });

  it('breaks before a multi-byte character that would straddle the 75th octet', () => {
    const line = `${'X'.repeat(74)}é`;
    expect(foldLine(line)).toBe(`${'X'.repeat(74)}\r\n é`);
  });

  it.each([
    ['2-octet', 'é'],
    ['3-octet', '時'],
    ['4-octet (surrogate pair)', '🚀'],
    ['a ZWJ emoji sequence', '👩‍💻'],
  ])('never splits a %s character, whatever the offset', (_kind, character) => {
    for (let offset = 0; offset < 5; offset++) {
      const line = `SUMMARY:${'a'.repeat(offset)}${character.repeat(60)}`;
      const folded = foldLine(line);
      const physical = folded.split('\r\n');
      expect(physical.length).toBeGreaterThan(1);
      for (const part of physical) {
        expect(octets(part)).toBeLessThanOrEqual(75);
        expect(LONE_SURROGATE.test(part)).toBe(false);
        // Round-trips through UTF-8 bytes unchanged: no sequence was cut.
        expect(Buffer.from(part, 'utf8').toString('utf8')).toBe(part);
      }
      expect(unfold(folded)).toBe(line);
    }
  });
});

describe('date-time values', () => {
  it('formats UTC with Z and whole seconds', () => {
    expect(formatUtc(new Date('2025-10-26T01:30:45.678Z'))).toBe('20251026T013045Z');
  });

  it('formats wall-clock time in a zone, across a DST switch', () => {
    expect(formatLocal(new Date('2025-10-25T23:30:00Z'), 'Europe/Amsterdam')).toBe(
      '20251026T013000',
    );
    expect(formatLocal(new Date('2025-10-26T03:30:00Z'), 'Europe/Amsterdam')).toBe(
      '20251026T043000',
    );
    expect(formatLocal(new Date('2025-03-09T07:30:00Z'), 'America/New_York')).toBe(
      '20250309T033000',
    );
  });

  it('knows which instants the first-occurrence rule of a repeated hour cannot express', () => {
    // 02:30 happens twice in Amsterdam on 2025-10-26: at 00:30Z (CEST) and at 01:30Z (CET).
    expect(isLocalTimeUnambiguous(new Date('2025-10-26T00:30:00Z'), 'Europe/Amsterdam')).toBe(true);
    expect(isLocalTimeUnambiguous(new Date('2025-10-26T01:30:00Z'), 'Europe/Amsterdam')).toBe(
      false,
    );
    expect(isLocalTimeUnambiguous(new Date('2025-10-26T02:00:00Z'), 'Europe/Amsterdam')).toBe(true);
    // 01:30 happens twice in New York on 2025-11-02: at 05:30Z (EDT) and at 06:30Z (EST).
    expect(isLocalTimeUnambiguous(new Date('2025-11-02T05:30:00Z'), 'America/New_York')).toBe(true);
    expect(isLocalTimeUnambiguous(new Date('2025-11-02T06:30:00Z'), 'America/New_York')).toBe(
      false,
    );
    expect(isLocalTimeUnambiguous(new Date('2025-07-01T12:00:00Z'), 'America/New_York')).toBe(true);
  });

  it('writes UTC and unknown zones in UTC, known zones with their TZID', () => {
    expect(tzidFor('UTC')).toBeNull();
    expect(tzidFor('Etc/UTC')).toBeNull();
    expect(tzidFor('Mars/Olympus_Mons')).toBeNull();
    expect(tzidFor('Europe/Amsterdam')).toBe('Europe/Amsterdam');
    expect(tzidFor('Europe/London')).toBe('Europe/London');
  });

  it('names the VTIMEZONE of an alias after the alias', () => {
    const lines = vtimezone('Europe/Amsterdam');
    expect(lines[0]).toBe('BEGIN:VTIMEZONE');
    expect(lines).toContain('TZID:Europe/Amsterdam');
    expect(lines.some((line) => line.includes('Brussels'))).toBe(false);
    expect(lines.at(-1)).toBe('END:VTIMEZONE');
  });
});

describe('serializeCalendar, read back by ical.js', () => {
  const now = new Date('2025-10-20T12:00:00Z');
  const event = (values: Partial<CalendarEvent>): CalendarEvent => ({
    uid: 'time-block-1@danwel.test',
    start: new Date('2025-10-20T09:00:00Z'),
    end: new Date('2025-10-20T10:00:00Z'),
    timezone: 'UTC',
    summary: 'Block',
    lastModified: new Date('2025-10-01T08:00:00Z'),
    sequence: 0,
    ...values,
  });

  const parse = (text: string) => {
    const calendar = new ICAL.Component(ICAL.parse(text));
    const events = calendar.getAllSubcomponents('vevent').map((vevent) => new ICAL.Event(vevent));
    return { calendar, events };
  };

  const calendarOf = (events: CalendarEvent[]) =>
    serializeCalendar(
      {
        prodId: '-//danwel//danwel//EN',
        name: 'Acme — Ada',
        timezone: 'Europe/Amsterdam',
        refreshInterval: 'PT1H',
        events,
      },
      now,
    );

  it('is CRLF-terminated lines of at most 75 octets, with the calendar properties', () => {
    const text = calendarOf([event({ summary: 'ü'.repeat(100), timezone: 'Europe/Amsterdam' })]);
    expect(text.endsWith('END:VCALENDAR\r\n')).toBe(true);
    expect(/\r(?!\n)|(?<!\r)\n/.test(text)).toBe(false);
    for (const line of text.split('\r\n')) expect(octets(line)).toBeLessThanOrEqual(75);

    const { calendar } = parse(text);
    expect(calendar.getFirstPropertyValue('prodid')).toBe('-//danwel//danwel//EN');
    expect(calendar.getFirstPropertyValue('version')).toBe('2.0');
    expect(calendar.getFirstPropertyValue('calscale')).toBe('GREGORIAN');
    expect(calendar.getFirstPropertyValue('method')).toBe('PUBLISH');
    expect(calendar.getFirstPropertyValue('x-wr-calname')).toBe('Acme — Ada');
    expect(calendar.getFirstPropertyValue('x-wr-timezone')).toBe('Europe/Amsterdam');
  });

  it('round-trips summary, description and categories with special characters', () => {
    const summary = 'Plan; review, ship \\ done 🚀';
    const description = `Line one, with comma; semicolon\nLine two: "quoted" — ${'lang '.repeat(40)}`;
    const { events } = parse(
      calendarOf([event({ summary, description, categories: ['Client, Inc; Ltd', 'Web'] })]),
    );
    expect(events[0].summary).toBe(summary);
    expect(events[0].description).toBe(description);
    expect(events[0].component.getFirstProperty('categories')!.getValues()).toEqual([
      'Client, Inc; Ltd',
      'Web',
    ]);
  });

  it('stamps DTSTAMP (now), LAST-MODIFIED and SEQUENCE in UTC', () => {
    const { events } = parse(calendarOf([event({ sequence: 7 })]));
    const vevent = events[0].component;
    expect((vevent.getFirstPropertyValue('dtstamp') as ICAL.Time).toJSDate()).toEqual(now);
    expect((vevent.getFirstPropertyValue('last-modified') as ICAL.Time).toJSDate()).toEqual(
      new Date('2025-10-01T08:00:00Z'),
    );
    expect(events[0].sequence).toBe(7);
  });

  it.each([
    // Amsterdam falls back at 03:00 CEST → 02:00 CET: 01:30–04:30 local lasts four hours.
    ['Europe/Amsterdam', '2025-10-25T23:30:00Z', '2025-10-26T03:30:00Z', '20251026T013000'],
    // Amsterdam springs forward at 02:00 CET → 03:00 CEST: 01:30–03:30 local lasts one hour.
    ['Europe/Amsterdam', '2025-03-30T00:30:00Z', '2025-03-30T01:30:00Z', '20250330T013000'],
    // New York springs forward at 02:00 EST → 03:00 EDT.
    ['America/New_York', '2025-03-09T06:30:00Z', '2025-03-09T08:30:00Z', '20250309T013000'],
    // New York falls back at 02:00 EDT → 01:00 EST.
    ['America/New_York', '2025-11-02T04:30:00Z', '2025-11-02T07:30:00Z', '20251102T003000'],
  ])(
    'a %s block from %s to %s crossing DST converts back to its instants',
    (zone, start, end, localStart) => {
      const text = calendarOf([
        event({ timezone: zone, start: new Date(start), end: new Date(end) }),
      ]);
      expect(text).toContain(`DTSTART;TZID=${zone}:${localStart}\r\n`);
      const { events } = parse(text);
      expect(events[0].startDate.zone!.tzid).toBe(zone);
      expect(events[0].endDate.zone!.tzid).toBe(zone);
      expect(events[0].startDate.toJSDate()).toEqual(new Date(start));
      expect(events[0].endDate.toJSDate()).toEqual(new Date(end));
    },
  );

  it('writes a block ending in the second pass of a repeated hour in UTC, at the right instants', () => {
    const start = new Date('2025-10-26T00:00:00Z'); // 02:00 CEST
    const end = new Date('2025-10-26T01:45:00Z'); // 02:45 CET, the second 02:45
    const text = calendarOf([event({ timezone: 'Europe/Amsterdam', start, end })]);
    expect(text).toContain('DTSTART:20251026T000000Z\r\n');
    expect(text).toContain('DTEND:20251026T014500Z\r\n');
    expect(text).not.toContain('BEGIN:VTIMEZONE');
    const { events } = parse(text);
    expect(events[0].startDate.toJSDate()).toEqual(start);
    expect(events[0].endDate.toJSDate()).toEqual(end);
  });

  it('writes UTC blocks with Z and one VTIMEZONE per zone used', () => {
    const text = calendarOf([
      event({ uid: 'a', timezone: 'UTC' }),
      event({ uid: 'b', timezone: 'Europe/Amsterdam' }),
      event({ uid: 'c', timezone: 'Europe/Amsterdam' }),
      event({ uid: 'd', timezone: 'America/New_York' }),
    ]);
    expect(text).toContain('DTSTART:20251020T090000Z\r\n');
    const { calendar, events } = parse(text);
    expect(
      calendar
        .getAllSubcomponents('vtimezone')
        .map((zone) => zone.getFirstPropertyValue('tzid'))
        .sort(),
    ).toEqual(['America/New_York', 'Europe/Amsterdam']);
    expect(events.map((e) => e.startDate.toJSDate().toISOString())).toEqual(
      Array(4).fill('2025-10-20T09:00:00.000Z'),
    );
  });
});
