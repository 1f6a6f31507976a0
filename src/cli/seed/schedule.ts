import { SeededRandom } from './random';
import { addDays, CalendarDate, wallClock, zonedTimeToUtc } from './zoned-time';

/**
 * Where the demo blocks go in time: the working days (Mon–Fri) of the past two weeks and the next
 * two weeks, 08:30–17:30 wall-clock time, on a 15-minute grid. Each person's blocks on a day are
 * laid end to end with random gaps (often none: back-to-back), so by construction no two blocks
 * of one person overlap, and every block ends after it starts.
 */
export interface ScheduleShape {
  timeZone: string;
  daysBack: number;
  daysAhead: number;
  dayStartMinutes: number;
  dayEndMinutes: number;
  slotMinutes: number;
}

export const DEMO_SCHEDULE: ScheduleShape = {
  timeZone: 'Europe/Amsterdam',
  daysBack: 14,
  daysAhead: 14,
  dayStartMinutes: 8 * 60 + 30,
  dayEndMinutes: 17 * 60 + 30,
  slotMinutes: 15,
};

export interface PlannedBlock {
  /** Index into the list of people passed in. */
  person: number;
  start: Date;
  end: Date;
}

/** Monday–Friday dates (in the zone) from `daysBack` days ago up to `daysAhead` days from now. */
export function workingDays(now: Date, shape: ScheduleShape): CalendarDate[] {
  const today = wallClock(now, shape.timeZone);
  const days: CalendarDate[] = [];
  for (let offset = -shape.daysBack; offset < shape.daysAhead; offset++) {
    const { isoWeekday, ...date } = addDays(today, offset);
    if (isoWeekday <= 5) days.push(date);
  }
  return days;
}

function slotsPerDay(shape: ScheduleShape): number {
  return Math.floor((shape.dayEndMinutes - shape.dayStartMinutes) / shape.slotMinutes);
}

/** The most blocks that fit: one slot each, every slot of every working day of every person. */
export function scheduleCapacity(
  now: Date,
  people: number,
  shape: ScheduleShape = DEMO_SCHEDULE,
): number {
  return workingDays(now, shape).length * people * slotsPerDay(shape);
}

/** Plans `count` blocks over `people` people, ordered by start time. */
export function planBlocks(
  count: number,
  people: number,
  random: SeededRandom,
  now: Date,
  shape: ScheduleShape = DEMO_SCHEDULE,
): PlannedBlock[] {
  const capacity = scheduleCapacity(now, people, shape);
  if (count > capacity) throw new RangeError(`at most ${capacity} blocks fit, ${count} requested`);

  const days = workingDays(now, shape);
  const slots = slotsPerDay(shape);
  const perDay = spreadOverDays(count, days.length * people, slots, random);

  const planned: PlannedBlock[] = [];
  perDay.forEach((blocks, index) => {
    if (blocks === 0) return;
    const person = index % people;
    const date = days[Math.floor(index / people)];
    for (const [startSlot, length] of layOutDay(blocks, slots, random)) {
      const minutes = shape.dayStartMinutes + startSlot * shape.slotMinutes;
      planned.push({
        person,
        start: zonedTimeToUtc(date, minutes, shape.timeZone),
        end: zonedTimeToUtc(date, minutes + length * shape.slotMinutes, shape.timeZone),
      });
    }
  });
  return planned.sort((a, b) => a.start.getTime() - b.start.getTime() || a.person - b.person);
}

/**
 * How many blocks each person-day gets: each block lands on a random person-day that still has
 * room, so busy and quiet days both occur (an even spread looks machine-made).
 */
function spreadOverDays(
  count: number,
  personDays: number,
  slots: number,
  random: SeededRandom,
): number[] {
  const perDay = new Array<number>(personDays).fill(0);
  const open = [...perDay.keys()];
  for (let placed = 0; placed < count; placed++) {
    const at = random.integer(0, open.length - 1);
    const day = open[at];
    perDay[day]++;
    if (perDay[day] === slots) open.splice(at, 1);
  }
  return perDay;
}

/**
 * `[startSlot, lengthInSlots]` for `blocks` blocks in a day of `slots` slots. Fills 55–95% of the
 * day (never more than three hours per block on average), gives each block at least 30 minutes
 * when there is room, and closes about half of the gaps between blocks so runs of back-to-back
 * blocks appear.
 */
function layOutDay(blocks: number, slots: number, random: SeededRandom): [number, number][] {
  const target = Math.round(slots * (0.55 + random.next() * 0.4));
  const used = Math.min(slots, Math.max(blocks, Math.min(target, blocks * 12)));

  const lengths = new Array<number>(blocks).fill(Math.min(2, Math.floor(used / blocks)));
  for (let extra = used - lengths.reduce((a, b) => a + b, 0); extra > 0; extra--) {
    lengths[random.integer(0, blocks - 1)]++;
  }

  // Gap 0 is before the first block, gap `blocks` after the last; inner gaps may be closed.
  const gaps = new Array<number>(blocks + 1).fill(0);
  const openGaps = [...gaps.keys()].filter(
    (gap) => gap === 0 || gap === blocks || random.next() < 0.5,
  );
  for (let free = slots - used; free > 0; free--) gaps[random.pick(openGaps)]++;

  const layout: [number, number][] = [];
  let cursor = gaps[0];
  lengths.forEach((length, index) => {
    layout.push([cursor, length]);
    cursor += length + gaps[index + 1];
  });
  return layout;
}
