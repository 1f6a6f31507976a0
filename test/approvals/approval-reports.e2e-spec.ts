import { Factory } from '../factories';
import { Team } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import { block, figures, reportTeam } from '../reports/support';

/*
 * The approval status in reports: what is still waiting, what is approved and what is billed,
 * with the invoice it went on.
 */
describe('reports by approval status', () => {
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
    });
    await plan('rejected', '2025-03-03T12:00:00Z', '2025-03-03T12:10:00Z', {
      approvalStatus: 'rejected',
      rejectionNote: 'Which project?',
    });
    await plan('billed', '2025-03-04T09:00:00Z', '2025-03-04T11:00:00Z', {
      approvalStatus: 'sent_to_billing',
      invoiceReference: '2025-017',
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
        ...figures(3600, 3600, '1.00', '100.00'),
      },
      {
        key: { dimension: 'approval_status', value: 'approved' },
        ...figures(5400, 5400, '1.50', '150.00'),
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
    expect(response.body.totals).toEqual(figures(16800, 16800, '4.75', '475.00'));
  });

  it('filters by approval status, alone and under other groups', async () => {
    const approved = await summary('&approval_status=approved&group_by=user').expect(200);
    expect(approved.body.totals).toEqual(figures(5400, 5400, '1.50', '150.00'));
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
    ]);
    const bad = await summary('&approval_status=invoiced').expect(422);
    expect(Object.keys(bad.body.errors)).toEqual(['approval_status']);
  });

  it('exports the approval status and invoice reference in the CSV', async () => {
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
    expect(values[columns.indexOf('invoice_reference')]).toBe('2025-017');
  });
});
