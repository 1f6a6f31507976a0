import { Factory } from '../factories';
import { Team } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import { block, figures, Group, reportTeam, sumsByLevel } from './support';

/*
 * Days, weeks and months cut at local midnight across daylight-saving changes. Every expected
 * instant below is worked out by hand from the zone's offsets:
 *   Europe/Amsterdam   CET +01:00, CEST +02:00; 2025-03-30 02:00 CET → 03:00 CEST (a 23-hour
 *                      day), 2025-10-26 03:00 CEST → 02:00 CET (a 25-hour day).
 *   America/New_York   EST −05:00, EDT −04:00; 2025-03-09 02:00 EST → 03:00 EDT (23 hours),
 *                      2025-11-02 02:00 EDT → 01:00 EST (25 hours).
 * All organizations bill 100.00 an hour, so every quarter-hour is 25.00.
 */

const rows = (groups: Group[]) =>
  groups.map((g) => [g.key.value, g.key.from, g.key.to, g.total_seconds, g.billed_hours, g.amount]);

describe('reports across daylight-saving changes', () => {
  let t: TestApp;
  let factory: Factory;

  beforeAll(async () => {
    t = await bootApp();
    factory = new Factory(t.dataSource);
  });
  afterAll(() => t?.close());

  const scenario = async (timezone: string, blocks: [string, string][]) => {
    const team = await reportTeam(t, factory, { timezone });
    for (const [start, end] of blocks) {
      await block(factory, team.organization, team.member.user, start, end);
    }
    return team;
  };
  const report = async (team: Team, query: string) =>
    (await team.viewer.get(team.url(`/reports/summary?${query}`)).expect(200)).body as {
      from: string;
      to: string;
      timezone: string;
      totals: unknown;
      groups: Group[];
    };

  describe('Europe/Amsterdam', () => {
    it('2025-03-30 is a 23-hour day', async () => {
      // local midnight to local midnight: 2025-03-29T23:00Z → 2025-03-30T22:00Z
      const team = await scenario('Europe/Amsterdam', [
        ['2025-03-29T23:00:00Z', '2025-03-30T22:00:00Z'],
      ]);
      const body = await report(team, 'from=2025-03-30&to=2025-03-31&group_by=day');
      expect([body.from, body.to, body.timezone]).toEqual([
        '2025-03-29T23:00:00.000Z',
        '2025-03-30T22:00:00.000Z',
        'Europe/Amsterdam',
      ]);
      // 23 h = 82800 s = 92 quarters
      expect(rows(body.groups)).toEqual([
        [
          '2025-03-30',
          '2025-03-29T23:00:00.000Z',
          '2025-03-30T22:00:00.000Z',
          82800,
          '23.00',
          '2300.00',
        ],
      ]);
      expect(body.totals).toEqual(figures(82800, 82800, '23.00', '2300.00'));
    });

    it('cuts blocks at local midnight around the spring change', async () => {
      const team = await scenario('Europe/Amsterdam', [
        // Sat 23:30 → Sun 00:30 CET: 1800 s on each day, 4 quarters → 2 + 2
        ['2025-03-29T22:30:00Z', '2025-03-29T23:30:00Z'],
        // Sun 01:30 CET → 03:30 CEST: two hours on the clock, one in fact; 4 quarters
        ['2025-03-30T00:30:00Z', '2025-03-30T01:30:00Z'],
        // Sun 23:00 → Mon 01:00 CEST: local midnight is 22:00Z; 8 quarters → 4 + 4
        ['2025-03-30T21:00:00Z', '2025-03-30T23:00:00Z'],
      ]);
      const body = await report(team, 'from=2025-03-29&to=2025-04-01&group_by=day');
      expect(rows(body.groups)).toEqual([
        [
          '2025-03-29',
          '2025-03-28T23:00:00.000Z',
          '2025-03-29T23:00:00.000Z',
          1800,
          '0.50',
          '50.00',
        ],
        // 1800 + 3600 + 3600; 2 + 4 + 4 quarters
        [
          '2025-03-30',
          '2025-03-29T23:00:00.000Z',
          '2025-03-30T22:00:00.000Z',
          9000,
          '2.50',
          '250.00',
        ],
        [
          '2025-03-31',
          '2025-03-30T22:00:00.000Z',
          '2025-03-31T22:00:00.000Z',
          3600,
          '1.00',
          '100.00',
        ],
      ]);
      expect(body.totals).toEqual(figures(14400, 14400, '4.00', '400.00'));
    });

    it('2025-10-26 is a 25-hour day', async () => {
      // 2025-10-25T22:00Z (00:00 CEST) → 2025-10-26T23:00Z (00:00 CET)
      const team = await scenario('Europe/Amsterdam', [
        ['2025-10-25T22:00:00Z', '2025-10-26T23:00:00Z'],
      ]);
      const body = await report(team, 'from=2025-10-25&to=2025-10-28&group_by=day');
      // 25 h = 90000 s = 100 quarters; the block ends at midnight, so no empty Monday group
      expect(rows(body.groups)).toEqual([
        [
          '2025-10-26',
          '2025-10-25T22:00:00.000Z',
          '2025-10-26T23:00:00.000Z',
          90000,
          '25.00',
          '2500.00',
        ],
      ]);
    });

    it('cuts weeks at local Monday midnight around the autumn change', async () => {
      const team = await scenario('Europe/Amsterdam', [
        // Mon 10-20 00:00 → 00:15 CEST: the first minutes of the local week of 10-20 (still
        // Sunday in UTC); 1 quarter
        ['2025-10-19T22:00:00Z', '2025-10-19T22:15:00Z'],
        // Sun 10-26 02:30 CEST → 02:30 CET: the repeated hour; 4 quarters
        ['2025-10-26T00:30:00Z', '2025-10-26T01:30:00Z'],
        // Sun 23:00 → Mon 01:00 CET: local midnight is 23:00Z; 8 quarters → 4 + 4
        ['2025-10-26T22:00:00Z', '2025-10-27T00:00:00Z'],
      ]);
      const body = await report(team, 'from=2025-10-20&to=2025-11-03&group_by=week,day');
      expect(body.groups.map((week) => [...rows([week])[0], rows(week.groups!)])).toEqual([
        [
          '2025-10-20',
          '2025-10-19T22:00:00.000Z',
          '2025-10-26T23:00:00.000Z', // 7 × 24 + 1 hours
          8100,
          '2.25',
          '225.00',
          [
            [
              '2025-10-20',
              '2025-10-19T22:00:00.000Z',
              '2025-10-20T22:00:00.000Z',
              900,
              '0.25',
              '25.00',
            ],
            [
              '2025-10-26',
              '2025-10-25T22:00:00.000Z',
              '2025-10-26T23:00:00.000Z',
              7200,
              '2.00',
              '200.00',
            ],
          ],
        ],
        [
          '2025-10-27',
          '2025-10-26T23:00:00.000Z',
          '2025-11-02T23:00:00.000Z',
          3600,
          '1.00',
          '100.00',
          [
            [
              '2025-10-27',
              '2025-10-26T23:00:00.000Z',
              '2025-10-27T23:00:00.000Z',
              3600,
              '1.00',
              '100.00',
            ],
          ],
        ],
      ]);
      expect(body.totals).toEqual(figures(11700, 11700, '3.25', '325.00'));
    });

    it('cuts months at local midnight', async () => {
      // 03-31 23:30 → 04-01 00:30 CEST: local midnight is 22:00Z; 4 quarters → 2 + 2
      const team = await scenario('Europe/Amsterdam', [
        ['2025-03-31T21:30:00Z', '2025-03-31T22:30:00Z'],
      ]);
      const body = await report(team, 'from=2025-03-01&to=2025-05-01&group_by=month');
      expect(rows(body.groups)).toEqual([
        ['2025-03', '2025-02-28T23:00:00.000Z', '2025-03-31T22:00:00.000Z', 1800, '0.50', '50.00'],
        ['2025-04', '2025-03-31T22:00:00.000Z', '2025-04-30T22:00:00.000Z', 1800, '0.50', '50.00'],
      ]);
    });
  });

  describe('America/New_York', () => {
    it('2025-03-09 is a 23-hour day, and a block is billed once and shared out by seconds', async () => {
      const team = await scenario('America/New_York', [
        // Sat 23:00 EST → Sun 03:30 EDT: 3.5 h (4.5 on the clock) = 12600 s = 14 quarters;
        // 3600 s Saturday, 9000 s Sunday → exactly 4 + 10 quarters
        ['2025-03-09T04:00:00Z', '2025-03-09T07:30:00Z'],
        // Sun 22:00 → Mon 00:20 EDT: 8400 s → ceil(9.33) = 10 quarters, billed once;
        // 7200 s Sunday, 1200 s Monday → 8.57 + 1.43 → 8 + 1, the spare quarter to the larger
        // remainder (Sunday): 9 + 1
        ['2025-03-10T02:00:00Z', '2025-03-10T04:20:00Z'],
      ]);
      const body = await report(team, 'from=2025-03-08&to=2025-03-11&group_by=day');
      expect([body.from, body.to]).toEqual([
        '2025-03-08T05:00:00.000Z',
        '2025-03-11T04:00:00.000Z',
      ]);
      expect(rows(body.groups)).toEqual([
        [
          '2025-03-08',
          '2025-03-08T05:00:00.000Z',
          '2025-03-09T05:00:00.000Z',
          3600,
          '1.00',
          '100.00',
        ],
        // 9000 + 7200 s; 10 + 9 quarters
        [
          '2025-03-09',
          '2025-03-09T05:00:00.000Z',
          '2025-03-10T04:00:00.000Z',
          16200,
          '4.75',
          '475.00',
        ],
        [
          '2025-03-10',
          '2025-03-10T04:00:00.000Z',
          '2025-03-11T04:00:00.000Z',
          1200,
          '0.25',
          '25.00',
        ],
      ]);
      // 14 + 10 quarters: the day groups add up to the block-rounded total
      expect(body.totals).toEqual(figures(21000, 21000, '6.00', '600.00'));
      for (const level of sumsByLevel(figures(21000, 21000, '6.00', '600.00'), body.groups)) {
        expect(level.sum).toEqual(level.parent);
      }
    });

    it('2025-11-02 is a 25-hour day, in the organization zone by default', async () => {
      const team = await scenario('America/New_York', [
        // local midnight to local midnight: 04:00Z (EDT) → 05:00Z next day (EST)
        ['2025-11-02T04:00:00Z', '2025-11-03T05:00:00Z'],
      ]);
      const body = await report(team, 'from=2025-11-02&to=2025-11-03&group_by=day');
      expect([body.from, body.to, body.timezone]).toEqual([
        '2025-11-02T04:00:00.000Z',
        '2025-11-03T05:00:00.000Z',
        'America/New_York',
      ]);
      expect(rows(body.groups)).toEqual([
        [
          '2025-11-02',
          '2025-11-02T04:00:00.000Z',
          '2025-11-03T05:00:00.000Z',
          90000,
          '25.00',
          '2500.00',
        ],
      ]);
    });

    it('cuts weeks at local Monday midnight around the autumn change', async () => {
      const team = await scenario('America/New_York', [
        // the whole 25-hour Sunday: 100 quarters
        ['2025-11-02T04:00:00Z', '2025-11-03T05:00:00Z'],
        // 01:30 EDT → 01:30 EST, the repeated hour: 4 quarters
        ['2025-11-02T05:30:00Z', '2025-11-02T06:30:00Z'],
        // Sun 23:30 EST → Mon 00:30 EST: local Monday starts at 05:00Z; 4 quarters → 2 + 2
        ['2025-11-03T04:30:00Z', '2025-11-03T05:30:00Z'],
      ]);
      const body = await report(
        team,
        'from=2025-10-27&to=2025-11-10&group_by=week&timezone=America/New_York',
      );
      expect(rows(body.groups)).toEqual([
        // 90000 + 3600 + 1800 s; 100 + 4 + 2 quarters
        [
          '2025-10-27',
          '2025-10-27T04:00:00.000Z',
          '2025-11-03T05:00:00.000Z',
          95400,
          '26.50',
          '2650.00',
        ],
        [
          '2025-11-03',
          '2025-11-03T05:00:00.000Z',
          '2025-11-10T05:00:00.000Z',
          1800,
          '0.50',
          '50.00',
        ],
      ]);
      expect(body.totals).toEqual(figures(97200, 97200, '27.00', '2700.00'));

      // The same blocks cut in UTC, where Monday starts at 00:00Z: the long block splits
      // 72000 + 18000 s (80 + 20 quarters) and the last one falls wholly in the second week.
      const utc = await report(
        team,
        'from=2025-10-27T00:00:00Z&to=2025-11-10T00:00:00Z&group_by=week&timezone=UTC',
      );
      expect(rows(utc.groups)).toEqual([
        [
          '2025-10-27',
          '2025-10-27T00:00:00.000Z',
          '2025-11-03T00:00:00.000Z',
          75600,
          '21.00',
          '2100.00',
        ],
        [
          '2025-11-03',
          '2025-11-03T00:00:00.000Z',
          '2025-11-10T00:00:00.000Z',
          21600,
          '6.00',
          '600.00',
        ],
      ]);
    });
  });
});
