import { Factory } from '../factories';
import { makeTeam, Team } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import { blockBody, blockState, preventOverlaps } from './support';

/*
 * `prevent_overlaps`: with the setting on, a member's blocks may touch (10:00–11:00 after
 * 09:00–10:00) but not overlap; a block that would overlap is refused with 409 naming the blocks
 * in the way, and nothing is written. The check runs inside the write's transaction, so
 * simultaneous requests cannot both get in.
 */
describe('overlapping blocks', () => {
  let t: TestApp;
  let factory: Factory;
  let team: Team;

  beforeAll(async () => {
    t = await bootApp();
    factory = new Factory(t.dataSource);
    team = await makeTeam(t, factory);
  });
  afterAll(() => t?.close());

  const create = (body: Record<string, unknown>, as = team.member) =>
    as.post(team.url('/time-blocks'), body);
  const interval = (start: string, end: string, values: Record<string, unknown> = {}) => ({
    title: 'Block',
    start_time: start,
    end_time: end,
    ...values,
  });

  it('allows overlapping blocks while the organization does not prevent them', async () => {
    await preventOverlaps(team, false);
    await create(interval('2025-01-06T09:00:00Z', '2025-01-06T11:00:00Z')).expect(201);
    await create(interval('2025-01-06T10:00:00Z', '2025-01-06T12:00:00Z')).expect(201);
  });

  describe('with prevent_overlaps on', () => {
    beforeAll(() => preventOverlaps(team, true));

    it('accepts back-to-back blocks: intervals are half-open', async () => {
      await create(interval('2025-01-13T09:00:00Z', '2025-01-13T10:00:00Z')).expect(201);
      await create(interval('2025-01-13T10:00:00Z', '2025-01-13T11:00:00Z')).expect(201);
      await create(interval('2025-01-13T08:00:00Z', '2025-01-13T09:00:00Z')).expect(201);
    });

    it('refuses an overlapping block with 409 listing the blocks in the way, and writes nothing', async () => {
      const first = await create(interval('2025-01-14T09:00:00Z', '2025-01-14T10:00:00Z')).expect(
        201,
      );
      const second = await create(interval('2025-01-14T11:00:00Z', '2025-01-14T12:00:00Z')).expect(
        201,
      );
      const before = await blockState(t, team.organization.id);

      const response = await create(
        interval('2025-01-14T09:30:00Z', '2025-01-14T11:30:00Z'),
      ).expect(409);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body).toEqual({
        type: '/problems/conflict',
        title: 'Conflict',
        status: 409,
        detail:
          'The block overlaps 2 blocks of the same member, and this organization prevents overlaps.',
        conflicting_block_ids: [first.body.id, second.body.id],
      });
      // The block was written and then rolled back with its audit row and sync mark.
      expect(await blockState(t, team.organization.id)).toEqual(before);

      // Inside another block, or around it, is an overlap too.
      expect(
        (await create(interval('2025-01-14T09:15:00Z', '2025-01-14T09:45:00Z')).expect(409)).body
          .conflicting_block_ids,
      ).toEqual([first.body.id]);
      expect(
        (await create(interval('2025-01-14T08:00:00Z', '2025-01-14T13:00:00Z')).expect(409)).body
          .conflicting_block_ids,
      ).toEqual([first.body.id, second.body.id]);
    });

    it('finds overlaps expressed in other zones and wall-clock times', async () => {
      const existing = await create(
        interval('2025-01-15T09:00:00Z', '2025-01-15T10:00:00Z'),
      ).expect(201);
      const response = await create(
        interval('2025-01-15T10:30', '2025-01-15T11:30', { timezone: 'Europe/Amsterdam' }),
      ).expect(409);
      expect(response.body.conflicting_block_ids).toEqual([existing.body.id]);
      await create(
        interval('2025-01-15T11:00', '2025-01-15T12:00', { timezone: 'Europe/Amsterdam' }),
      ).expect(201);
    });

    it('only compares a member’s own live blocks', async () => {
      const mine = await create(interval('2025-01-16T09:00:00Z', '2025-01-16T10:00:00Z')).expect(
        201,
      );
      // A colleague's block at the same time is no conflict.
      await create(
        interval('2025-01-16T09:00:00Z', '2025-01-16T10:00:00Z', { user_id: team.admin.user.id }),
        team.admin,
      ).expect(201);
      // Neither is a deleted one.
      await team.member.delete(team.url(`/time-blocks/${mine.body.id}`)).expect(204);
      await create(interval('2025-01-16T09:00:00Z', '2025-01-16T10:00:00Z')).expect(201);
    });

    it('refuses moving a block onto another, and an admin planning into a member’s busy time', async () => {
      const morning = await create(interval('2025-01-17T09:00:00Z', '2025-01-17T10:00:00Z')).expect(
        201,
      );
      const noon = await create(interval('2025-01-17T12:00:00Z', '2025-01-17T13:00:00Z')).expect(
        201,
      );
      const before = await blockState(t, team.organization.id);

      const moved = await team.member
        .patch(team.url(`/time-blocks/${noon.body.id}`), {
          start_time: '2025-01-17T09:30:00Z',
          end_time: '2025-01-17T10:30:00Z',
        })
        .expect(409);
      expect(moved.body.conflicting_block_ids).toEqual([morning.body.id]);
      await create(
        interval('2025-01-17T09:45:00Z', '2025-01-17T12:15:00Z', {
          user_id: team.member.user.id,
        }),
        team.admin,
      ).expect(409);
      // Handing a block to someone who is busy then is refused as well.
      const adminsBlock = await create(
        interval('2025-01-17T12:30:00Z', '2025-01-17T13:30:00Z', { user_id: team.admin.user.id }),
        team.admin,
      ).expect(201);
      const afterAdminBlock = await blockState(t, team.organization.id);
      await team.admin
        .patch(team.url(`/time-blocks/${adminsBlock.body.id}`), { user_id: team.member.user.id })
        .expect(409);
      expect(await blockState(t, team.organization.id)).toEqual(afterAdminBlock);
      expect(afterAdminBlock.blocks.length).toBe(before.blocks.length + 1);

      // Moving a block within its own time is no conflict with itself.
      await team.member
        .patch(team.url(`/time-blocks/${noon.body.id}`), {
          start_time: '2025-01-17T12:15:00Z',
          end_time: '2025-01-17T13:15:00Z',
        })
        .expect(200);
    });

    it('lets blocks that already overlapped (before the setting) be edited without moving them', async () => {
      await preventOverlaps(team, false);
      const one = await create(interval('2025-01-20T09:00:00Z', '2025-01-20T11:00:00Z')).expect(
        201,
      );
      const two = await create(interval('2025-01-20T10:00:00Z', '2025-01-20T12:00:00Z')).expect(
        201,
      );
      await preventOverlaps(team, true);

      await team.member
        .patch(team.url(`/time-blocks/${one.body.id}`), { title: 'Renamed' })
        .expect(200);
      const shrink = await team.member
        .patch(team.url(`/time-blocks/${one.body.id}`), { end_time: '2025-01-20T10:30:00Z' })
        .expect(409);
      expect(shrink.body.conflicting_block_ids).toEqual([two.body.id]);
      await team.member
        .patch(team.url(`/time-blocks/${one.body.id}`), { end_time: '2025-01-20T10:00:00Z' })
        .expect(200);
    });

    it('lets exactly one of many simultaneous overlapping requests in', async () => {
      const racer = await makeTeam(t, factory);
      await preventOverlaps(racer, true);
      const attempts = 8;
      const responses = await Promise.all(
        Array.from({ length: attempts }, (_, n) =>
          racer.member.post(
            racer.url('/time-blocks'),
            blockBody(
              { title: `Racer ${n}`, end_time: `2025-01-21T10:${String(n).padStart(2, '0')}:00Z` },
              `2025-01-21T09:${String(n).padStart(2, '0')}:00Z`,
            ),
          ),
        ),
      );

      const statuses = responses.map((response) => response.status).sort();
      expect(statuses).toEqual([201, ...Array(attempts - 1).fill(409)]);
      const winner = responses.find((response) => response.status === 201)!;
      for (const loser of responses.filter((response) => response.status === 409)) {
        expect(loser.body.conflicting_block_ids).toEqual([winner.body.id]);
      }
      const stored = await blockState(t, racer.organization.id);
      expect(stored.blocks).toHaveLength(1);
      expect(stored.audit.map((row: { action: string }) => row.action)).toEqual([
        'organization.updated',
        'time_block.created',
      ]);
    });
  });
});
