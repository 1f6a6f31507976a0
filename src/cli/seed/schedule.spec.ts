import { SeededRandom } from './random';
import { DEMO_SCHEDULE, planBlocks, scheduleCapacity, workingDays } from './schedule';
import { wallClock, zonedTimeToUtc } from './zoned-time';

function local(date: Date) {
  const wall = wallClock(date, 'Europe/Amsterdam');
  return { ...wall, minutes: wall.hour * 60 + wall.minute };
}

describe('demo schedule', () => {
  // Spans the spring-forward weekend (30 March 2025) and the one in October is covered below.
  const now = new Date('2025-03-26T10:00:00Z');

  it('converts Amsterdam wall-clock time to UTC on both sides of a DST change', () => {
    expect(
      zonedTimeToUtc({ year: 2025, month: 3, day: 28 }, 9 * 60, 'Europe/Amsterdam').toISOString(),
    ).toBe('2025-03-28T08:00:00.000Z');
    expect(
      zonedTimeToUtc({ year: 2025, month: 3, day: 31 }, 9 * 60, 'Europe/Amsterdam').toISOString(),
    ).toBe('2025-03-31T07:00:00.000Z');
    expect(
      zonedTimeToUtc(
        { year: 2025, month: 10, day: 27 },
        17 * 60 + 30,
        'Europe/Amsterdam',
      ).toISOString(),
    ).toBe('2025-10-27T16:30:00.000Z');
  });

  it('uses the 20 weekdays of the two weeks before and after today', () => {
    const days = workingDays(now, DEMO_SCHEDULE);
    expect(days).toHaveLength(20);
    expect(days[0]).toEqual({ year: 2025, month: 3, day: 12 });
    expect(days.at(-1)).toEqual({ year: 2025, month: 4, day: 8 });
  });

  it.each([1, 37, 400, 2000])(
    'plans %i blocks in working hours without overlaps per person',
    (count) => {
      const blocks = planBlocks(count, 5, new SeededRandom(1), now);

      expect(blocks).toHaveLength(count);
      const byPerson = new Map<number, typeof blocks>();
      for (const block of blocks)
        byPerson.set(block.person, [...(byPerson.get(block.person) ?? []), block]);
      for (const own of byPerson.values()) {
        own.forEach((block, index) => {
          expect(block.end.getTime()).toBeGreaterThan(block.start.getTime());
          if (index > 0)
            expect(block.start.getTime()).toBeGreaterThanOrEqual(own[index - 1].end.getTime());
          const start = local(block.start);
          const end = local(block.end);
          expect(start.minutes).toBeGreaterThanOrEqual(8 * 60 + 30);
          expect(end.minutes).toBeLessThanOrEqual(17 * 60 + 30);
          expect(end.day).toBe(start.day);
          expect(start.minutes % 15).toBe(0);
        });
      }
    },
  );

  it('is repeatable for the same seed', () => {
    expect(planBlocks(50, 3, new SeededRandom(7), now)).toEqual(
      planBlocks(50, 3, new SeededRandom(7), now),
    );
  });

  it('fills every slot at full capacity and refuses one more', () => {
    const capacity = scheduleCapacity(now, 2);
    expect(capacity).toBe(20 * 2 * 36);
    expect(planBlocks(capacity, 2, new SeededRandom(3), now)).toHaveLength(capacity);
    expect(() => planBlocks(capacity + 1, 2, new SeededRandom(3), now)).toThrow(RangeError);
  });
});
