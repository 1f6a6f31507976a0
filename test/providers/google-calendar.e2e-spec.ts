import { CalendarChangesClient } from '../../src/providers/calendar-changes';
import {
  BLOCK_ID_PROPERTY,
  CalendarEventsClient,
  EventWrite,
  googleEventId,
} from '../../src/providers/calendar-events';
import { GoogleCalendarProvider } from '../../src/providers/google/google-calendar.provider';
import { startWebhookReceiver, WebhookReceiver } from '../emulators/common/webhook-receiver';
import {
  CALENDAR_SCOPES,
  GoogleEmulator,
  googleFaults,
  MAX_CHANNEL_TTL_MS,
  startGoogleEmulator,
} from '../emulators/google';
import {
  block,
  createEvent as create,
  deleteEvent as remove,
  pullFailure,
  removedIds,
  upsertOf,
  upserts,
  PULL_WINDOW as WINDOW,
  REQUEST_TIMEOUT_MS,
  updateEvent as update,
} from '../support/calendar-subject';
import { googleConfig } from './provider-configs';

/**
 * What only Google's clients do, through the real googleapis SDK against the Google emulator:
 * the event resource danwel writes and reads back, deterministic event ids and reviving them on
 * 409, batch parts and pulls over the per-user quota, scopes, push channels. What every calendar
 * provider must do is in calendar-contract.e2e-spec.ts.
 */

const EMAIL = 'ann@example.com';

let emulator: GoogleEmulator;
/** Where the emulator really POSTs push messages for `https://danwel.test/…` addresses. */
let receiver: WebhookReceiver;
let events: CalendarEventsClient;
let changes: CalendarChangesClient;
let accessToken: string;
let calendarSeq = 0;

/** A fresh calendar per test, so counts are about that test only. */
function newCalendar(): { externalId: string; calendarId: number } {
  calendarSeq++;
  const { id } = emulator.addCalendar(EMAIL, { summary: `Danwel ${calendarSeq}` });
  return { externalId: id, calendarId: calendarSeq };
}

/** Applies writes that must succeed and answers the event ids. */
async function write(...writes: EventWrite[]): Promise<string[]> {
  const results = await events.apply(accessToken, writes);
  return results.map((result) => {
    if (!result.ok) throw new Error(`write failed: ${JSON.stringify(result.failure)}`);
    return result.eventId;
  });
}

const created = (calendar: ReturnType<typeof newCalendar>, ...blockIds: number[]) =>
  write(...blockIds.map((id) => create(calendar, block(id))));

/** A timed event the user adds in Google Calendar. */
const userEvent = (summary: string, start: string, end: string, timeZone = 'Europe/Amsterdam') => ({
  summary,
  start: { dateTime: start, timeZone },
  end: { dateTime: end, timeZone },
});

/** Requests of one operation (batch parts included) logged since the test began. */
const logged = (operation: string) => emulator.requests.filter((r) => r.operation === operation);
const listCalls = () => logged('events.list');

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  emulator = await startGoogleEmulator({
    accounts: [{ email: EMAIL, timeZone: 'Europe/Amsterdam' }],
    notificationRewrite: (address) => `${receiver.url}${new URL(address).pathname}`,
  });
  const provider = new GoogleCalendarProvider(googleConfig(emulator), REQUEST_TIMEOUT_MS);
  events = provider.events();
  changes = provider.changes();
});
afterAll(async () => {
  await emulator.stop();
  await receiver.stop();
});
beforeEach(() => {
  accessToken = emulator.issueTokens({ email: EMAIL }).access_token;
  emulator.clearRequests();
});
afterEach(() => emulator.faults.clear());

