import { AddressInfo } from 'node:net';
import { Calendar } from '../../src/calendars/calendar.entity';
import { CalendarReconciler } from '../../src/sync/calendar-reconciler';
import { TimeBlock } from '../../src/time-blocks/time-block.entity';
import { Factory } from '../factories';
import { makeTeam, Team } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import {
  CALENDAR_PROVIDER_NAMES,
  CalendarEmulators,
  ConnectedAccount,
  PUBLIC_APP_URL,
} from '../support/calendar-accounts';
import { databaseKind } from '../support/database';

/*
 * Push notifications, end to end: with a public https APP_URL danwel opens a Google watch channel
 * or a Graph subscription for each pulled calendar (Graph's validation handshake answered by our
 * webhook), the provider POSTs to our webhook when the user changes something, and the worker
 * pulls that calendar at once instead of at the next scheduled pull. A lost notification only
 * delays the change until the schedule comes round.
 */

const HOUR = 3_600_000;

describe.each(CALENDAR_PROVIDER_NAMES)(
  `push notifications from %s (${databaseKind()})`,
  (provider) => {
    let t: TestApp;
    let emulators: CalendarEmulators;
    let team: Team;
    let account: ConnectedAccount;
    let calendar: Calendar;
    let reconciler: CalendarReconciler;
    let listening = '';

    beforeAll(async () => {
      emulators = await CalendarEmulators.start({ webhookTarget: () => listening });
      t = await bootApp({ env: { ...emulators.env(), APP_URL: PUBLIC_APP_URL } });
      emulators.trustIn(t);
      await t.app.listen(0, '127.0.0.1');
      listening = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
      team = await makeTeam(t, new Factory(t.dataSource));
      account = await emulators.connect(t, team.member, team.url, provider, 0);
      [calendar] = account.calendars;
      reconciler = t.app.get(CalendarReconciler);
      await reconciler.drain(); // the first pull opens the channel
      await settled();
    });

    afterAll(async () => {
      await t?.close();
      await emulators?.stop();
    });

    const settled = () =>
      provider === 'google_calendar'
        ? emulators.google.notificationsSettled()
        : emulators.ms.notificationsSettled();

    const calendarRow = () => t.dataSource.manager.findOneByOrFail(Calendar, { id: calendar.id });

    const isDue = async () => ((await calendarRow()).nextPullAt?.getTime() ?? 0) <= Date.now();

    async function busyTitles(): Promise<string[]> {
      const response = await team.member
        .get(team.url('/calendar-events'))
        .query({ from: '2027-05-01T00:00:00Z', to: '2027-06-01T00:00:00Z' });
      expect(response.status).toBe(200);
      return (response.body as { data: Array<{ title: string }> }).data.map((e) => e.title);
    }

    it('opens a channel for the calendar, with its secret stored only as a digest', async () => {
      const row = await calendarRow();
      expect(row.pushChannelId).toEqual(expect.any(String));
      expect(row.pushSecretHash).toMatch(/^[0-9a-f]{64}$/);
      expect(row.pushExpiresAt!.getTime()).toBeGreaterThan(Date.now() + 24 * HOUR);
      expect(await isDue()).toBe(false);
    });

    it('a change in the calendar is pulled at once, through the webhook', async () => {
      const start = new Date('2027-05-03T09:00:00Z');
      emulators.userCreate(account, calendar, {
        title: 'Board meeting',
        start,
        end: new Date(start.getTime() + HOUR),
      });
      await settled();
      expect(await isDue()).toBe(true);

      await reconciler.runOnce();
      expect(await busyTitles()).toContain('Board meeting');
      expect(await isDue()).toBe(false);
    });

    it('an edit of danwel’s event reaches the block the same way', async () => {
      const created = await team.member.post(team.url('/time-blocks')).send({
        title: 'Write report',
        start_time: '2027-05-04T09:00:00Z',
        end_time: '2027-05-04T11:00:00Z',
        calendar_id: calendar.id,
      });
      expect(created.status).toBe(201);
      const id = (created.body as { id: number }).id;
      await reconciler.drain();
      await settled(); // our own create notifies too; the pull finds nothing to change
      await reconciler.drain();
      const block = await t.dataSource.manager.findOneByOrFail(TimeBlock, { id });
      expect(block.title).toBe('Write report');

      emulators.userEdit(account, calendar, block.externalCalendarEventId!, {
        title: 'Write the report',
      });
      await settled();
      await reconciler.runOnce();
      expect((await t.dataSource.manager.findOneByOrFail(TimeBlock, { id })).title).toBe(
        'Write the report',
      );
    });

    it('a lost notification only delays the change until the scheduled pull', async () => {
      const drop =
        provider === 'google_calendar'
          ? emulators.google.dropNotifications(1)
          : emulators.ms.dropNotifications(1);
      const start = new Date('2027-05-05T09:00:00Z');
      emulators.userCreate(account, calendar, {
        title: 'Offsite',
        start,
        end: new Date(start.getTime() + HOUR),
      });
      await settled();
      expect(drop.dropped).toBe(1);
      expect(await isDue()).toBe(false);
      await reconciler.runOnce();
      expect(await busyTitles()).not.toContain('Offsite');

      // The schedule comes round (SYNC_PULL_INTERVAL_SECONDS).
      await t.dataSource.manager.update(Calendar, calendar.id, {
        nextPullAt: new Date(Date.now() - 1000),
      });
      await reconciler.runOnce();
      expect(await busyTitles()).toContain('Offsite');
    });

    it('renews a channel that is about to expire, and stops the old one', async () => {
      const before = await calendarRow();
      await t.dataSource.manager.update(Calendar, calendar.id, {
        pushExpiresAt: new Date(Date.now() + HOUR),
        nextPullAt: new Date(Date.now() - 1000),
      });
      await reconciler.runOnce();
      const after = await calendarRow();
      expect(after.pushChannelId).not.toBe(before.pushChannelId);
      expect(after.pushSecretHash).not.toBe(before.pushSecretHash);
      const live =
        provider === 'google_calendar'
          ? emulators.google
              .channels()
              .filter((c) => c.live)
              .map((c) => c.id)
          : emulators.ms
              .subscriptions()
              .filter((s) => s.live)
              .map((s) => s.id);
      expect(live).toEqual([after.pushChannelId]);
    });

    it('disconnecting the account stops its channels', async () => {
      const response = await team.member.delete(team.url(`/integrations/${account.integrationId}`));
      expect(response.status).toBe(204);
      const live =
        provider === 'google_calendar'
          ? emulators.google.channels().filter((c) => c.live)
          : emulators.ms.subscriptions().filter((s) => s.live);
      expect(live).toEqual([]);
    });
  },
);
