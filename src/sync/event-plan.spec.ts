import { Calendar } from '../calendars/calendar.entity';
import { TimeBlock } from '../time-blocks/time-block.entity';
import { planEvent, removalPending } from './event-plan';

const calendar = (id: number, values: Partial<Calendar> = {}) =>
  Object.assign(new Calendar(), {
    id,
    externalId: `cal-${id}`,
    isEnabled: true,
    syncDirection: 'both',
    ...values,
  });

const block = (values: Partial<TimeBlock> = {}) =>
  Object.assign(new TimeBlock(), {
    id: 7,
    title: 'Focus',
    description: null,
    startTime: new Date('2027-01-04T08:00:00Z'),
    endTime: new Date('2027-01-04T09:00:00Z'),
    timezone: 'Europe/Amsterdam',
    calendarId: 1,
    syncedCalendarId: null,
    externalCalendarEventId: null,
    deletedAt: null,
    ...values,
  });

describe('planEvent', () => {
  const calendars = new Map([
    [1, calendar(1)],
    [2, calendar(2)],
    [3, calendar(3, { syncDirection: 'read' })],
  ]);

  it('creates the event of a block that has none', () => {
    const plan = planEvent(block(), calendars);
    expect(plan).toMatchObject({ kind: 'write', write: { kind: 'create', calendarId: 1 } });
  });

  it('updates the event the block has in its calendar', () => {
    const plan = planEvent(
      block({ syncedCalendarId: 1, externalCalendarEventId: 'e1' }),
      calendars,
    );
    expect(plan).toMatchObject({ write: { kind: 'update', eventId: 'e1' } });
  });

  it('deletes the old event first when the block moved, was unplanned or deleted', () => {
    for (const values of [{ calendarId: 2 }, { calendarId: null }, { deletedAt: new Date() }]) {
      const moved = block({ syncedCalendarId: 1, externalCalendarEventId: 'e1', ...values });
      expect(removalPending(moved)).toBe(true);
      expect(planEvent(moved, calendars)).toMatchObject({
        write: { kind: 'delete', eventId: 'e1', calendarExternalId: 'cal-1' },
      });
    }
  });

  it('looks up an unconfirmed Graph create in the old calendar before deleting it', () => {
    const moved = block({
      calendarId: 2,
      syncedCalendarId: 1,
      externalCalendarEventId: 'unconfirmed:danwel-block-7-calendar-1',
    });
    expect(planEvent(moved, calendars)).toMatchObject({
      write: { kind: 'create', calendarId: 1 },
    });
  });

  it('settles without the provider when there is nothing to write', () => {
    expect(planEvent(block({ deletedAt: new Date() }), calendars)).toEqual({
      kind: 'settle',
      status: 'synced',
    });
    expect(planEvent(block({ calendarId: null }), calendars)).toEqual({
      kind: 'settle',
      status: 'disabled',
    });
    expect(planEvent(block({ calendarId: 3 }), calendars)).toEqual({
      kind: 'settle',
      status: 'disabled',
    });
  });
});
