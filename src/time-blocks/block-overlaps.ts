import { EntityManager, SelectQueryBuilder } from 'typeorm';
import { Membership } from '../auth/authenticated-user';
import { MAX_BLOCK_MS } from './block-time';
import { TimeBlock } from './time-block.entity';

/**
 * Blocks of one member overlapping `[from, to)` (half-open: touching is not overlapping). The
 * `start_time > from − 24 h` bound is implied by the 24-hour limit on blocks and gives the index
 * range (organization_id, user_id, start_time) both ends, so a range far in a long history does
 * not scan everything before it.
 */
export function whereOverlaps<T extends TimeBlock>(
  query: SelectQueryBuilder<T>,
  alias: string,
  from: Date,
  to: Date,
): SelectQueryBuilder<T> {
  return query
    .andWhere(`${alias}.startTime < :rangeTo`, { rangeTo: to })
    .andWhere(`${alias}.startTime > :earliestStart`, {
      earliestStart: new Date(from.getTime() - MAX_BLOCK_MS),
    })
    .andWhere(`${alias}.endTime > :rangeFrom`, { rangeFrom: from });
}

/**
 * For each given block, the other live blocks of its owner that overlap it, as the database
 * holds them now (this transaction's writes included). On MySQL the owner's range is read
 * with FOR UPDATE: its next-key locks keep a concurrent transaction from writing into the same
 * range until this one ends (the loser of such a race deadlocks and is retried, and then sees
 * the winner's block). SQLite runs one transaction at a time.
 */
export async function overlapsOf(
  manager: EntityManager,
  membership: Membership,
  blocks: TimeBlock[],
  locking: boolean,
): Promise<Map<TimeBlock, TimeBlock[]>> {
  const found = new Map<TimeBlock, TimeBlock[]>();
  const byUser = new Map<number, TimeBlock[]>();
  for (const block of blocks)
    byUser.set(block.userId, [...(byUser.get(block.userId) ?? []), block]);
  for (const [userId, own] of byUser) {
    const from = new Date(Math.min(...own.map((block) => block.startTime.getTime())));
    const to = new Date(Math.max(...own.map((block) => block.endTime.getTime())));
    const query = whereOverlaps(
      membership.scope
        .query(manager, TimeBlock, 'block')
        .andWhere('block.userId = :userId', { userId }),
      'block',
      from,
      to,
    );
    if (locking) query.setLock('pessimistic_write');
    const neighbours = await query.getMany();
    for (const block of own) {
      const conflicting = neighbours
        .filter(
          (other) =>
            other.id !== block.id &&
            other.startTime.getTime() < block.endTime.getTime() &&
            other.endTime.getTime() > block.startTime.getTime(),
        )
        .sort((a, b) => a.startTime.getTime() - b.startTime.getTime() || a.id - b.id);
      if (conflicting.length > 0) found.set(block, conflicting);
    }
  }
  return found;
}
