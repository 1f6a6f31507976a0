import { inTransaction } from '../../src/database/transaction';
import { Project } from '../../src/projects/project.entity';
import { ApprovalsService } from '../../src/time-blocks/approval/approvals.service';
import { TimeBlock } from '../../src/time-blocks/time-block.entity';
import { Factory } from '../factories';
import { makeTeam, Team } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import { blockAudit, blockBody, blockState, storedBlock } from '../time-blocks/support';

/*
 * Approval of billable time: an admin or owner approves blocks (by id, or a member's range) or
 * rejects them with a note; the member sees the note, edits the block and it is back in the
 * queue. Once the provider has locked or invoiced a block's entry its billing fields stay as
 * billed. Every transition leaves an audit row.
 */
describe('approving time blocks', () => {
  let t: TestApp;
  let factory: Factory;
  let team: Team;
  let project: Project;
  let hour = 0;

  beforeAll(async () => {
    t = await bootApp();
    factory = new Factory(t.dataSource);
    team = await makeTeam(t, factory);
    project = await factory.project(team.organization, {
      client: await factory.client(team.organization),
    });
    await team.admin.patch(team.url(), { settings: { require_approval: true } }).expect(200);
  });
  afterAll(() => t?.close());

  /** A billable block of the member, each one an hour after the previous (2025-03-03 on). */
  async function planned(values: Record<string, unknown> = {}, as = team.member) {
    const at = new Date(Date.UTC(2025, 2, 3, 8) + hour++ * 3_600_000).toISOString();
    const response = await as
      .post(team.url('/time-blocks'), blockBody({ project_id: project.id, ...values }, at))
      .expect(201);
    return response.body as { id: number; [field: string]: unknown };
  }

  const approve = (body: object, as = team.admin) =>
    as.post(team.url('/time-blocks/approve'), body);
  const reject = (body: object, as = team.admin) => as.post(team.url('/time-blocks/reject'), body);
  const show = async (id: number) =>
    (await team.viewer.get(team.url(`/time-blocks/${id}`)).expect(200)).body;

  async function sentToBilling(id: number, invoice: string): Promise<void> {
    const approvals = t.app.get(ApprovalsService);
    await inTransaction(t.dataSource, async (manager) =>
      approvals.markSentToBilling(
        manager,
        await manager.findOneByOrFail(TimeBlock, { id }),
        invoice,
        'sync:harvest',
      ),
    );
  }

  it('shows the organization setting and starts every block pending', async () => {
    const organization = await team.member.get(team.url()).expect(200);
    expect(organization.body.settings).toMatchObject({ require_approval: true });
    const block = await planned();
    expect(block).toMatchObject({
      approval_status: 'pending',
      approved_by: null,
      approved_at: null,
      rejection_note: null,
      invoice_reference: null,
    });
  });

  it('lets admins and owners decide, not members or viewers', async () => {
    const block = await planned();
    await approve({ ids: [block.id] }, team.member).expect(403);
    await approve({ ids: [block.id] }, team.viewer).expect(403);
    await reject({ ids: [block.id], note: 'no' }, team.member).expect(403);
    expect((await show(block.id)).approval_status).toBe('pending');
    await approve({ ids: [block.id] }, team.owner).expect(200);
    expect((await show(block.id)).approved_by).toBe(team.owner.user.id);
  });

  it('approves blocks by id, records who and when, and audits the transition', async () => {
    const first = await planned();
    const second = await planned();
    const before = Date.now();
    const response = await approve({ ids: [second.id, first.id] }).expect(200);

    expect(response.body.data.map((block: { id: number }) => block.id)).toEqual([
      second.id,
      first.id,
    ]);
    for (const id of [first.id, second.id]) {
      const block = await show(id);
      expect(block).toMatchObject({ approval_status: 'approved', approved_by: team.admin.user.id });
      expect(Date.parse(block.approved_at)).toBeGreaterThanOrEqual(before - 1000);
      expect((await blockAudit(t, id)).at(-1)).toEqual({
        action: 'time_block.approved',
        userId: team.admin.user.id,
        oldValues: {
          approval_status: 'pending',
          approved_by: null,
          approved_at: null,
          rejection_note: null,
        },
        newValues: {
          approval_status: 'approved',
          approved_by: team.admin.user.id,
          approved_at: block.approved_at,
          rejection_note: null,
        },
      });
    }

    // Approving again changes nothing and writes no second audit row.
    const audited = (await blockAudit(t, first.id)).length;
    await approve({ ids: [first.id] }).expect(200);
    expect(await blockAudit(t, first.id)).toHaveLength(audited);
  });

  it('approves a member’s pending blocks in a range, leaving rejected and other people’s alone', async () => {
    const other = await factory.user();
    await factory.member(team.organization, other, 'member');
    const day = '2025-04-07';
    const mine = await Promise.all(
      [9, 11, 13].map((h) =>
        team.member
          .post(
            team.url('/time-blocks'),
            blockBody({}, `${day}T${String(h).padStart(2, '0')}:00:00Z`),
          )
          .expect(201)
          .then((r) => r.body),
      ),
    );
    const theirs = await team.admin
      .post(team.url('/time-blocks'), blockBody({ user_id: other.id }, `${day}T09:00:00Z`))
      .expect(201);
    const nextDay = await team.member
      .post(team.url('/time-blocks'), blockBody({}, '2025-04-08T09:00:00Z'))
      .expect(201);
    await reject({ ids: [mine[2].id], note: 'Which client?' }).expect(200);

    const response = await approve({
      user_id: team.member.user.id,
      from: `${day}T00:00:00+02:00`,
      to: '2025-04-08T00:00:00+02:00',
    }).expect(200);

    expect(response.body.data.map((block: { id: number }) => block.id)).toEqual([
      mine[0].id,
      mine[1].id,
    ]);
    expect((await show(mine[2].id)).approval_status).toBe('rejected');
    expect((await show(theirs.body.id)).approval_status).toBe('pending');
    expect((await show(nextDay.body.id)).approval_status).toBe('pending');
  });

  it('rejects with a note the member sees; the member’s edit puts the block back to pending', async () => {
    const block = await planned();
    await reject({ ids: [block.id], note: '  Book this on the Acme project  ' }).expect(200);
    const rejected = await team.member.get(team.url(`/time-blocks/${block.id}`)).expect(200);
    expect(rejected.body).toMatchObject({
      approval_status: 'rejected',
      rejection_note: 'Book this on the Acme project',
      approved_by: null,
    });

    // A colour is not what was reviewed: still rejected.
    await team.member.patch(team.url(`/time-blocks/${block.id}`), { color: '#00ff00' }).expect(200);
    expect((await show(block.id)).approval_status).toBe('rejected');

    const edited = await team.member
      .patch(team.url(`/time-blocks/${block.id}`), { description: 'Acme: onboarding call' })
      .expect(200);
    expect(edited.body).toMatchObject({ approval_status: 'pending', rejection_note: null });

    const trail = (await blockAudit(t, block.id)).map((row) => row.action);
    expect(trail).toEqual([
      'time_block.created',
      'time_block.rejected',
      'time_block.updated',
      'time_block.updated',
      'time_block.approval_reset',
    ]);
    const reset = (await blockAudit(t, block.id)).at(-1)!;
    expect(reset).toMatchObject({
      userId: team.member.user.id,
      oldValues: { approval_status: 'rejected', rejection_note: 'Book this on the Acme project' },
      newValues: { approval_status: 'pending', rejection_note: null },
    });
  });

  it('puts an approved block back to pending when its times change', async () => {
    const block = await planned();
    await approve({ ids: [block.id] }).expect(200);
    const moved = await team.member
      .patch(team.url(`/time-blocks/${block.id}`), {
        end_time: new Date(Date.parse(block.end_time as string) + 3_600_000).toISOString(),
      })
      .expect(200);
    expect(moved.body).toMatchObject({
      approval_status: 'pending',
      approved_by: null,
      approved_at: null,
    });
  });

  it('answers 422 with field errors for bad requests and changes nothing', async () => {
    const block = await planned();
    const outsider = await makeTeam(t, factory);
    const foreign = await factory.timeBlock(outsider.organization, outsider.owner.user);
    const before = await blockState(t, team.organization.id);

    const cases: [object, string][] = [
      [{ ids: [block.id, foreign.id] }, 'ids'],
      [{ ids: [block.id], from: '2025-03-01T00:00:00Z', to: '2025-03-02T00:00:00Z' }, 'ids'],
      [{}, 'ids'],
      [{ from: '2025-03-01T00:00:00Z' }, 'to'],
      [{ from: '2025-03-01T00:00:00Z', to: '2025-02-01T00:00:00Z' }, 'to'],
      [
        {
          user_id: outsider.owner.user.id,
          from: '2025-03-01T00:00:00Z',
          to: '2025-03-02T00:00:00Z',
        },
        'user_id',
      ],
      [{ ids: ['one'] }, 'ids'],
      [{ ids: [block.id], unknown: true }, 'unknown'],
    ];
    for (const [body, field] of cases) {
      const response = await approve(body).expect(422);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(Object.keys(response.body.errors)).toContain(field);
    }
    await reject({ ids: [block.id] }).expect(422);
    const blank = await reject({ ids: [block.id], note: '   ' }).expect(422);
    expect(blank.body.errors.note).toEqual(['note must be 1 to 2000 characters']);
    const unknown = await reject({ ids: [block.id, foreign.id], note: 'x' }).expect(422);
    expect(unknown.body.errors.ids).toEqual([
      `id ${foreign.id} does not exist in this organization.`,
    ]);

    expect(await blockState(t, team.organization.id)).toEqual(before);
  });

  it('lists the review queue by approval status', async () => {
    const waiting = await planned();
    const approved = await planned();
    await approve({ ids: [approved.id] }).expect(200);
    const list = await team.admin
      .get(
        team.url(
          '/time-blocks?user_id=all&approval_status=pending&from=2025-03-03T00:00:00Z&to=2025-03-10T00:00:00Z&limit=100',
        ),
      )
      .expect(200);
    const ids = list.body.data.map((block: { id: number }) => block.id);
    expect(ids).toContain(waiting.id);
    expect(ids).not.toContain(approved.id);
    expect(
      list.body.data.every((b: { approval_status: string }) => b.approval_status === 'pending'),
    ).toBe(true);
    await team.admin
      .get(
        team.url(
          '/time-blocks?approval_status=maybe&from=2025-03-03T00:00:00Z&to=2025-03-10T00:00:00Z',
        ),
      )
      .expect(422);
  });

  describe('sent to billing', () => {
    let block: { id: number; [field: string]: unknown };

    beforeAll(async () => {
      block = await planned();
      await approve({ ids: [block.id] }).expect(200);
      await sentToBilling(block.id, 'INV-0042');
    });

    it('shows the invoice reference and audits the provider as the actor', async () => {
      expect(await show(block.id)).toMatchObject({
        approval_status: 'sent_to_billing',
        invoice_reference: 'INV-0042',
      });
      const [row] = await t.dataSource.query(
        "SELECT user_id, actor FROM audit_logs WHERE auditable_id = ? AND action = 'time_block.sent_to_billing'",
        [block.id],
      );
      expect(row).toEqual({ user_id: null, actor: 'sync:harvest' });
    });

    it('refuses changes of its billing fields and its deletion with a 409 that says why', async () => {
      const before = await blockState(t, team.organization.id);
      const edits: [Record<string, unknown>, string][] = [
        [{ start_time: '2025-03-03T05:00:00Z' }, 'start_time'],
        [{ is_billable: false }, 'is_billable'],
        [{ project_id: null }, 'project_id'],
      ];
      for (const [body, field] of edits) {
        const response = await team.admin
          .patch(team.url(`/time-blocks/${block.id}`), body)
          .expect(409);
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(response.body).toMatchObject({
          status: 409,
          detail: expect.stringContaining('sent to billing (invoice INV-0042)'),
          invoice_reference: 'INV-0042',
        });
        expect(response.body.locked_fields).toContain(field);
      }
      const removal = await team.member.delete(team.url(`/time-blocks/${block.id}`)).expect(409);
      expect(removal.body.detail).toContain('can no longer be deleted');
      const bulk = await team.member
        .post(team.url('/time-blocks/bulk'), {
          operations: [{ op: 'update', id: block.id, data: { end_time: '2025-03-04T00:00:00Z' } }],
        })
        .expect(409);
      expect(bulk.body.results[0]).toMatchObject({ status: 'failed', reason: 'conflict' });
      await approve({ ids: [block.id] }).expect(409);
      const rejection = await reject({ ids: [block.id], note: 'late' }).expect(409);
      expect(rejection.body.sent_to_billing_ids).toEqual([block.id]);

      expect(await blockState(t, team.organization.id)).toEqual(before);
    });

    it('still lets the member rename it', async () => {
      const renamed = await team.member
        .patch(team.url(`/time-blocks/${block.id}`), { title: 'Kick-off (billed)' })
        .expect(200);
      expect(renamed.body).toMatchObject({
        title: 'Kick-off (billed)',
        approval_status: 'sent_to_billing',
      });
    });
  });

  it('marks approved billable blocks for invoicing sync when the organization books time', async () => {
    const booking = await makeTeam(t, factory);
    await factory.integration(booking.organization, {
      provider: 'harvest',
      providerType: 'invoicing',
    });
    const created = await booking.member
      .post(booking.url('/time-blocks'), blockBody({}, '2025-03-05T09:00:00Z'))
      .expect(201);
    const nonBillable = await booking.member
      .post(booking.url('/time-blocks'), blockBody({ is_billable: false }, '2025-03-05T11:00:00Z'))
      .expect(201);
    const before = (await storedBlock(t, created.body.id))!;

    await booking.admin
      .post(booking.url('/time-blocks/approve'), { ids: [created.body.id, nonBillable.body.id] })
      .expect(200);

    const row = (await storedBlock(t, created.body.id))!;
    // The decision concerns the invoicing entry: its version moves on, the calendar's does not.
    expect(row).toMatchObject({
      invoicingSyncStatus: 'pending',
      invoicingSyncVersion: before.invoicingSyncVersion + 1,
      syncVersion: before.syncVersion,
      calendarSyncStatus: before.calendarSyncStatus,
    });
    const untouched = (await storedBlock(t, nonBillable.body.id))!;
    expect(untouched).toMatchObject({
      approvalStatus: 'approved',
      invoicingSyncStatus: 'disabled',
    });
  });
});
