import { DateTime } from 'luxon';
import { localIso, TimeInputError, toInstant } from './block-time';

const AMSTERDAM = 'Europe/Amsterdam';

describe('toInstant', () => {
  it('reads an offset or Z as the instant it names, whatever the zone', () => {
    expect(toInstant('start_time', '2025-03-31T09:00:00+02:00', 'Asia/Tokyo').toISOString()).toBe(
      '2025-03-31T07:00:00.000Z',
    );
    expect(toInstant('start_time', '2025-03-31T07:00Z', AMSTERDAM).toISOString()).toBe(
      '2025-03-31T07:00:00.000Z',
    );
  });

  it('reads a wall-clock time in the zone, with the offset in force on that day', () => {
    expect(toInstant('start_time', '2025-01-15T09:00', AMSTERDAM).toISOString()).toBe(
      '2025-01-15T08:00:00.000Z',
    );
    expect(toInstant('start_time', '2025-07-15T09:00:00', AMSTERDAM).toISOString()).toBe(
      '2025-07-15T07:00:00.000Z',
    );
  });

  it('refuses a wall-clock time the clocks skip when summer time starts', () => {
    expect(() => toInstant('start_time', '2025-03-30T02:30', AMSTERDAM)).toThrow(
      new TimeInputError(
        'start_time 2025-03-30T02:30 does not exist in Europe/Amsterdam: the clocks skip it (daylight saving time).',
      ),
    );
    expect(toInstant('start_time', '2025-03-30T03:00', AMSTERDAM).toISOString()).toBe(
      '2025-03-30T01:00:00.000Z',
    );
  });

  it('takes the earlier instant of a wall-clock time that happens twice when summer time ends', () => {
    // 02:30 happens at +02:00 (00:30Z) and again at +01:00 (01:30Z).
    expect(toInstant('end_time', '2025-10-26T02:30', AMSTERDAM).toISOString()).toBe(
      '2025-10-26T00:30:00.000Z',
    );
    expect(toInstant('end_time', '2025-10-26T02:30+01:00', AMSTERDAM).toISOString()).toBe(
      '2025-10-26T01:30:00.000Z',
    );
  });

  it('truncates fractions of a second', () => {
    expect(toInstant('start_time', '2025-03-31T09:00:59.999+02:00', 'UTC').toISOString()).toBe(
      '2025-03-31T07:00:59.000Z',
    );
    expect(toInstant('start_time', '2025-03-31T09:00:00.5', AMSTERDAM).toISOString()).toBe(
      '2025-03-31T07:00:00.000Z',
    );
  });

  it.each([
    '2025-02-30T10:00',
    '2025-03-31T24:00',
    '2025-13-01T10:00Z',
    '2025-03-31T10:00+25:00',
    '2025-03-31',
    'tomorrow',
  ])('refuses %s', (value) => {
    expect(() => toInstant('start_time', value, AMSTERDAM)).toThrow(
      new TimeInputError('start_time is not a valid date and time.'),
    );
  });

  it('refuses instants outside the years DATETIME sensibly holds', () => {
    expect(() => toInstant('end_time', '1899-12-31T23:00Z', 'UTC')).toThrow(TimeInputError);
    expect(() => toInstant('end_time', '9999-06-01T00:00Z', 'UTC')).toThrow(TimeInputError);
  });
});

describe('toInstant with an offset matches luxon', () => {
  it('for leap days, impossible dates, odd offsets and early years', () => {
    const values = [
      '2024-02-29T23:59:59+14:00',
      '2025-02-29T10:00Z',
      '2026-02-30T10:00:00Z',
      '2026-04-31T10:00:00+02:00',
      '2025-12-31T23:30-05:45',
      '2025-01-01T00:15+05:30',
      '1900-01-01T00:00:00+00:30',
      '1900-01-01T00:00:00-00:30',
      '0050-06-01T00:00Z',
      '9998-12-31T23:59:59.999-12:00',
      '2025-03-30T01:59:59.5+00:00',
    ];
    for (const value of values) {
      const instant = DateTime.fromISO(value, { setZone: true });
      const expected = !instant.isValid
        ? 'invalid'
        : instant.toMillis() < Date.UTC(1900, 0, 1) || instant.toMillis() >= Date.UTC(9999, 0, 1)
          ? 'out of range'
          : new Date(Math.floor(instant.toMillis() / 1000) * 1000).toISOString();
      let actual: string;
      try {
        actual = toInstant('from', value, 'UTC').toISOString();
      } catch (error) {
        actual = String((error as Error).message).includes('between') ? 'out of range' : 'invalid';
      }
      expect([value, actual]).toEqual([value, expected]);
    }
  });
});

describe('localIso', () => {
  it('shows the instant with the offset of the zone at that moment', () => {
    expect(localIso(new Date('2025-03-30T00:30:00Z'), AMSTERDAM)).toBe(
      '2025-03-30T01:30:00.000+01:00',
    );
    expect(localIso(new Date('2025-03-30T01:30:00Z'), AMSTERDAM)).toBe(
      '2025-03-30T03:30:00.000+02:00',
    );
    expect(localIso(new Date('2025-03-30T01:30:00Z'), 'UTC')).toBe('2025-03-30T01:30:00.000Z');
  });
});

describe('localIso matches luxon', () => {
  it('for instants across zones, centuries and daylight-saving transitions', () => {
    const zones = [
      AMSTERDAM,
      'UTC',
      'Etc/UTC',
      'Europe/London',
      'America/New_York',
      'America/St_Johns',
      'Asia/Kolkata',
      'Asia/Kathmandu',
      'Australia/Lord_Howe',
      'Pacific/Chatham',
      'Africa/Casablanca',
      'Not/A_Zone',
    ];
    let seed = 42;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const transitions = [
      Date.UTC(2025, 2, 24),
      Date.UTC(2025, 8, 24),
      Date.UTC(2025, 9, 24),
    ].flatMap((start) => Array.from({ length: 8 * 96 }, (_, i) => start + i * 15 * 60_000));
    const spread = Array.from({ length: 500 }, () =>
      Math.floor(Date.UTC(1900, 0, 1) + random() * 200 * 365.25 * 86_400_000),
    );
    for (const zone of zones) {
      for (const milliseconds of [...spread, ...transitions]) {
        const instant = new Date(milliseconds);
        const expected = (
          DateTime.fromJSDate(instant, { zone }).isValid
            ? DateTime.fromJSDate(instant, { zone })
            : DateTime.fromJSDate(instant, { zone: 'UTC' })
        ).toISO();
        expect(`${zone} ${localIso(instant, zone)}`).toBe(`${zone} ${expected}`);
      }
    }
  });
});
