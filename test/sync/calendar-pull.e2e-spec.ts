import { IsNull, Not } from 'typeorm';
import { AuditLog } from '../../src/audit/audit-log.entity';
import { AuditService } from '../../src/audit/audit.service';
import { Calendar } from '../../src/calendars/calendar.entity';
import { inTransaction } from '../../src/database/transaction';
import { Integration } from '../../src/integrations/integration.entity';
import { CalendarPull } from '../../src/sync/calendar-pull';
import { CalendarReconciler } from '../../src/sync/calendar-reconciler';
import { TimeBlock } from '../../src/time-blocks/time-block.entity';
import { Factory } from '../factories';
import { makeTeam, Team } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import {
  CALENDAR_PROVIDER_NAMES,
  CalendarEmulators,
  ConnectedAccount,
} from '../support/calendar-accounts';
import { databaseKind } from '../support/database';

/*
 * Two-way sync, end to end and per provider: what a user does in Google Calendar or Outlook (the
 * emulators' "as the user" edits) comes back into danwel on the next pull — busy time listed
 * beside the blocks, danwel's own events moved, renamed or deleted updating their blocks — and
 * danwel's own writes never come back as edits.
 */

const HOUR = 3_600_000;

describe.each(CALENDAR_PROVIDER_NAMES)(
  `pulling changes from %s (${databaseKind()})`,
  (provider) => {
    let t: TestApp;
    let emulators: CalendarEmulators;
    let team: Team;
    let account: ConnectedAccount;
    let primary: Calendar;
    let writeOnly: Calendar;
    let reconciler: CalendarReconciler;
    let day = 0;

    beforeAll(async () => {
      emulators = await CalendarEmulators.start();
      t = await bootApp({ env: { ...emulators.env(), SYNC_BACKOFF_BASE_SECONDS: '30' } });
      emulators.trustIn(t);
      team = await makeTeam(t, new Factory(t.dataSource));
      account = await emulators.connect(t, team.member, team.url, provider);
      [primary, writeOnly] = account.calendars;
      const patched = await team.member
        .patch(team.url(`/calendars/${writeOnly.id}`))
        .send({ sync_direction: 'write' });
      expect(patched.status).toBe(200);
      reconciler = t.app.get(CalendarReconciler);
      await reconciler.drain(); // the first, full reads
    });

    afterAll(async () => {
      await t?.close();
      await emulators?.stop();
    });

    /** The next pull is due now (as the schedule or a push notification would make it). */
    async function pullNow(): Promise<void> {
      await t.dataSource.manager.update(
        Calendar,
        { integrationId: account.integrationId },
        {
          nextPullAt: null,
        },
      );
      await t.dataSource.manager.update(
        Integration,
        { syncRetryAt: Not(IsNull()) },
        { syncRetryAt: null },
      );
      await reconciler.drain();
    }

    function slot(): { start: Date; end: Date } {
      day += 1;
      const start = new Date(Date.UTC(2027, 2, day, 9));
      return { start, end: new Date(start.getTime() + 2 * HOUR) };
    }

    async function pushedBlock(calendar = primary, title = `Focus ${day + 1}`) {
      const { start, end } = slot();
      const response = await team.member.post(team.url('/time-blocks')).send({
        title,
        start_time: start.toISOString(),
        end_time: end.toISOString(),
        timezone: 'UTC',
        calendar_id: calendar.id,
      });
      expect(response.status).toBe(201);
      await reconciler.drain();
      const block = await blockRow((response.body as { id: number }).id);
      expect(block.calendarSyncStatus).toBe('synced');
      return block;
    }

    const blockRow = (id: number) =>
      t.dataSource.manager.findOneOrFail(TimeBlock, { where: { id }, withDeleted: true });

    const eventsOf = (id: number, calendar: Calendar) =>
      emulators.events(account, calendar).filter((event) => event.blockId === String(id));

    const syncAudit = (blockId: number) =>
      t.dataSource.manager.find(AuditLog, {
        where: { auditableType: 'time_block', auditableId: blockId, actor: `sync:${provider}` },
        order: { id: 'ASC' },
      });

    async function busyTime(from: Date, to: Date) {
      const response = await team.member
        .get(team.url('/calendar-events'))
        .query({ from: from.toISOString(), to: to.toISOString() });
      expect(response.status).toBe(200);
      return (response.body as { data: Array<Record<string, unknown>> }).data;
    }

    it('lists the events people add in their calendars as busy time, and follows their edits', async () => {
      const { start, end } = slot();
      const id = emulators.userCreate(account, primary, { title: 'Dentist', start, end });
      await pullNow();
      const window = [new Date(start.getTime() - HOUR), new Date(end.getTime() + HOUR)] as const;
      expect(await busyTime(...window)).toEqual([
        expect.objectContaining({
          title: 'Dentist',
          calendar_id: primary.id,
          user_id: team.member.user.id,
          start_time: start.toISOString(),
          end_time: end.toISOString(),
        }),
      ]);

      emulators.userEdit(account, primary, id, { title: 'Dentist (moved)' });
      await pullNow();
      expect(await busyTime(...window)).toEqual([
        expect.objectContaining({ title: 'Dentist (moved)' }),
      ]);

      emulators.userDelete(account, primary, id);
      await pullNow();
      expect(await busyTime(...window)).toEqual([]);
    });

    it('never echoes danwel’s own events: they are blocks, not busy time, and stay untouched', async () => {
      const block = await pushedBlock();
      emulators.clearTraffic();
      await pullNow();

      expect(await blockRow(block.id)).toMatchObject({
        title: block.title,
        syncVersion: block.syncVersion,
        calendarSyncStatus: 'synced',
      });
      expect(await syncAudit(block.id)).toEqual([]);
      expect(emulators.writeTraffic(provider).writes).toBe(0);
      const listed = await busyTime(block.startTime, block.endTime);
      expect(listed).toEqual([]);
    });

    it('a rename or move of danwel’s event in the calendar updates the block, by sync', async () => {
      const block = await pushedBlock();
      const [event] = eventsOf(block.id, primary);
      const start = new Date(block.startTime.getTime() + HOUR);
      const end = new Date(block.endTime.getTime() + 2 * HOUR);
      emulators.userEdit(account, primary, event.id, {
        title: 'Moved in the calendar',
        start,
        end,
      });
      emulators.clearTraffic();
      await pullNow();

      expect(await blockRow(block.id)).toMatchObject({
        title: 'Moved in the calendar',
        startTime: start,
        endTime: end,
        calendarSyncStatus: 'synced',
      });
      const [audit] = await syncAudit(block.id);
      expect(audit).toMatchObject({ action: 'time_block.updated', userId: null });
      // Nothing is pushed back: the event already says what the block says.
      await reconciler.drain();
      expect(emulators.writeTraffic(provider).writes).toBe(0);
    });

    it('deleting danwel’s event in the calendar soft-deletes the block, by sync', async () => {
      const block = await pushedBlock();
      const [event] = eventsOf(block.id, primary);
      emulators.userDelete(account, primary, event.id);
      await pullNow();

      const row = await blockRow(block.id);
      expect(row.deletedAt).not.toBeNull();
      expect(row.externalCalendarEventId).toBeNull();
      const shown = await team.member.get(team.url(`/time-blocks/${block.id}`));
      expect(shown.status).toBe(404);
      expect((await syncAudit(block.id)).map((log) => log.action)).toEqual(['time_block.deleted']);
    });

    it('when both sides changed, the later change wins and the loser is in the audit log', async () => {
      // The calendar edit is later: it wins over the block's earlier, not yet pushed edit.
      const first = await pushedBlock();
      const [firstEvent] = eventsOf(first.id, primary);
      await team.member
        .patch(team.url(`/time-blocks/${first.id}`))
        .send({ title: 'Edited in danwel' });
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      emulators.userEdit(account, primary, firstEvent.id, { title: 'Edited in the calendar' });
      await pullNow();
      expect(await blockRow(first.id)).toMatchObject({
        title: 'Edited in the calendar',
        calendarSyncStatus: 'synced',
      });
      expect(eventsOf(first.id, primary)).toEqual([
        expect.objectContaining({ title: 'Edited in the calendar' }),
      ]);
      const [conflict] = (await syncAudit(first.id)).filter(
        (l) => l.action === 'time_block.sync_conflict',
      );
      expect(conflict.newValues).toMatchObject({
        winner: 'provider',
        lost: { title: 'Edited in danwel' },
      });

      // The block edit is later: it wins, and the push overwrites the calendar's edit.
      const second = await pushedBlock();
      const [secondEvent] = eventsOf(second.id, primary);
      emulators.userEdit(account, primary, secondEvent.id, { title: 'Calendar, earlier' });
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      await team.member
        .patch(team.url(`/time-blocks/${second.id}`))
        .send({ title: 'danwel, later' });
      await pullNow();
      expect(await blockRow(second.id)).toMatchObject({
        title: 'danwel, later',
        calendarSyncStatus: 'synced',
      });
      expect(eventsOf(second.id, primary)).toEqual([
        expect.objectContaining({ title: 'danwel, later' }),
      ]);
      const [lost] = (await syncAudit(second.id)).filter(
        (l) => l.action === 'time_block.sync_conflict',
      );
      expect(lost.newValues).toMatchObject({
        winner: 'danwel',
        lost: { title: 'Calendar, earlier' },
      });
    });

    it('a calendar edit made after the block’s edit is not overwritten by the push, even before the scheduled pull', async () => {
      const block = await pushedBlock();
      const [event] = eventsOf(block.id, primary);
      await team.member
        .patch(team.url(`/time-blocks/${block.id}`))
        .send({ title: 'Edited in danwel' });
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      emulators.userEdit(account, primary, event.id, { title: 'Edited in the calendar, later' });
      // No pull is due: the push itself reads the calendar before it writes.
      await reconciler.drain();

      expect(await blockRow(block.id)).toMatchObject({
        title: 'Edited in the calendar, later',
        calendarSyncStatus: 'synced',
      });
      expect(eventsOf(block.id, primary)).toEqual([
        expect.objectContaining({ title: 'Edited in the calendar, later' }),
      ]);
      const [conflict] = (await syncAudit(block.id)).filter(
        (l) => l.action === 'time_block.sync_conflict',
      );
      expect(conflict.newValues).toMatchObject({
        winner: 'provider',
        lost: { title: 'Edited in danwel' },
      });
    });

    it('a write-only calendar is not read: danwel owns its events and restores them on the next change', async () => {
      const block = await pushedBlock(writeOnly);
      const [event] = eventsOf(block.id, writeOnly);
      emulators.userDelete(account, writeOnly, event.id);
      const { start, end } = slot();
      emulators.userCreate(account, writeOnly, { title: 'Not pulled', start, end });
      await pullNow();

      expect((await blockRow(block.id)).deletedAt).toBeNull();
      expect(await busyTime(start, end)).toEqual([]);

      const edited = await team.member
        .patch(team.url(`/time-blocks/${block.id}`))
        .send({ title: 'Restored' });
      expect(edited.status).toBe(200);
      await reconciler.drain(); // the update finds the event gone; the next round creates it
      expect(eventsOf(block.id, writeOnly)).toEqual([
        expect.objectContaining({ title: 'Restored' }),
      ]);
      expect((await blockRow(block.id)).calendarSyncStatus).toBe('synced');
    });

    it('a full read that began before a block’s event was written does not take it for deleted', async () => {
      // A worker lists the calendar; meanwhile another (which took the lease over) pushes a
      // block. The listing cannot show that event, and must not delete the block for it.
      const calendar = await t.dataSource.manager.findOneByOrFail(Calendar, { id: primary.id });
      const integration = await t.dataSource.manager.findOneByOrFail(Integration, {
        id: account.integrationId,
      });
      const block = await pushedBlock();
      const listing = { changes: [], full: true, nextCursor: calendar.syncCursor ?? '' };
      const applyListing = (knownBeforeRead: Set<string>) =>
        inTransaction(t.dataSource, (manager) =>
          new CalendarPull(manager, t.app.get(AuditService), integration, calendar, {
            readStartedAt: new Date(),
            nextPullAt: new Date(),
            window: { from: new Date(block.startTime.getTime() - HOUR), to: block.endTime },
            knownBeforeRead,
          }).apply(listing),
        );

      await applyListing(new Set());
      expect((await blockRow(block.id)).deletedAt).toBeNull();
      // Known before the read and missing from it: deleted in the calendar.
      await applyListing(new Set([block.externalCalendarEventId!]));
      expect((await blockRow(block.id)).deletedAt).not.toBeNull();
    });

    it('a stale cursor is answered with a full read, which also forgets what was deleted meanwhile', async () => {
      const { start, end } = slot();
      emulators.userCreate(account, primary, { title: 'Standup', start, end });
      const gone = emulators.userCreate(account, primary, { title: 'Cancelled', start, end });
      const block = await pushedBlock();
      const [event] = eventsOf(block.id, primary);
      await pullNow();
      expect(await busyTime(start, end)).toHaveLength(2);

      if (provider === 'google_calendar')
        emulators.google.invalidateSyncTokens(account.email, primary.externalId);
      else emulators.ms.state.expireDeltaTokens(account.email);
      emulators.userDelete(account, primary, gone);
      emulators.userDelete(account, primary, event.id);
      await pullNow();
      expect((await busyTime(start, end)).map((e) => e.title)).toEqual(['Standup']);
      // danwel's event, deleted while the cursor was stale: the full read finds it missing.
      expect((await blockRow(block.id)).deletedAt).not.toBeNull();
    });
  },
);
