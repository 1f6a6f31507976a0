import { describe, expect, it } from 'vitest';
import {
  formatInstant,
  formatRange,
  fromWallClock,
  shiftInterval,
  snap,
  startOfWeek,
  toWallClock,
  wallMinutesBetween,
  weekOf,
} from './week-time';

describe('weekOf', () => {
  it('cuts an ordinary week at the zone midnights', () => {
    const week = weekOf('2026-11-25', 'Europe/Amsterdam');
    expect(week.days.map((d) => d.date)).toEqual([
      '2026-11-23',
      '2026-11-24',
      '2026-11-25',
      '2026-11-26',
      '2026-11-27',
      '2026-11-28',
      '2026-11-29',
    ]);
    expect(week.from).toBe('2026-11-23T00:00:00.000+01:00');
    expect(week.to).toBe('2026-11-30T00:00:00.000+01:00');
    expect(week.days.every((d) => d.hours === 24)).toBe(true);
  });

  it('has a 23-hour Sunday in the spring-forward week (Europe/Amsterdam, 29 March 2026)', () => {
    const week = weekOf('2026-03-26', 'Europe/Amsterdam');
    expect(week.days.map((d) => d.hours)).toEqual([24, 24, 24, 24, 24, 24, 23]);
    expect(week.from).toBe('2026-03-23T00:00:00.000+01:00');
    expect(week.to).toBe('2026-03-30T00:00:00.000+02:00');
  });

  it('has a 25-hour Sunday in the fall-back week (America/New_York, 1 November 2026)', () => {
    const week = weekOf('2026-11-01', 'America/New_York', 7);
    expect(week.days[0]).toMatchObject({ date: '2026-11-01', weekday: 'sun', hours: 25 });
    expect(week.from).toBe('2026-11-01T00:00:00.000-04:00');
    expect(week.to).toBe('2026-11-08T00:00:00.000-05:00');
  });

  it('uses the zone, not UTC, in half-hour zones (Asia/Kolkata)', () => {
    const week = weekOf('2026-06-10', 'Asia/Kolkata');
    expect(week.from).toBe('2026-06-08T00:00:00.000+05:30');
    expect(new Date(week.days[0].startMs).toISOString()).toBe('2026-06-07T18:30:00.000Z');
  });

  it('starts on the requested weekday', () => {
    expect(startOfWeek('2026-11-25', 1)).toBe('2026-11-23');
    expect(startOfWeek('2026-11-25', 7)).toBe('2026-11-22');
    expect(startOfWeek('2026-11-22', 7)).toBe('2026-11-22');
    expect(startOfWeek('2026-11-22', 6)).toBe('2026-11-21');
  });
});

describe('wall clock and instants', () => {
  it('converts both ways in a 45-minute zone (Asia/Kathmandu)', () => {
    const iso = fromWallClock({ date: '2026-06-10', minutes: 9 * 60 }, 'Asia/Kathmandu');
    expect(iso).toBe('2026-06-10T09:00:00+05:45');
    expect(new Date(iso).toISOString()).toBe('2026-06-10T03:15:00.000Z');
    expect(toWallClock('2026-06-10T03:15:00Z', 'Asia/Kathmandu')).toEqual({
      date: '2026-06-10',
      minutes: 540,
    });
  });

  it('reads a UTC instant on the Kolkata wall clock, across midnight', () => {
    expect(toWallClock('2026-06-10T20:00:00Z', 'Asia/Kolkata')).toEqual({
      date: '2026-06-11',
      minutes: 90,
    });
  });

  it('moves a time skipped by spring-forward past the gap', () => {
    expect(fromWallClock({ date: '2026-03-29', minutes: 150 }, 'Europe/Amsterdam')).toBe(
      '2026-03-29T03:30:00+02:00',
    );
  });

  it('takes the earlier offset for a time repeated by fall-back', () => {
    expect(fromWallClock({ date: '2026-10-25', minutes: 150 }, 'Europe/Amsterdam')).toBe(
      '2026-10-25T02:30:00+02:00',
    );
  });

  it('treats minute 1440 as the next midnight', () => {
    expect(fromWallClock({ date: '2026-11-24', minutes: 1440 }, 'Europe/Amsterdam')).toBe(
      '2026-11-25T00:00:00+01:00',
    );
  });

  it('measures wall minutes across days', () => {
    expect(
      wallMinutesBetween(
        { date: '2026-11-24', minutes: 1380 },
        { date: '2026-11-25', minutes: 60 },
      ),
    ).toBe(120);
  });
});

describe('snap', () => {
  it('rounds to the nearest quarter hour', () => {
    expect(snap(0)).toBe(0);
    expect(snap(7)).toBe(0);
    expect(snap(8)).toBe(15);
    expect(snap(52)).toBe(45);
    expect(snap(53)).toBe(60);
    expect(snap(-8)).toBe(-15);
  });
});

describe('shiftInterval', () => {
  it('moves a block a day later and keeps its length', () => {
    expect(
      shiftInterval('2026-11-24T08:00:00Z', '2026-11-24T09:30:00Z', 'Europe/Amsterdam', 1, 15),
    ).toEqual({ start_time: '2026-11-25T09:15:00+01:00', end_time: '2026-11-25T10:45:00+01:00' });
  });

  it('keeps the wall-clock start and the real duration across the fall-back night', () => {
    // Saturday 09:00–10:00 CEST moved to Sunday 25 October: still 09:00, now CET.
    expect(
      shiftInterval('2026-10-24T07:00:00Z', '2026-10-24T08:00:00Z', 'Europe/Amsterdam', 1, 0),
    ).toEqual({ start_time: '2026-10-25T09:00:00+01:00', end_time: '2026-10-25T10:00:00+01:00' });
  });

  it('remembers conversions per zone, and a caller cannot change the remembered answer', () => {
    const instant = '2026-03-29T01:30:00Z';
    const amsterdam = toWallClock(instant, 'Europe/Amsterdam');
    expect(amsterdam).toEqual({ date: '2026-03-29', minutes: 3 * 60 + 30 });
    expect(toWallClock(instant, 'Asia/Kolkata')).toEqual({ date: '2026-03-29', minutes: 7 * 60 });
    amsterdam.minutes = 0;
    expect(toWallClock(instant, 'Europe/Amsterdam').minutes).toBe(3 * 60 + 30);
    expect(formatRange(instant, '2026-03-29T22:00:00Z', 'Europe/Amsterdam')).toBe('03:30–00:00');
  });

  it('formats a range in the profile zone, not the browser one', () => {
    expect(formatRange('2026-06-10T03:30:00Z', '2026-06-10T05:00:00Z', 'Asia/Kolkata')).toBe(
      '09:00–10:30',
    );
  });
});

describe('formatInstant', () => {
  it('reads the instant on the zone clock, across the date line', () => {
    expect(formatInstant('2026-12-07T23:30:00Z', 'Pacific/Auckland')).toBe('8 Dec 2026, 12:30');
    expect(formatInstant('2026-12-07T23:30:00Z', 'America/New_York')).toBe('7 Dec 2026, 18:30');
  });
});
