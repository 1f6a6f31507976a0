import { Factory } from '../factories';
import { Team } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import { block, figures, reportTeam } from '../reports/support';

/*
 * The approval and invoicing status in reports: what is still waiting, what is approved, what is
 * booked or failed to book, and what is billed, with the invoice it went on.
 */
describe('reports by approval and invoicing status', () => {
  let t: TestApp;
  let factory: Factory;
  let team: Team;
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    t = await bootApp();
    factory = new Factory(t.dataSource);
    team = await reportTeam(t, factory);
    const user = team.member.user;
    const plan = async (name: string, start: string, end: string, values = {}) =>
      (ids[name] = (await block(factory, team.organization, user, start, end, values)).id);
    // 1 h pending, 1.5 h approved, 0.25 h rejected, 2 h billed on invoice 2025-017.
    await plan('pending', '2025-03-03T09:00:00Z', '2025-03-03T10:00:00Z');
    await plan('approved', '2025-03-03T10:00:00Z', '2025-03-03T11:30:00Z', {
      approvalStatus: 'approved',
      invoicingSyncStatus: 'error',
    });
    await plan('rejected', '2025-03-03T12:00:00Z', '2025-03-03T12:10:00Z', {
      approvalStatus: 'rejected',
      rejectionNote: 'Which project?',
    });
    await plan('billed', '2025-03-04T09:00:00Z', '2025-03-04T11:00:00Z', {
      approvalStatus: 'sent_to_billing',
      invoicingSyncStatus: 'synced',
      invoiceReference: '2025-017',
    });
    // Booked, not yet invoiced (0.5 h), and one from before invoicing existed (NULL: disabled).
    await plan('booked', '2025-03-05T09:00:00Z', '2025-03-05T09:30:00Z', {
      approvalStatus: 'approved',
      invoicingSyncStatus: 'synced',
    });
    await plan('legacy', '2025-03-06T09:00:00Z', '2025-03-06T09:15:00Z', {
      invoicingSyncStatus: null,
    });
  });
  afterAll(() => t?.close());

  const summary = (query: string) =>
    team.viewer.get(team.url(`/reports/summary?from=2025-03-01&to=2025-04-01${query}`));

  it('groups by approval status in the order a block goes through them', async () => {
    const response = await summary('&group_by=approval_status').expect(200);
    expect(response.body.groups).toEqual([
      {
        key: { dimension: 'approval_status', value: 'pending' },
        ...figures(4500, 4500, '1.25', '125.00'),
      },
      {
        key: { dimension: 'approval_status', value: 'approved' },
        ...figures(7200, 7200, '2.00', '200.00'),
      },
      {
        key: { dimension: 'approval_status', value: 'rejected' },
        ...figures(600, 600, '0.25', '25.00'),
      },
      {
        key: { dimension: 'approval_status', value: 'sent_to_billing' },
        ...figures(7200, 7200, '2.00', '200.00'),
      },
    ]);
    expect(response.body.totals).toEqual(figures(19500, 19500, '5.50', '550.00'));
  });

  it('filters by approval status, alone and under other groups', async () => {
    const approved = await summary('&approval_status=approved&group_by=user').expect(200);
    expect(approved.body.totals).toEqual(figures(7200, 7200, '2.00', '200.00'));
    const nested = await summary('&group_by=day,approval_status').expect(200);
    expect(
      nested.body.groups.map(
        (day: { key: { value: string }; groups: { key: { value: string } }[] }) => [
          day.key.value,
          day.groups.map((group) => group.key.value),
        ],
      ),
    ).toEqual([
      ['2025-03-03', ['pending', 'approved', 'rejected']],
      ['2025-03-04', ['sent_to_billing']],
      ['2025-03-05', ['approved']],
      ['2025-03-06', ['pending']],
    ]);
    const bad = await summary('&approval_status=invoiced').expect(422);
    expect(Object.keys(bad.body.errors)).toEqual(['approval_status']);
  });

  it('groups by invoicing status, NULL counting as disabled, under the approval status', async () => {
    const response = await summary('&group_by=invoicing_status').expect(200);
    expect(response.body.groups).toEqual([
      {
        key: { dimension: 'invoicing_status', value: 'synced' },
        ...figures(9000, 9000, '2.50', '250.00'),
      },
      {
        key: { dimension: 'invoicing_status', value: 'error' },
        ...figures(5400, 5400, '1.50', '150.00'),
      },
      {
        key: { dimension: 'invoicing_status', value: 'disabled' },
        ...figures(5100, 5100, '1.50', '150.00'),
      },
    ]);
    const nested = await summary('&group_by=approval_status,invoicing_status').expect(200);
    const approved = nested.body.groups.find(
      (group: { key: { value: string } }) => group.key.value === 'approved',
    );
    expect(
      approved.groups.map((group: { key: { value: string }; total_seconds: number }) => [
        group.key.value,
        group.total_seconds,
      ]),
    ).toEqual([
      ['synced', 1800],
      ['error', 5400],
    ]);
  });

  it('filters by invoicing status, and refuses an unknown one', async () => {
    const synced = await summary('&invoicing_status=synced').expect(200);
    expect(synced.body.totals).toEqual(figures(9000, 9000, '2.50', '250.00'));
    const disabled = await summary('&invoicing_status=disabled&group_by=approval_status');
    expect(disabled.status).toBe(200);
    expect(disabled.body.groups.map((g: { key: { value: string } }) => g.key.value)).toEqual([
      'pending',
      'rejected',
    ]);
    expect(disabled.body.totals).toEqual(figures(5100, 5100, '1.50', '150.00'));
    const both = await summary('&invoicing_status=synced&approval_status=sent_to_billing');
    expect(both.body.totals).toEqual(figures(7200, 7200, '2.00', '200.00'));

    const bad = await summary('&invoicing_status=invoiced&group_by=status').expect(422);
    expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Object.keys(bad.body.errors).sort()).toEqual(['group_by', 'invoicing_status']);
    const csv = await team.viewer.get(
      team.url('/reports/export.csv?from=2025-03-01&to=2025-04-01&invoicing_status=booked'),
    );
    expect(csv.status).toBe(422);
    expect(Object.keys(csv.body.errors)).toEqual(['invoicing_status']);
  });

  it('shows each block with its statuses and invoice reference in the detailed report', async () => {
    const response = await summary('&invoicing_status=synced&group_by=block').expect(200);
    expect(response.body.groups).toEqual([
      {
        key: {
          dimension: 'block',
          id: ids.billed,
          title: expect.any(String),
          start: '2025-03-04T09:00:00.000Z',
          end: '2025-03-04T11:00:00.000Z',
          approval_status: 'sent_to_billing',
          invoicing_status: 'synced',
          invoice_reference: '2025-017',
        },
        ...figures(7200, 7200, '2.00', '200.00'),
      },
      {
        key: {
          dimension: 'block',
          id: ids.booked,
          title: expect.any(String),
          start: '2025-03-05T09:00:00.000Z',
          end: '2025-03-05T09:30:00.000Z',
          approval_status: 'approved',
          invoicing_status: 'synced',
          invoice_reference: null,
        },
        ...figures(1800, 1800, '0.50', '50.00'),
      },
    ]);
    // Under another level, a block is the innermost group of its day.
    const byDay = await summary('&group_by=day,block').expect(200);
    expect(
      byDay.body.groups.map((day: { groups: { key: { id: number } }[] }) =>
        day.groups.map((group) => group.key.id),
      ),
    ).toEqual([
      [ids.pending, ids.approved, ids.rejected],
      [ids.billed],
      [ids.booked],
      [ids.legacy],
    ]);
  });

  it('exports the approval and invoicing status and invoice reference in the CSV', async () => {
    const response = await team.viewer
      .get(
        team.url(
          '/reports/export.csv?from=2025-03-01&to=2025-04-01&approval_status=sent_to_billing',
        ),
      )
      .buffer(true)
      .parse((res, done) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        res.on('end', () => done(null, text));
      })
      .expect(200);
    const [header, row, end] = (response.body as string).split('\r\n');
    const columns = header.split(',');
    const values = row.split(',');
    expect(end).toBe('');
    expect(values[columns.indexOf('block_id')]).toBe(String(ids.billed));
    expect(values[columns.indexOf('approval_status')]).toBe('sent_to_billing');
    expect(values[columns.indexOf('invoicing_status')]).toBe('synced');
    expect(values[columns.indexOf('invoice_reference')]).toBe('2025-017');
  });
});