describe('Google events: content', () => {
  it('creates, updates and deletes a block event with its title, times, zone and block id', async () => {
    const calendar = newCalendar();
    const [created] = await events.apply(accessToken, [create(calendar, block(41))]);
    const eventId = googleEventId(41, calendar.calendarId);
    expect(created).toEqual({ ok: true, eventId });
    expect(emulator.event(EMAIL, calendar.externalId, eventId)).toMatchObject({
      status: 'confirmed',
      summary: 'Block 41',
      description: 'Deep work',
      start: { dateTime: '2025-03-10T09:00:00+01:00', timeZone: 'Europe/Amsterdam' },
      end: { dateTime: '2025-03-10T10:30:00+01:00', timeZone: 'Europe/Amsterdam' },
      extendedProperties: { private: { [BLOCK_ID_PROPERTY]: '41' } },
    });

    const moved = block(41, {
      title: 'Client call',
      description: null,
      start: new Date('2025-03-11T14:00:00Z'),
      end: new Date('2025-03-11T15:00:00Z'),
      timeZone: 'America/New_York',
    });
    expect(await events.apply(accessToken, [update(calendar, eventId, moved)])).toEqual([
      { ok: true, eventId },
    ]);
    const updated = emulator.event(EMAIL, calendar.externalId, eventId);
    expect(updated).toMatchObject({
      summary: 'Client call',
      start: { timeZone: 'America/New_York' },
      end: { timeZone: 'America/New_York' },
      extendedProperties: { private: { [BLOCK_ID_PROPERTY]: '41' } },
    });
    expect(updated?.description).toBeUndefined();
    expect(new Date(updated!.start!.dateTime!).toISOString()).toBe('2025-03-11T14:00:00.000Z');
    expect(new Date(updated!.end!.dateTime!).toISOString()).toBe('2025-03-11T15:00:00.000Z');

    expect(await events.apply(accessToken, [remove(calendar, eventId)])).toEqual([
      { ok: true, eventId },
    ]);
    expect(emulator.events(EMAIL, calendar.externalId)).toEqual([]);
    expect(emulator.event(EMAIL, calendar.externalId, eventId)?.status).toBe('cancelled');
    // One direct call per write, no batch for a single write.
    expect(emulator.requests.map((r) => r.operation)).toEqual([
      'events.insert',
      'events.update',
      'events.delete',
    ]);
  });

  it('writes the offset the block zone has on that day (summer time)', async () => {
    const calendar = newCalendar();
    const summer = block(42, {
      start: new Date('2025-07-01T07:00:00Z'),
      end: new Date('2025-07-01T08:00:00Z'),
    });
    const [result] = await events.apply(accessToken, [create(calendar, summer)]);
    expect(result.ok).toBe(true);
    expect(emulator.events(EMAIL, calendar.externalId)[0].start).toEqual({
      dateTime: '2025-07-01T09:00:00+02:00',
      timeZone: 'Europe/Amsterdam',
    });
  });
});

describe('Google events: idempotent creates', () => {
  it('creating a block again where its event was deleted revives the same event id', async () => {
    const calendar = newCalendar();
    const [eventId] = await created(calendar, 8);
    await events.apply(accessToken, [remove(calendar, eventId)]);
    expect(emulator.events(EMAIL, calendar.externalId)).toEqual([]);

    const again = await events.apply(accessToken, [
      create(calendar, block(8, { title: 'Back again' })),
    ]);
    expect(again).toEqual([{ ok: true, eventId }]);
    const all = emulator.events(EMAIL, calendar.externalId, { includeCancelled: true });
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ id: eventId, status: 'confirmed', summary: 'Back again' });
  });

  it('revives several duplicates of one batch with one follow-up batch', async () => {
    const calendar = newCalendar();
    const ids = await created(calendar, 11, 12, 13);
    await events.apply(
      accessToken,
      ids.map((id) => remove(calendar, id)),
    );
    emulator.clearRequests();
    const results = await events.apply(accessToken, [
      create(calendar, block(11)),
      create(calendar, block(12)),
      create(calendar, block(13)),
      create(calendar, block(14)),
    ]);
    expect(results).toEqual([
      ...ids.map((eventId) => ({ ok: true, eventId })),
      { ok: true, eventId: googleEventId(14, calendar.calendarId) },
    ]);
    expect(emulator.events(EMAIL, calendar.externalId).map((e) => e.summary)).toEqual([
      'Block 11',
      'Block 12',
      'Block 13',
      'Block 14',
    ]);
    expect(logged('batch')).toHaveLength(2);
  });
});

