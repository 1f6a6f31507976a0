import { Calendar } from '../../src/calendars/calendar.entity';
import { CalendarEvent } from '../../src/calendar-events/calendar-event.entity';
import { User } from '../../src/users/user.entity';
import { Factory } from '../factories';
import { Actor, makeTeam, Team } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import { databaseKind } from '../support/database';

/*
 * Busy time: `GET …/calendar-events?from=&to=` answers the events pulled from members' calendars
 * that overlap the range, in start order, page by page — the same range rules as the time-block
 * list. Everyone sees when everyone is busy; only the event's own member, admins and owners see
 * what it is (others read "Busy").
 */

interface ShownEvent {
  id: number;
  calendar_id: number;
  user_id: number;
  title: string;
  start_time: string;
  end_time: string;
  is_all_day: boolean;
  show_as: string;
  timezone: string | null;
  updated_at: string | null;
}

interface Page {
  data: ShownEvent[];
  next_cursor: string | null;
}

const HOUR_MS = 3_600_000;

describe(`calendar events (${databaseKind()})`, () => {
  let t: TestApp;
  let factory: Factory;
  let team: Team;
  /** The member's own calendar and a colleague's (another member). */
  let mine: Calendar;
  let colleague: User;
  let theirs: Calendar;

  beforeAll(async () => {
    t = await bootApp();
    factory = new Factory(t.dataSource);
    team = await makeTeam(t, factory);
    colleague = await factory.user({ name: 'Colleague' });
    await factory.member(team.organization, colleague, 'member');
    const myAccount = await factory.integration(team.organization, {
      connectedBy: team.member.user,
    });
    mine = await factory.calendar(myAccount, { name: 'Work' });
    const theirAccount = await factory.integration(team.organization, {
      connectedBy: colleague,
      provider: 'office365',
    });
    theirs = await factory.calendar(theirAccount, { name: 'Colleague’s calendar' });
  });
  afterAll(() => t?.close());

  const at = (iso: string) => new Date(iso);
  const event = (
    calendar: Calendar,
    start: string,
    end: string,
    values: Omit<Partial<CalendarEvent>, 'calendar'> = {},
  ) => factory.calendarEvent(calendar, { startTime: at(start), endTime: at(end), ...values });
  const range = (from: string, to: string) =>
    `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
  const list = (actor: Actor, query: string) => actor.get(team.url(`/calendar-events?${query}`));
  const page = async (actor: Actor, query: string): Promise<Page> =>
    (await list(actor, query).expect(200)).body as Page;
  const ids = async (actor: Actor, query: string) =>
    (await page(actor, query)).data.map((item) => item.id);

  describe('the range', () => {
    it('requires from and to, with offsets, to after from, at most 93 days apart', async () => {
      expect((await list(team.member, '').expect(422)).body.errors).toEqual({
        from: expect.any(Array),
        to: expect.any(Array),
      });
      const noOffsets = await list(team.member, 'from=2025-01-01T00:00:00&to=2025-01-02T00:00:00');
      expect(noOffsets.status).toBe(422);
      expect(noOffsets.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(Object.keys(noOffsets.body.errors).sort()).toEqual(['from', 'to']);
      expect(
        (await list(team.member, range('2025-01-02T00:00:00Z', '2025-01-01T00:00:00Z')).expect(422))
          .body.errors,
      ).toEqual({ to: ['to must be after from'] });
      expect(
        (await list(team.member, range('2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z')).expect(422))
          .body.errors,
      ).toEqual({ to: ['to must be after from'] });
      expect(
        (await list(team.member, range('2025-01-01T25:00:00Z', '2025-01-02T00:00:00Z')).expect(422))
          .body.errors,
      ).toEqual({ from: ['from is not a valid date and time.'] });

      await list(team.member, range('2025-01-01T00:00:00Z', '2025-04-04T00:00:00Z')).expect(200);
      expect(
        (await list(team.member, range('2025-01-01T00:00:00Z', '2025-04-04T00:00:01Z')).expect(422))
          .body.errors,
      ).toEqual({ to: ['to must be at most 93 days after from'] });
    });

    it('answers the events overlapping [from, to): touching the range is not overlapping it', async () => {
      const day = ['2025-02-03T09:00:00Z', '2025-02-03T17:00:00Z'] as const;
      const endsAtFrom = await event(mine, '2025-02-03T08:00:00Z', '2025-02-03T09:00:00Z');
      const startsBefore = await event(mine, '2025-02-03T08:30:00Z', '2025-02-03T09:30:00Z');
      const inside = await event(mine, '2025-02-03T12:00:00Z', '2025-02-03T13:00:00Z');
      const runsPast = await event(mine, '2025-02-03T16:30:00Z', '2025-02-03T18:00:00Z');
      const startsAtTo = await event(mine, '2025-02-03T17:00:00Z', '2025-02-03T18:00:00Z');
      // A week's holiday, all day: longer than any block, and still found from its middle.
      const holiday = await event(mine, '2025-01-30T00:00:00Z', '2025-02-06T00:00:00Z', {
        isAllDay: true,
        title: 'Holiday',
      });

      expect(await ids(team.member, range(...day))).toEqual([
        holiday.id,
        startsBefore.id,
        inside.id,
        runsPast.id,
      ]);
      expect(await ids(team.member, range('2025-02-03T07:00:00Z', '2025-02-03T08:00:00Z'))).toEqual(
        [holiday.id],
      );
      expect(await ids(team.member, range('2025-02-03T08:59:59Z', '2025-02-03T09:00:00Z'))).toEqual(
        [holiday.id, endsAtFrom.id, startsBefore.id],
      );
      expect(await ids(team.member, range('2025-02-03T17:00:00Z', '2025-02-03T17:30:00Z'))).toEqual(
        [holiday.id, runsPast.id, startsAtTo.id],
      );
      // Offsets count: 10:00–18:00 in Amsterdam (+01:00) is the same day as above.
      expect(
        await ids(team.member, range('2025-02-03T10:00:00+01:00', '2025-02-03T18:00:00+01:00')),
      ).toEqual([holiday.id, startsBefore.id, inside.id, runsPast.id]);
    });
  });

  describe('whose events, and what each role sees of them', () => {
    const day = range('2025-02-17T00:00:00Z', '2025-02-18T00:00:00Z');
    let myMeeting: CalendarEvent;
    let theirMeeting: CalendarEvent;
    let theirFocus: CalendarEvent;

    beforeAll(async () => {
      myMeeting = await event(mine, '2025-02-17T09:00:00Z', '2025-02-17T10:00:00Z', {
        title: 'Dentist',
        timezone: 'Europe/Amsterdam',
      });
      theirMeeting = await event(theirs, '2025-02-17T09:00:00Z', '2025-02-17T10:30:00Z', {
        title: 'Salary talk with HR',
        timezone: 'Europe/London',
      });
      theirFocus = await event(theirs, '2025-02-17T13:00:00Z', '2025-02-17T14:00:00Z', {
        title: 'Maybe: reading group',
        showAs: 'free',
      });
    });

    it('answers your own events by default, with their titles', async () => {
      const { data, next_cursor } = await page(team.member, day);
      expect(next_cursor).toBeNull();
      expect(data).toEqual([
        {
          id: myMeeting.id,
          calendar_id: mine.id,
          user_id: team.member.user.id,
          title: 'Dentist',
          start_time: '2025-02-17T09:00:00.000Z',
          end_time: '2025-02-17T10:00:00.000Z',
          is_all_day: false,
          show_as: 'busy',
          timezone: 'Europe/Amsterdam',
          updated_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        },
      ]);
      expect(await ids(team.admin, day)).toEqual([]);
    });

    it('shows members and viewers a colleague’s events as "Busy", with the times and show_as', async () => {
      for (const actor of [team.member, team.viewer]) {
        const { data } = await page(actor, `${day}&user_id=${colleague.id}`);
        expect(data).toEqual([
          expect.objectContaining({
            id: theirMeeting.id,
            calendar_id: theirs.id,
            user_id: colleague.id,
            title: 'Busy',
            start_time: '2025-02-17T09:00:00.000Z',
            end_time: '2025-02-17T10:30:00.000Z',
            show_as: 'busy',
          }),
          expect.objectContaining({ id: theirFocus.id, title: 'Busy', show_as: 'free' }),
        ]);
        expect(JSON.stringify(data)).not.toMatch(/Salary|reading group/);
      }
      // Everyone's at once: own titles shown, the colleague's masked; start order, ties by id.
      const { data } = await page(team.member, `${day}&user_id=all`);
      expect(data.map((item) => [item.id, item.title])).toEqual([
        ...[
          [myMeeting.id, 'Dentist'],
          [theirMeeting.id, 'Busy'],
        ].sort((a, b) => Number(a[0]) - Number(b[0])),
        [theirFocus.id, 'Busy'],
      ]);
    });

    it('shows admins and owners every title', async () => {
      for (const actor of [team.admin, team.owner]) {
        const { data } = await page(actor, `${day}&user_id=all`);
        expect(data.map((item) => item.title).sort()).toEqual([
          'Dentist',
          'Maybe: reading group',
          'Salary talk with HR',
        ]);
      }
    });

    it('narrows to one calendar; unknown, foreign or malformed filters', async () => {
      expect(await ids(team.member, `${day}&user_id=all&calendar_id=${theirs.id}`)).toEqual([
        theirMeeting.id,
        theirFocus.id,
      ]);
      expect(await ids(team.member, `${day}&calendar_id=${theirs.id}`)).toEqual([]);
      expect(await ids(team.member, `${day}&user_id=all&calendar_id=999999`)).toEqual([]);

      const elsewhere = await makeTeam(t, factory);
      const foreign = await factory.calendar(await factory.integration(elsewhere.organization));
      await event(foreign, '2025-02-17T09:00:00Z', '2025-02-17T10:00:00Z', { title: 'Foreign' });
      expect(await page(team.admin, `${day}&calendar_id=${foreign.id}&user_id=all`)).toEqual({
        data: [],
        next_cursor: null,
      });
      expect(await page(team.admin, `${day}&user_id=${elsewhere.owner.user.id}`)).toEqual({
        data: [],
        next_cursor: null,
      });

      const refused = await list(team.member, `${day}&user_id=everyone&calendar_id=abc`).expect(
        422,
      );
      expect(refused.body.errors).toEqual({
        user_id: ['user_id must be a member’s id or all'],
        calendar_id: expect.any(Array),
      });
      expect(
        Object.keys((await list(team.member, `${day}&title=x`).expect(422)).body.errors),
      ).toEqual(['title']);
    });
  });

  describe('calendars that are not read', () => {
    it('hides the events of disabled and write-only calendars, and shows them again when read again', async () => {
      const account = await factory.integration(team.organization, {
        connectedBy: team.member.user,
      });
      const side = await factory.calendar(account, { name: 'Side project' });
      const day = range('2025-03-03T00:00:00Z', '2025-03-04T00:00:00Z');
      const visible = await event(mine, '2025-03-03T09:00:00Z', '2025-03-03T10:00:00Z');
      const onSide = await event(side, '2025-03-03T11:00:00Z', '2025-03-03T12:00:00Z');
      expect(await ids(team.member, day)).toEqual([visible.id, onSide.id]);

      // Through the API, as the member would.
      await team.member.patch(team.url(`/calendars/${side.id}`), { is_enabled: false }).expect(200);
      expect(await ids(team.member, day)).toEqual([visible.id]);
      expect(await ids(team.admin, `${day}&user_id=all&calendar_id=${side.id}`)).toEqual([]);

      await team.member
        .patch(team.url(`/calendars/${side.id}`), { is_enabled: true, sync_direction: 'write' })
        .expect(200);
      expect(await ids(team.member, day)).toEqual([visible.id]);

      await team.member
        .patch(team.url(`/calendars/${side.id}`), { sync_direction: 'read' })
        .expect(200);
      expect(await ids(team.member, day)).toEqual([visible.id, onSide.id]);
    });
  });

  describe('pages', () => {
    it('walks every event once, in start order, with an opaque cursor', async () => {
      const walker = await factory.user();
      await factory.member(team.organization, walker, 'member');
      const calendar = await factory.calendar(
        await factory.integration(team.organization, { connectedBy: walker }),
      );
      const created: CalendarEvent[] = [];
      // Seven events, two of them starting at the same moment (ordered by id).
      for (const hour of [9, 8, 12, 10, 10, 11, 7]) {
        const start = Date.UTC(2025, 2, 10, hour);
        created.push(
          await factory.calendarEvent(calendar, {
            startTime: new Date(start),
            endTime: new Date(start + HOUR_MS / 2),
          }),
        );
      }
      const expected = [...created]
        .sort((a, b) => a.startTime.getTime() - b.startTime.getTime() || a.id - b.id)
        .map((item) => item.id);

      const day = range('2025-03-10T00:00:00Z', '2025-03-11T00:00:00Z');
      const seen: number[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const body: Page = await page(
          team.member,
          `${day}&user_id=${walker.id}&limit=3${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(body.data.length).toBeLessThanOrEqual(3);
        seen.push(...body.data.map((item) => item.id));
        cursor = body.next_cursor;
        pages++;
      } while (cursor);

      expect(pages).toBe(3);
      expect(seen).toEqual(expected);
      expect((await list(team.member, `${day}&cursor=nonsense`).expect(422)).body.errors).toEqual({
        cursor: ['cursor is not a valid pagination cursor.'],
      });
      expect(
        Object.keys((await list(team.member, `${day}&limit=101`).expect(422)).body.errors),
      ).toEqual(['limit']);
    });
  });

  describe('tenancy', () => {
    it('never shows another organization’s events, even of someone who is a member of both', async () => {
      const day = range('2025-04-07T00:00:00Z', '2025-04-08T00:00:00Z');
      const own = await event(mine, '2025-04-07T09:00:00Z', '2025-04-07T10:00:00Z');
      const elsewhere = await makeTeam(t, factory);
      // The same member connected an account in the other organization too.
      await factory.member(elsewhere.organization, team.member.user, 'member');
      const foreignCalendar = await factory.calendar(
        await factory.integration(elsewhere.organization, { connectedBy: team.member.user }),
      );
      await event(foreignCalendar, '2025-04-07T09:00:00Z', '2025-04-07T10:00:00Z', {
        title: 'Other organization’s meeting',
      });
      await event(
        await factory.calendar(await factory.integration(elsewhere.organization)),
        '2025-04-07T11:00:00Z',
        '2025-04-07T12:00:00Z',
      );

      expect(await ids(team.member, day)).toEqual([own.id]);
      expect(await ids(team.owner, `${day}&user_id=all`)).toEqual([own.id]);
      expect(await ids(team.owner, `${day}&user_id=all&calendar_id=${foreignCalendar.id}`)).toEqual(
        [],
      );
    });

    it('answers 404 to non-members and 401 without a token', async () => {
      const day = range('2025-04-07T00:00:00Z', '2025-04-08T00:00:00Z');
      const outsider = (await makeTeam(t, factory)).owner;
      const refused = await list(outsider, `${day}&user_id=all`).expect(404);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.text).not.toMatch(/Dentist|Busy/);
      await t
        .http()
        .get(team.url(`/calendar-events?${day}`))
        .expect(401);
    });
  });
});
