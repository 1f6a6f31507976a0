import { DateTime } from 'luxon';
import { LocalCalendar, parseRange } from './local-calendar';
import { ZoneClock } from './zone-clock';

const at = (iso: string) => Date.parse(iso) / 1000;
const iso = (second: number) => new Date(second * 1000).toISOString();

describe('ZoneClock', () => {
  it('reads wall-clock times across daylight-saving changes', () => {
    const amsterdam = ZoneClock.of('Europe/Amsterdam')!;
    expect(amsterdam.localDateTime(at('2025-03-30T00:59:59Z'))).toBe('2025-03-30 01:59:59');
    expect(amsterdam.localDateTime(at('2025-03-30T01:00:00Z'))).toBe('2025-03-30 03:00:00');
    expect(amsterdam.localDateTime(at('2025-10-26T00:30:00Z'))).toBe('2025-10-26 02:30:00');
    expect(amsterdam.localDateTime(at('2025-10-26T01:30:00Z'))).toBe('2025-10-26 02:30:00');
    const newYork = ZoneClock.of('America/New_York')!;
    expect(newYork.localDateTime(at('2025-03-09T06:59:59Z'))).toBe('2025-03-09 01:59:59');
    expect(newYork.localDateTime(at('2025-03-09T07:00:00Z'))).toBe('2025-03-09 03:00:00');
    expect(newYork.localDate(at('2025-11-03T04:59:59Z'))).toBe('2025-11-02');
    expect(ZoneClock.of('Nowhere/Special')).toBeNull();
  });

  it('agrees with luxon hour by hour through a year, in zones with odd offsets too', () => {
    for (const zone of [
      'Europe/Amsterdam',
      'America/New_York',
      'Australia/Lord_Howe',
      'Asia/Kathmandu',
    ]) {
      const clock = ZoneClock.of(zone)!;
      const mismatches: string[] = [];
      for (
        let second = at('2025-01-01T00:00:00Z');
        second < at('2026-01-01T00:00:00Z');
        second += 1800
      ) {
        const expected = DateTime.fromSeconds(second, { zone }).toFormat('yyyy-MM-dd HH:mm:ss');
        if (clock.localDateTime(second) !== expected) mismatches.push(`${zone} ${iso(second)}`);
      }
      expect(mismatches).toEqual([]);
    }
  });
});

describe('LocalCalendar', () => {
  it('makes 23- and 25-hour days and keys weeks by their local Monday', () => {
    const calendar = new LocalCalendar('Europe/Amsterdam');
    const spring = calendar.dayAt(at('2025-03-30T12:00:00Z'));
    expect([spring.value, iso(spring.start), iso(spring.end)]).toEqual([
      '2025-03-30',
      '2025-03-29T23:00:00.000Z',
      '2025-03-30T22:00:00.000Z',
    ]);
    const autumn = calendar.dayAt(at('2025-10-26T12:00:00Z'));
    expect((autumn.end - autumn.start) / 3600).toBe(25);
    expect([autumn.week.value, iso(autumn.week.start), iso(autumn.week.end)]).toEqual([
      '2025-10-20',
      '2025-10-19T22:00:00.000Z',
      '2025-10-26T23:00:00.000Z',
    ]);
    expect([autumn.month.value, iso(autumn.month.start)]).toEqual([
      '2025-10',
      '2025-09-30T22:00:00.000Z',
    ]);
  });

  it('tiles time without gaps where midnight is skipped or repeated (Havana)', () => {
    // Cuba: 2025-03-09 00:00 → 01:00 CDT (no midnight); 2025-11-02 01:00 CDT → 00:00 CST.
    const calendar = new LocalCalendar('America/Havana');
    const parts = calendar.splitByDay(at('2025-03-08T12:00:00Z'), at('2025-03-10T12:00:00Z'));
    expect(parts.map((p) => [p.day.value, iso(p.start), iso(p.end)])).toEqual([
      ['2025-03-08', '2025-03-08T12:00:00.000Z', '2025-03-09T05:00:00.000Z'],
      ['2025-03-09', '2025-03-09T05:00:00.000Z', '2025-03-10T04:00:00.000Z'],
      ['2025-03-10', '2025-03-10T04:00:00.000Z', '2025-03-10T12:00:00.000Z'],
    ]);
    const autumn = calendar.splitByDay(at('2025-11-01T12:00:00Z'), at('2025-11-03T12:00:00Z'));
    expect(autumn.map((p) => p.day.value)).toEqual(['2025-11-01', '2025-11-02', '2025-11-03']);
    for (let i = 1; i < autumn.length; i++) {
      expect(autumn[i].start).toBe(autumn[i - 1].end);
      expect(autumn[i].day.start).toBe(autumn[i - 1].day.end);
    }
    // every second of that night belongs to the day that contains it
    for (
      let second = at('2025-11-02T03:00:00Z');
      second < at('2025-11-02T07:00:00Z');
      second += 600
    ) {
      const day = calendar.dayAt(second);
      expect(day.start <= second && second < day.end).toBe(true);
    }
  });

  it('parses ranges in the zone and refuses empty, reversed and over-long ones', () => {
    const range = parseRange('2025-03-30', '2025-03-31', 'Europe/Amsterdam');
    expect([iso(range.fromSecond), iso(range.toSecond)]).toEqual([
      '2025-03-29T23:00:00.000Z',
      '2025-03-30T22:00:00.000Z',
    ]);
    expect(() => parseRange('2025-03-31', '2025-03-30', 'UTC')).toThrow(
      'The given data was invalid.',
    );
    expect(() => parseRange('2024-01-01', '2025-01-02', 'UTC')).toThrow(
      'The given data was invalid.',
    );
    expect(parseRange('2024-01-01', '2025-01-01', 'UTC').toSecond).toBe(at('2025-01-01T00:00:00Z'));
  });
});
