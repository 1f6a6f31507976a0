import { DataSource } from 'typeorm';
import { REPORT_PAGE_SIZE } from '../../src/reports/report-blocks';
import { TimeBlock } from '../../src/time-blocks/time-block.entity';
import { Factory } from '../factories';
import { actingAs, Team } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import { block, figures, reportTeam } from './support';

const HEADER =
  'block_id,user,title,client,project,timezone,local_start,local_end,start_utc,end_utc,' +
  'hours,billable,billed_hours,rate,amount,approval_status,invoicing_status,invoice_reference';

/** Records every SQL statement the app's DataSource runs until `stop()`. */
function recordQueries(dataSource: DataSource) {
  const logger = dataSource.logger;
  const original = logger.logQuery;
  const queries: string[] = [];
  logger.logQuery = (query, parameters, queryRunner) => {
    queries.push(query);
    return original.call(logger, query, parameters, queryRunner);
  };
  return {
    /** SELECTs of blocks (the report's pages). */
    blockReads: () => queries.filter((q) => /^SELECT\b.*FROM [`"]time_blocks[`"]/s.test(q)),
    stop: () => {
      logger.logQuery = original;
    },
  };
}

describe('reports: CSV export', () => {
  let t: TestApp;
  let factory: Factory;

  beforeAll(async () => {
    t = await bootApp();
    factory = new Factory(t.dataSource);
  });
  afterAll(() => t?.close());

  describe('content', () => {
    let team: Team;
    let ids: number[];

    beforeAll(async () => {
      // Reported in Amsterdam: from=2025-03-30 is 2025-03-29T23:00Z, to=2025-04-01 is
      // 2025-03-31T22:00Z (CEST).
      team = await reportTeam(t, factory, { timezone: 'Europe/Amsterdam' });
      const org = team.organization;
      const ada = await factory.user({ name: 'Ada Lovelace' });
      const mallory = await factory.user({ name: '@mallory' });
      await factory.member(org, ada, 'member');
      await factory.member(org, mallory, 'member');
      const acme = await factory.client(org, { name: 'Acme, Inc.' });
      const rocket = await factory.project(org, {
        name: 'Rocket "Alpha"',
        client: acme,
        hourlyRate: '120.00',
      });
      const made = [
        // 01:30 CET → 03:30 CEST on the clock, one hour in fact
        await block(factory, org, ada, '2025-03-30T00:30:00Z', '2025-03-30T01:30:00Z', {
          title: 'Planning',
          project: rocket,
          timezone: 'Europe/Amsterdam',
        }),
        // 16 min, not billable, planned in New York (EDT, −04:00)
        await block(factory, org, ada, '2025-03-30T14:00:00Z', '2025-03-30T14:16:00Z', {
          title: '=HYPERLINK("http://evil.example","x")',
          isBillable: false,
          timezone: 'America/New_York',
        }),
        await block(factory, org, mallory, '2025-03-30T15:00:00Z', '2025-03-30T15:30:00Z', {
          title: '+cmd|calc',
          timezone: 'UTC',
        }),
        await block(factory, org, mallory, '2025-03-30T16:00:00Z', '2025-03-30T16:45:00Z', {
          title: '-2+3',
          timezone: 'UTC',
        }),
        // 1 minute: 0.02 hours, billed 0.25 at the default 100.00
        await block(factory, org, ada, '2025-03-31T09:00:00Z', '2025-03-31T09:01:00Z', {
          title: 'Line one\nLine two',
          timezone: 'UTC',
        }),
        // Monday 23:30 → Tuesday 00:30 CEST: only the 30 minutes before `to` count
        await block(factory, org, ada, '2025-03-31T21:30:00Z', '2025-03-31T22:30:00Z', {
          title: 'Late',
          timezone: 'Europe/Amsterdam',
        }),
      ];
      ids = made.map((b) => b.id);
      const deleted = await block(
        factory,
        org,
        ada,
        '2025-03-30T10:00:00Z',
        '2025-03-30T11:00:00Z',
        {
          title: 'Deleted',
        },
      );
      await t.dataSource.getRepository(TimeBlock).softDelete({ id: deleted.id });
      await block(factory, org, ada, '2025-04-02T10:00:00Z', '2025-04-02T11:00:00Z', {
        title: 'Outside the range',
      });
    });

    it('has a row per block of the range, escaped, with formulas neutralized', async () => {
      const response = await team.viewer
        .get(team.url('/reports/export.csv?from=2025-03-30&to=2025-04-01'))
        .buffer(true)
        .parse((res, done) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => done(null, text));
        })
        .expect(200);

      expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(response.headers['content-disposition']).toBe(
        'attachment; filename="danwel-2025-03-30-2025-04-01.csv"',
      );
      const [planning, formula, plus, minus, lines, late] = ids;
      expect(response.body).toBe(
        [
          HEADER,
          `${planning},Ada Lovelace,Planning,"Acme, Inc.","Rocket ""Alpha""",Europe/Amsterdam,2025-03-30 01:30:00,2025-03-30 03:30:00,2025-03-30T00:30:00Z,2025-03-30T01:30:00Z,1.00,yes,1.00,120.00,120.00,pending,disabled,`,
          `${formula},Ada Lovelace,"'=HYPERLINK(""http://evil.example"",""x"")",,,America/New_York,2025-03-30 10:00:00,2025-03-30 10:16:00,2025-03-30T14:00:00Z,2025-03-30T14:16:00Z,0.27,no,0.00,,0.00,pending,disabled,`,
          `${plus},'@mallory,'+cmd|calc,,,UTC,2025-03-30 15:00:00,2025-03-30 15:30:00,2025-03-30T15:00:00Z,2025-03-30T15:30:00Z,0.50,yes,0.50,100.00,50.00,pending,disabled,`,
          `${minus},'@mallory,'-2+3,,,UTC,2025-03-30 16:00:00,2025-03-30 16:45:00,2025-03-30T16:00:00Z,2025-03-30T16:45:00Z,0.75,yes,0.75,100.00,75.00,pending,disabled,`,
          `${lines},Ada Lovelace,"Line one\nLine two",,,UTC,2025-03-31 09:00:00,2025-03-31 09:01:00,2025-03-31T09:00:00Z,2025-03-31T09:01:00Z,0.02,yes,0.25,100.00,25.00,pending,disabled,`,
          `${late},Ada Lovelace,Late,,,Europe/Amsterdam,2025-03-31 23:30:00,2025-04-01 00:30:00,2025-03-31T21:30:00Z,2025-03-31T22:30:00Z,0.50,yes,0.50,100.00,50.00,pending,disabled,`,
          '',
        ].join('\r\n'),
      );

      // The export adds up to the summary of the same range: 1 + 0.5 + 0.75 + 0.25 + 0.5 billed
      // hours; 120 + 50 + 75 + 25 + 50.
      const summary = await team.viewer
        .get(team.url('/reports/summary?from=2025-03-30&to=2025-04-01'))
        .expect(200);
      expect(summary.body.totals).toEqual(
        figures(
          3600 + 960 + 1800 + 2700 + 60 + 1800,
          3600 + 1800 + 2700 + 60 + 1800,
          '3.00',
          '320.00',
        ),
      );
    });

    it('applies the filters and answers problem+json before streaming anything', async () => {
      const filtered = await team.viewer
        .get(team.url('/reports/export.csv?from=2025-03-30&to=2025-04-01&is_billable=false'))
        .buffer(true)
        .parse((res, done) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
          res.on('end', () => done(null, text));
        })
        .expect(200);
      expect((filtered.body as string).split('\r\n').map((line) => line.split(',')[0])).toEqual([
        'block_id',
        String(ids[1]),
        '',
      ]);

      for (const query of [
        'from=2025-03-30',
        'from=2025-03-30&to=2026-04-01',
        'from=2025-03-30&to=2025-04-01&group_by=day',
        'from=2025-03-30&to=2025-04-01&timezone=Nowhere/Special',
      ]) {
        const response = await team.viewer.get(team.url(`/reports/export.csv?${query}`));
        expect({ query, status: response.status, type: response.headers['content-type'] }).toEqual({
          query,
          status: 422,
          type: expect.stringMatching(/^application\/problem\+json/),
        });
      }
      const outsider = await actingAs(t, await factory.user());
      const refused = await outsider.get(
        team.url('/reports/export.csv?from=2025-03-30&to=2025-04-01'),
      );
      expect(refused.status).toBe(404);
      expect(refused.text).not.toContain('Planning');
    });
  });

  it('pages through many blocks sharing a start time without losing or repeating one', async () => {
    // 2,500 blocks over three start times, interleaved by id: every page boundary falls among
    // blocks with the same start, where only the id can tell the keyset where to go on.
    const team = await reportTeam(t, factory);
    const start = Date.UTC(2025, 4, 5, 8);
    const rows = Array.from({ length: 2500 }, (_, n) => ({
      organizationId: team.organization.id,
      userId: team.member.user.id,
      title: `Tie ${n}`,
      startTime: new Date(start + (n % 3) * 3_600_000),
      endTime: new Date(start + (n % 3) * 3_600_000 + 1_800_000),
      timezone: 'UTC',
      isBillable: true,
    }));
    for (let i = 0; i < rows.length; i += 500) {
      await t.dataSource
        .createQueryBuilder()
        .insert()
        .into(TimeBlock)
        .values(rows.slice(i, i + 500))
        .updateEntity(false)
        .execute();
    }
    const response = await team.viewer
      .get(team.url('/reports/export.csv?from=2025-05-05&to=2025-05-06'))
      .buffer(true)
      .parse((res, done) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        res.on('end', () => done(null, text));
      })
      .expect(200);
    const titles = (response.body as string)
      .split('\r\n')
      .slice(1, -1)
      .map((line) => Number(line.split(',')[2].replace('Tie ', '')));
    // start 08:00 (n ≡ 0 mod 3), then 09:00, then 10:00; by id (= by n) within each
    const expected = [0, 1, 2].flatMap((r) =>
      Array.from({ length: 2500 }, (_, n) => n).filter((n) => n % 3 === r),
    );
    expect(titles).toEqual(expected);

    const summary = await team.viewer
      .get(team.url('/reports/summary?from=2025-05-05&to=2025-05-06&group_by=user'))
      .expect(200);
    // 2,500 × 30 min = 1250 h, 2 quarters each
    expect(summary.body.totals).toEqual(figures(2500 * 1800, 2500 * 1800, '1250.00', '125000.00'));
  });

  describe('streaming', () => {
    const BLOCKS = 20_000;
    let team: Team;

    beforeAll(async () => {
      // 20,000 ten-minute blocks, back to back from 2025-01-01T00:00Z (138 days), in bulk.
      team = await reportTeam(t, factory);
      const start = Date.UTC(2025, 0, 1);
      for (let offset = 0; offset < BLOCKS; offset += 1000) {
        const rows = Array.from({ length: 1000 }, (_, i) => {
          const n = offset + i;
          return {
            organizationId: team.organization.id,
            userId: team.member.user.id,
            title: `Bulk ${n}`,
            startTime: new Date(start + n * 600_000),
            endTime: new Date(start + (n + 1) * 600_000),
            timezone: 'UTC',
            isBillable: true,
          };
        });
        await t.dataSource
          .createQueryBuilder()
          .insert()
          .into(TimeBlock)
          .values(rows)
          .updateEntity(false)
          .execute();
      }
    }, 120_000);

    it('streams 20,000 rows in chunks, reading the blocks page by page as it sends', async () => {
      const recorder = recordQueries(t.dataSource);
      const chunks: Buffer[] = [];
      let readsAtFirstChunk = -1;
      try {
        const response = await team.viewer
          .get(team.url('/reports/export.csv?from=2025-01-01&to=2025-06-01'))
          .buffer(true)
          .parse((res, done) => {
            res.on('data', (chunk: Buffer) => {
              if (chunks.length === 0) readsAtFirstChunk = recorder.blockReads().length;
              chunks.push(chunk);
            });
            res.on('end', () => done(null, Buffer.concat(chunks).toString('utf8')));
          })
          .expect(200);

        // Sent as it is produced: chunked, with no length known up front.
        expect(response.headers['transfer-encoding']).toBe('chunked');
        expect(response.headers['content-length']).toBeUndefined();
        const lines = (response.body as string).split('\r\n');
        expect(lines).toHaveLength(BLOCKS + 2);
        expect(lines[0]).toBe(HEADER);
        expect(lines[1]).toMatch(
          /^\d+,User \d+,Bulk 0,,,UTC,2025-01-01 00:00:00,2025-01-01 00:10:00,/,
        );
        expect(lines[BLOCKS]).toMatch(/,Bulk 19999,/);
        expect(lines[BLOCKS + 1]).toBe('');
        expect(new Set(lines.slice(1, -1).map((line) => line.split(',')[0])).size).toBe(BLOCKS);
        expect(chunks.length).toBeGreaterThan(10);

        // Read in bounded pages (20 full ones and the empty one that ends it), not in one go,
        // and the first bytes were on their way before the last page was read.
        const reads = recorder.blockReads();
        expect(REPORT_PAGE_SIZE).toBeLessThanOrEqual(1000);
        expect(reads.length).toBeGreaterThanOrEqual(BLOCKS / REPORT_PAGE_SIZE);
        expect(reads.every((sql) => /\bLIMIT\b/i.test(sql))).toBe(true);
        expect(readsAtFirstChunk).toBeGreaterThan(0);
        expect(readsAtFirstChunk).toBeLessThan(reads.length / 2);
      } finally {
        recorder.stop();
      }
    }, 120_000);

    it('summarizes the same 20,000 blocks page by page, rounding each block', async () => {
      const recorder = recordQueries(t.dataSource);
      try {
        const response = await team.viewer
          .get(team.url('/reports/summary?from=2025-01-01&to=2025-06-01&group_by=month'))
          .expect(200);
        // 20,000 × 600 s; each block 1 quarter (summing first would bill 13,334 quarters)
        expect(response.body.totals).toEqual(
          figures(12_000_000, 12_000_000, '5000.00', '500000.00'),
        );
        // January: 31 days × 144 blocks a day = 4464 blocks
        expect(response.body.groups[0]).toMatchObject({
          key: { value: '2025-01' },
          ...figures(4464 * 600, 4464 * 600, '1116.00', '111600.00'),
        });
        expect(recorder.blockReads().length).toBeGreaterThanOrEqual(BLOCKS / REPORT_PAGE_SIZE);
      } finally {
        recorder.stop();
      }
    }, 120_000);
  });
});
