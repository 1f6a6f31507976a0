import { Calendar } from '../../src/calendars/calendar.entity';
import { TimeBlock } from '../../src/time-blocks/time-block.entity';
import { Factory } from '../factories';
import { makeTeam, Team } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import {
  blockAudit,
  blockBody,
  blockState,
  HOUR_MS,
  preventOverlaps,
  storedBlock,
} from './support';

/*
 * `POST …/time-blocks/bulk`: what a calendar does after a drag-and-drop of several blocks, or an
 * import — many creates, updates and deletes that land together or not at all, with a result per
 * operation either way.
 */
describe('bulk changes to time blocks', () => {
  let t: TestApp;
  let factory: Factory;
  let team: Team;
  let calendar: Calendar;

  beforeAll(async () => {
    t = await bootApp();
    factory = new Factory(t.dataSource);
    team = await makeTeam(t, factory);
    calendar = await factory.calendar(
      await factory.integration(team.organization, { connectedBy: team.member.user }),
    );
  });
  afterAll(() => t?.close());

  const bulk = (operations: unknown[], as = team.member) =>
    as.post(team.url('/time-blocks/bulk'), { operations });
  const mine = (
    start: string,
    values: Omit<Partial<TimeBlock>, 'calendar' | 'client' | 'project'> = {},
  ) =>
    factory.timeBlock(team.organization, team.member.user, {
      startTime: new Date(start),
      endTime: new Date(new Date(start).getTime() + HOUR_MS),
      ...values,
    });

  it('applies creates, updates and deletes together and answers one result per operation', async () => {
    const toMove = await mine('2025-02-03T09:00:00Z', { calendarId: calendar.id });
    const toDelete = await mine('2025-02-03T11:00:00Z');
    const untouched = await mine('2025-02-03T13:00:00Z', { title: 'Same' });

    const response = await bulk([
      { op: 'create', data: blockBody({ calendar_id: calendar.id }, '2025-02-04T09:00:00Z') },
      {
        op: 'update',
        id: toMove.id,
        data: { start_time: '2025-02-03T10:00:00Z', end_time: '2025-02-03T11:00:00Z' },
      },
      { op: 'delete', id: toDelete.id },
      { op: 'update', id: untouched.id, data: { title: 'Same' } },
    ]).expect(200);

    const createdId = response.body.results[0].id;
    expect(response.body).toEqual({
      results: [
        { index: 0, op: 'create', id: expect.any(Number), status: 'created' },
        { index: 1, op: 'update', id: toMove.id, status: 'updated' },
        { index: 2, op: 'delete', id: toDelete.id, status: 'deleted' },
        { index: 3, op: 'update', id: untouched.id, status: 'unchanged' },
      ],
    });

    expect(await storedBlock(t, createdId)).toMatchObject({
      userId: team.member.user.id,
      startTime: new Date('2025-02-04T09:00:00Z'),
      calendarSyncStatus: 'pending',
      syncVersion: 1,
    });
    expect(await storedBlock(t, toMove.id)).toMatchObject({
      startTime: new Date('2025-02-03T10:00:00Z'),
      calendarSyncStatus: 'pending',
      syncVersion: 1,
    });
    expect((await storedBlock(t, toDelete.id))?.deletedAt).toBeInstanceOf(Date);

    // One audit row per changed block; none for the operation that changed nothing.
    expect((await blockAudit(t, createdId)).map((row) => row.action)).toEqual([
      'time_block.created',
    ]);
    expect(await blockAudit(t, toMove.id)).toEqual([
      {
        action: 'time_block.updated',
        userId: team.member.user.id,
        oldValues: { start_time: '2025-02-03T09:00:00.000Z', end_time: '2025-02-03T10:00:00.000Z' },
        newValues: { start_time: '2025-02-03T10:00:00.000Z', end_time: '2025-02-03T11:00:00.000Z' },
      },
    ]);
    expect((await blockAudit(t, toDelete.id)).map((row) => row.action)).toEqual([
      'time_block.deleted',
    ]);
    expect(await blockAudit(t, untouched.id)).toEqual([]);
  });

  it('applies nothing when one operation breaks a rule, and says which and why (422)', async () => {
    const existing = await mine('2025-02-05T09:00:00Z');
    const before = await blockState(t, team.organization.id);

    const response = await bulk([
      { op: 'create', data: blockBody({}, '2025-02-06T09:00:00Z') },
      { op: 'update', id: existing.id, data: { title: 'Renamed' } },
      {
        op: 'create',
        data: blockBody({ end_time: '2025-02-06T09:00:00Z' }, '2025-02-06T10:00:00Z'),
      },
      { op: 'delete', id: 999_999_999 },
    ]).expect(422);

    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toEqual({
      type: '/problems/validation-error',
      title: 'Unprocessable Entity',
      status: 422,
      detail: 'No operation was applied: 2 of 4 failed.',
      errors: {
        'operations.2.data.end_time': ['end_time must be after start_time'],
        'operations.3.id': ['id does not exist in this organization.'],
      },
      results: [
        { index: 0, op: 'create', id: null, status: 'not_applied' },
        { index: 1, op: 'update', id: existing.id, status: 'not_applied' },
        {
          index: 2,
          op: 'create',
          id: null,
          status: 'failed',
          reason: 'invalid',
          errors: { 'operations.2.data.end_time': ['end_time must be after start_time'] },
        },
        {
          index: 3,
          op: 'delete',
          id: 999_999_999,
          status: 'failed',
          reason: 'invalid',
          errors: { 'operations.3.id': ['id does not exist in this organization.'] },
        },
      ],
    });
    expect(await blockState(t, team.organization.id)).toEqual(before);
  });

  it('validates every operation’s shape and fields, reporting them by path', async () => {
    const existing = await mine('2025-02-07T09:00:00Z');
    const before = await blockState(t, team.organization.id);

    const response = await bulk([
      { op: 'create', id: existing.id, data: blockBody() },
      { op: 'update', data: { title: 'No id' } },
      { op: 'delete', id: existing.id, data: { title: 'Why' } },
      { op: 'update', id: existing.id, data: { colour: 'red', start_time: 'soon' } },
      { op: 'move', id: existing.id },
      { op: 'create', data: blockBody(), extra: true },
      { op: 'create' },
    ]).expect(422);

    expect(response.body.errors).toEqual({
      'operations.0.id': ['id is not accepted on create; the block gets a new id'],
      'operations.1.id': ['id must be the id of a time block'],
      'operations.2.data': ['data is not accepted on delete'],
      'operations.3.data.colour': ['operations.3.data.colour is not an accepted field.'],
      'operations.3.data.start_time': [expect.stringContaining('start_time must be an ISO 8601')],
      'operations.4.op': ['op must be one of create, update, delete'],
      'operations.5.extra': ['operations.5.extra is not an accepted field.'],
      'operations.6.data': ['data must be an object'],
    });
    expect(response.body.results.map((result: { status: string }) => result.status)).toEqual(
      Array(7).fill('failed'),
    );
    expect(response.body.results[4]).toMatchObject({ op: null, id: existing.id });
    expect(await blockState(t, team.organization.id)).toEqual(before);
  });

  it('takes 1 to 500 operations, each changing a different block', async () => {
    const existing = await mine('2025-02-10T09:00:00Z');
    const before = await blockState(t, team.organization.id);

    expect((await bulk([]).expect(422)).body.errors).toEqual({
      operations: ['operations must contain at least 1 elements'],
    });
    const tooMany = Array.from({ length: 501 }, () => ({ op: 'delete', id: existing.id }));
    expect(Object.keys((await bulk(tooMany).expect(422)).body.errors)).toEqual(['operations']);
    expect(
      (await team.member.post(team.url('/time-blocks/bulk'), { operations: 'all' }).expect(422))
        .body.errors,
    ).toHaveProperty('operations');

    const twice = await bulk([
      { op: 'update', id: existing.id, data: { title: 'One' } },
      { op: 'delete', id: existing.id },
    ]).expect(422);
    expect(twice.body.errors).toEqual({
      'operations.1.id': ['id is already changed by operation 0; one operation per block.'],
    });
    expect(await blockState(t, team.organization.id)).toEqual(before);
  });

  it('imports 500 blocks in one request', async () => {
    const importer = await makeTeam(t, factory);
    const operations = Array.from({ length: 500 }, (_, n) => ({
      op: 'create',
      data: blockBody(
        { title: `Imported ${n}` },
        new Date(Date.UTC(2025, 0, 1) + n * 2 * HOUR_MS).toISOString(),
      ),
    }));

    const response = await importer.member
      .post(importer.url('/time-blocks/bulk'), { operations })
      .expect(200);

    expect(response.body.results).toHaveLength(500);
    expect(response.body.results.every((r: { status: string }) => r.status === 'created')).toBe(
      true,
    );
    const state = await blockState(t, importer.organization.id);
    expect(state.blocks).toHaveLength(500);
    expect(
      state.audit.filter((row: { action: string }) => row.action === 'time_block.created'),
    ).toHaveLength(500);
  });

  it('checks permissions per operation: a colleague’s block is 403 for a member, fine for an admin', async () => {
    const colleague = await factory.user();
    await factory.member(team.organization, colleague, 'member');
    const theirs = await factory.timeBlock(team.organization, colleague);
    const own = await mine('2025-02-11T09:00:00Z');
    const before = await blockState(t, team.organization.id);

    const refused = await bulk([
      { op: 'update', id: own.id, data: { title: 'Mine' } },
      { op: 'delete', id: theirs.id },
      { op: 'create', data: blockBody({ user_id: colleague.id }, '2025-02-11T12:00:00Z') },
    ]).expect(403);
    expect(refused.body).toMatchObject({
      status: 403,
      errors: {
        'operations.1': ['You can only delete your own time blocks.'],
        'operations.2': ['You can only plan time blocks for yourself.'],
      },
    });
    expect(refused.body.results.map((r: { status: string }) => r.status)).toEqual([
      'not_applied',
      'failed',
      'failed',
    ]);
    expect(refused.body.results[1]).toMatchObject({ reason: 'forbidden', id: theirs.id });
    expect(await blockState(t, team.organization.id)).toEqual(before);

    // Mixed reasons answer 422.
    await bulk([
      { op: 'delete', id: theirs.id },
      { op: 'update', id: own.id, data: { end_time: '2025-02-11T08:00:00Z' } },
    ]).expect(422);

    await bulk([{ op: 'delete', id: theirs.id }], team.admin).expect(200);
    expect((await storedBlock(t, theirs.id))?.deletedAt).toBeInstanceOf(Date);
  });

  it('treats another organization’s block id as an unknown id (422 on the item)', async () => {
    const elsewhere = await makeTeam(t, factory);
    const theirs = await factory.timeBlock(elsewhere.organization, elsewhere.member.user);
    const before = await blockState(t, elsewhere.organization.id);

    const response = await bulk(
      [{ op: 'update', id: theirs.id, data: { title: 'Mine now' } }],
      team.owner,
    ).expect(422);
    expect(response.body.errors).toEqual({
      'operations.0.id': ['id does not exist in this organization.'],
    });
    expect(response.text).not.toContain(theirs.title);
    expect(await blockState(t, elsewhere.organization.id)).toEqual(before);
  });

  describe('with prevent_overlaps on', () => {
    let swapper: Team;
    beforeAll(async () => {
      swapper = await makeTeam(t, factory);
      await preventOverlaps(swapper, true);
    });
    const swapperBulk = (operations: unknown[]) =>
      swapper.member.post(swapper.url('/time-blocks/bulk'), { operations });
    const block = (start: string) =>
      factory.timeBlock(swapper.organization, swapper.member.user, {
        startTime: new Date(start),
        endTime: new Date(new Date(start).getTime() + HOUR_MS),
      });

    it('checks overlaps against the final state: two blocks can trade places in one request', async () => {
      const first = await block('2025-03-03T09:00:00Z');
      const second = await block('2025-03-03T10:00:00Z');
      const trade = (id: number, start: string) => ({
        op: 'update',
        id,
        data: {
          start_time: start,
          end_time: new Date(new Date(start).getTime() + HOUR_MS).toISOString(),
        },
      });

      // One at a time, the first move would overlap the other block.
      await swapper.member
        .patch(
          swapper.url(`/time-blocks/${first.id}`),
          trade(first.id, '2025-03-03T09:30:00Z').data,
        )
        .expect(409);

      const response = await swapperBulk([
        trade(first.id, '2025-03-03T10:00:00Z'),
        trade(second.id, '2025-03-03T09:00:00Z'),
      ]).expect(200);
      expect(response.body.results.map((r: { status: string }) => r.status)).toEqual([
        'updated',
        'updated',
      ]);
      expect((await storedBlock(t, first.id))?.startTime).toEqual(new Date('2025-03-03T10:00:00Z'));
      expect((await storedBlock(t, second.id))?.startTime).toEqual(
        new Date('2025-03-03T09:00:00Z'),
      );
    });

    it('answers 409 when only overlaps failed, naming existing blocks and other operations', async () => {
      const existing = await block('2025-03-04T09:00:00Z');
      const before = await blockState(t, swapper.organization.id);

      const response = await swapperBulk([
        { op: 'create', data: blockBody({}, '2025-03-04T12:00:00Z') },
        { op: 'create', data: blockBody({}, '2025-03-04T09:30:00Z') },
        { op: 'create', data: blockBody({}, '2025-03-04T12:30:00Z') },
      ]).expect(409);

      expect(response.body).toMatchObject({
        type: '/problems/conflict',
        status: 409,
        detail: 'No operation was applied: 3 of 3 failed.',
      });
      expect(response.body.results).toEqual([
        expect.objectContaining({
          index: 0,
          status: 'failed',
          reason: 'conflict',
          conflicting_block_ids: [],
          conflicting_operations: [2],
        }),
        expect.objectContaining({
          index: 1,
          status: 'failed',
          reason: 'conflict',
          conflicting_block_ids: [existing.id],
          conflicting_operations: [],
        }),
        expect.objectContaining({
          index: 2,
          id: null,
          status: 'failed',
          reason: 'conflict',
          conflicting_operations: [0],
        }),
      ]);
      expect(await blockState(t, swapper.organization.id)).toEqual(before);
    });

    it('reports rule violations (422) before overlaps', async () => {
      await block('2025-03-05T09:00:00Z');
      const response = await swapperBulk([
        { op: 'create', data: blockBody({}, '2025-03-05T09:00:00Z') },
        { op: 'create', data: blockBody({ title: '' }, '2025-03-05T11:00:00Z') },
      ]).expect(422);
      expect(response.body.results.map((r: { status: string }) => r.status)).toEqual([
        'not_applied',
        'failed',
      ]);
    });
  });
});