describe('Google events: failures', () => {
  it('a batch part over the per-user quota (403 userRateLimitExceeded) is throttled', async () => {
    const calendar = newCalendar();
    const [a, b] = await created(calendar, 21, 22);
    emulator.faults.add({
      match: { batch: true, path: new RegExp(`/events/${b}$`) },
      fault: googleFaults.userRateLimitExceeded(),
    });
    emulator.clearRequests();
    const results = await events.apply(accessToken, [remove(calendar, a), remove(calendar, b)]);
    expect(results[0]).toEqual({ ok: true, eventId: a });
    expect(results[1]).toMatchObject({
      ok: false,
      failure: { kind: 'throttled', status: 403, code: 'userRateLimitExceeded' },
    });
    expect(logged('batch')).toHaveLength(1);
  });

  it('a token that dies in the middle (tokenExpired) is unauthorized too', async () => {
    const calendar = newCalendar();
    emulator.faults.add({ fault: googleFaults.tokenExpired() });
    const [result] = await events.apply(accessToken, [create(calendar, block(39))]);
    expect(result).toMatchObject({ ok: false, failure: { kind: 'unauthorized', status: 401 } });
  });

  it('updating an event Google no longer knows is gone; updating a deleted one revives it', async () => {
    const calendar = newCalendar();
    const [purged, deleted] = await created(calendar, 51, 52);
    await events.apply(accessToken, [remove(calendar, purged), remove(calendar, deleted)]);
    emulator.purgeDeleted(EMAIL, calendar.externalId);
    const [revivable] = await created(calendar, 53);
    emulator.asUser(EMAIL).delete(calendar.externalId, revivable);

    const [gone] = await events.apply(accessToken, [update(calendar, purged, block(51))]);
    expect(gone).toMatchObject({
      ok: false,
      failure: { kind: 'gone', status: 404, code: 'notFound' },
    });
    const [revived] = await events.apply(accessToken, [update(calendar, revivable, block(53))]);
    expect(revived).toEqual({ ok: true, eventId: revivable });
    expect(emulator.event(EMAIL, calendar.externalId, revivable)?.status).toBe('confirmed');
  });

  it('a token without write scope is a permanent failure', async () => {
    const calendar = newCalendar();
    const readOnly = emulator.issueTokens({ email: EMAIL, scopes: [CALENDAR_SCOPES.readonly] });
    const [result] = await events.apply(readOnly.access_token, [create(calendar, block(55))]);
    expect(result).toMatchObject({
      ok: false,
      failure: { kind: 'permanent', status: 403, code: 'insufficientPermissions' },
    });
  });

  it('a block in an unknown time zone is refused without calling Google', async () => {
    const calendar = newCalendar();
    const [result] = await events.apply(accessToken, [
      create(calendar, block(56, { timeZone: 'Mars/Olympus_Mons' })),
    ]);
    expect(result).toMatchObject({
      ok: false,
      failure: { kind: 'permanent', code: 'invalid_time_zone' },
    });
    expect(emulator.requests).toHaveLength(0);
  });
});

describe('Google changes: reads', () => {
  it('returns every event in the window, over several pages, as a member sees them', async () => {
    const calendar = newCalendar();
    const user = emulator.asUser(EMAIL);
    const [ownId] = await write(create(calendar, block(41)));
    const dentist = user.insert(
      calendar.externalId,
      userEvent(
        'Dentist',
        '2025-03-11T10:00:00-04:00',
        '2025-03-11T11:00:00-04:00',
        'America/New_York',
      ),
    );
    const holiday = user.insert(calendar.externalId, {
      summary: 'Holiday',
      start: { date: '2025-03-12' },
      end: { date: '2025-03-14' },
    });
    const focus = user.insert(calendar.externalId, {
      ...userEvent('Focus time', '2025-03-13T13:00:00+01:00', '2025-03-13T15:00:00+01:00'),
      description: 'Available if needed',
      transparency: 'transparent',
    });
    const later = user.insert(
      calendar.externalId,
      userEvent('After the window', '2025-05-10T09:00:00+02:00', '2025-05-10T10:00:00+02:00'),
    );
    // Enough events for two pages of 250.
    const fillers = Array.from({ length: 260 }, (_, i) =>
      user.insert(
        calendar.externalId,
        userEvent(`Meeting ${i}`, '2025-03-20T09:00:00+01:00', '2025-03-20T09:30:00+01:00'),
      ),
    );
    emulator.clearRequests();

    const page = await changes.changes(accessToken, calendar.externalId, null, WINDOW);

    expect(page.full).toBe(true);
    expect(page.nextCursor).toEqual(expect.any(String));
    expect(removedIds(page)).toEqual([]);
    const ids = upserts(page).map((e) => e.id);
    expect(ids).toHaveLength(264);
    expect(new Set(ids)).toEqual(
      new Set([ownId, dentist.id, holiday.id, focus.id, ...fillers.map((f) => f.id)]),
    );
    expect(ids).not.toContain(later.id);
    expect(listCalls()).toHaveLength(2);

    const updated = (id: string) =>
      new Date(emulator.event(EMAIL, calendar.externalId, id)!.updated!);
    expect(upsertOf(page, ownId)).toEqual({
      id: googleEventId(41, calendar.calendarId),
      title: 'Block 41',
      description: 'Deep work',
      start: new Date('2025-03-10T08:00:00Z'),
      end: new Date('2025-03-10T09:30:00Z'),
      isAllDay: false,
      timeZone: 'Europe/Amsterdam',
      showAs: 'busy',
      updatedAt: updated(ownId),
      blockId: 41,
    });
    expect(upsertOf(page, dentist.id!)).toEqual({
      id: dentist.id,
      title: 'Dentist',
      description: null,
      start: new Date('2025-03-11T14:00:00Z'),
      end: new Date('2025-03-11T15:00:00Z'),
      isAllDay: false,
      timeZone: 'America/New_York',
      showAs: 'busy',
      updatedAt: updated(dentist.id!),
      blockId: null,
    });
    expect(upsertOf(page, holiday.id!)).toMatchObject({
      title: 'Holiday',
      start: new Date('2025-03-12T00:00:00Z'),
      end: new Date('2025-03-14T00:00:00Z'),
      isAllDay: true,
      timeZone: null,
      showAs: 'busy',
      blockId: null,
    });
    expect(upsertOf(page, focus.id!)).toMatchObject({
      title: 'Focus time',
      description: 'Available if needed',
      start: new Date('2025-03-13T12:00:00Z'),
      showAs: 'free',
      blockId: null,
    });
  });

  it("does not take a block id from a property that is not a number, nor another app's", async () => {
    const calendar = newCalendar();
    const user = emulator.asUser(EMAIL);
    const odd = user.insert(calendar.externalId, {
      ...userEvent('Copied by hand', '2025-03-10T10:00:00+01:00', '2025-03-10T11:00:00+01:00'),
      extendedProperties: { private: { danwelBlockId: '12abc' }, shared: { danwelBlockId: '7' } },
    });
    const page = await changes.changes(accessToken, calendar.externalId, null, WINDOW);
    expect(upsertOf(page, odd.id!)?.blockId).toBeNull();
  });
});

