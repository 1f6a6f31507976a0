import { isIanaTimeZone, MONEY, SLUG, TIME_OF_DAY } from './validators';

describe('validators', () => {
  it.each(['UTC', 'Europe/Amsterdam', 'America/New_York', 'America/Argentina/Buenos_Aires'])(
    'accepts the time zone %s',
    (zone) => expect(isIanaTimeZone(zone)).toBe(true),
  );
  it.each(['Mars/Olympus', '+01:00', '', 'Europe/', 42])('rejects the time zone %p', (zone) =>
    expect(isIanaTimeZone(zone)).toBe(false),
  );
  it('matches times of day, slugs and money', () => {
    expect(['08:00', '23:59:59'].every((t) => TIME_OF_DAY.test(t))).toBe(true);
    expect(['24:00', '8:00', '08:60'].some((t) => TIME_OF_DAY.test(t))).toBe(false);
    expect(SLUG.test('acme-studio')).toBe(true);
    expect(['Acme', 'acme--studio', '-acme'].some((s) => SLUG.test(s))).toBe(false);
    expect(['0', '95.5', '95.00'].every((m) => MONEY.test(m))).toBe(true);
    expect(['-1', '1.234', '1e3'].some((m) => MONEY.test(m))).toBe(false);
  });
});