describe('Google changes: failures', () => {
  it('a 403 userRateLimitExceeded is throttled too', async () => {
    const calendar = newCalendar();
    emulator.faults.add({
      match: { operation: 'events.list' },
      fault: googleFaults.userRateLimitExceeded(),
    });
    const failure = await pullFailure(
      changes.changes(accessToken, calendar.externalId, null, WINDOW),
    );
    expect(failure).toMatchObject({
      kind: 'throttled',
      status: 403,
      code: 'userRateLimitExceeded',
    });
  });

  it('a calendar Google does not know is a permanent failure', async () => {
    const failure = await pullFailure(
      changes.changes(accessToken, 'no-such-calendar@group.calendar.google.com', null, WINDOW),
    );
    expect(failure).toMatchObject({ kind: 'permanent', status: 404, code: 'notFound' });
  });
});

describe('Google changes: push channels', () => {
  const ADDRESS = 'https://danwel.test/webhooks/google';
  const messagesOf = (channelId: string) =>
    receiver.received.filter((r) => r.headers['x-goog-channel-id'] === channelId);

  it('watch opens a channel that tells the address, with our secret, when the calendar changes; stopWatch ends it', async () => {
    const calendar = newCalendar();
    const expiresAt = new Date(Date.now() + 3_600_000);
    const channel = await changes.watch(
      accessToken,
      calendar.externalId,
      ADDRESS,
      'secret-of-calendar-1',
      expiresAt,
    );
    expect(channel).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      resourceId: expect.any(String),
      expiresAt,
    });
    await write(create(calendar, block(81)));
    emulator
      .asUser(EMAIL)
      .insert(
        calendar.externalId,
        userEvent('Lunch', '2025-03-10T12:00:00+01:00', '2025-03-10T13:00:00+01:00'),
      );
    await emulator.notificationsSettled();
    expect(messagesOf(channel.id).map((m) => m.headers['x-goog-resource-state'])).toEqual([
      'sync',
      'exists',
      'exists',
    ]);
    for (const message of messagesOf(channel.id)) {
      expect(message).toMatchObject({ method: 'POST', path: '/webhooks/google' });
      expect(message.headers).toMatchObject({
        'x-goog-channel-token': 'secret-of-calendar-1',
        'x-goog-resource-id': channel.resourceId,
      });
    }

    await changes.stopWatch(accessToken, channel);
    emulator
      .asUser(EMAIL)
      .insert(
        calendar.externalId,
        userEvent('After the stop', '2025-03-11T12:00:00+01:00', '2025-03-11T13:00:00+01:00'),
      );
    await emulator.notificationsSettled();
    expect(messagesOf(channel.id)).toHaveLength(3);
    expect(emulator.channels().find((c) => c.id === channel.id)).toMatchObject({ live: false });

    // Stopping it again (or one Google forgot) counts as stopped.
    await expect(changes.stopWatch(accessToken, channel)).resolves.toBeUndefined();
  });

  it("keeps the expiry Google answers when it shortens the channel's life", async () => {
    const calendar = newCalendar();
    const channel = await changes.watch(
      accessToken,
      calendar.externalId,
      ADDRESS,
      'secret',
      new Date(Date.now() + 30 * 86_400_000),
    );
    expect(channel.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + MAX_CHANNEL_TTL_MS);
    expect(channel.expiresAt.getTime()).toBeGreaterThan(Date.now() + MAX_CHANNEL_TTL_MS - 60_000);
    await changes.stopWatch(accessToken, channel);
  });
});
