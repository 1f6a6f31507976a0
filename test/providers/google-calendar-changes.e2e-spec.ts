import {
  CalendarChangesClient,
  ChangePage,
  CursorExpiredError,
  PullFailedError,
  PullWindow,
} from '../../src/providers/calendar-changes';
import {
  CalendarEventsClient,
  EventContent,
  EventWrite,
  googleEventId,
} from '../../src/providers/calendar-events';
import { GoogleCalendarProvider } from '../../src/providers/google/google-calendar.provider';
import {
  GoogleEmulator,
  googleFaults,
  MAX_CHANNEL_TTL_MS,
  startGoogleEmulator,
} from '../emulators/google';
import { startWebhookReceiver, WebhookReceiver } from '../emulators/common/webhook-receiver';
import { googleConfig } from './provider-configs';

/**
 * The Google pull client through the real googleapis SDK against the Google emulator: a windowed
 * full read, `syncToken` reads after changes made by danwel and by the user in Google Calendar,
 * and how each failure reaches the puller.
 */

const EMAIL = 'ann@example.com';
/** Short, so the timeout case is quick; the emulator answers in a few milliseconds. */
const REQUEST_TIMEOUT_MS = 800;
const WINDOW: PullWindow = {
  from: new Date('2025-03-01T00:00:00Z'),
  to: new Date('2025-04-01T00:00:00Z'),
};

let emulator: GoogleEmulator;
/** Where the emulator really POSTs push messages for `https://danwel.test/…` addresses. */
let receiver: WebhookReceiver;
let changes: CalendarChangesClient;
let events: CalendarEventsClient;
let accessToken: string;
let calendarSeq = 0;

interface TestCalendar {
  externalId: string;
  calendarId: number;
}

function newCalendar(): TestCalendar {
  calendarSeq++;
  const { id } = emulator.addCalendar(EMAIL, { summary: `Danwel ${calendarSeq}` });
  return { externalId: id, calendarId: calendarSeq };
}

function block(blockId: number, overrides: Partial<EventContent> = {}): EventContent {
  return {
    blockId,
    title: `Block ${blockId}`,
    description: 'Deep work',
    start: new Date('2025-03-10T08:00:00Z'),
    end: new Date('2025-03-10T09:30:00Z'),
    timeZone: 'Europe/Amsterdam',
    ...overrides,
  };
}

/** Writes through the product's events client: the events carry exactly what production writes. */
async function write(...writes: EventWrite[]): Promise<string[]> {
  const results = await events.apply(accessToken, writes);
  return results.map((result) => {
    if (!result.ok) throw new Error(`write failed: ${JSON.stringify(result.failure)}`);
    return result.eventId;
  });
}

const create = (calendar: TestCalendar, event: EventContent): EventWrite => ({
  kind: 'create',
  calendarExternalId: calendar.externalId,
  calendarId: calendar.calendarId,
  event,
});

/** A timed event the user adds in Google Calendar. */
const userEvent = (summary: string, start: string, end: string, timeZone = 'Europe/Amsterdam') => ({
  summary,
  start: { dateTime: start, timeZone },
  end: { dateTime: end, timeZone },
});

const upserts = (page: ChangePage) =>
  page.changes.flatMap((c) => (c.kind === 'upsert' ? [c.event] : []));
const removedIds = (page: ChangePage) =>
  page.changes.flatMap((c) => (c.kind === 'removed' ? [c.id] : [])).sort();
const upsertOf = (page: ChangePage, id: string) => upserts(page).find((e) => e.id === id);

/** The error a pull throws (fails the test if it resolves). */
async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the pull to fail');
}

const listCalls = () => emulator.requests.filter((r) => r.operation === 'events.list');

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  emulator = await startGoogleEmulator({
    accounts: [{ email: EMAIL, timeZone: 'Europe/Amsterdam' }],
    notificationRewrite: (address) => `${receiver.url}${new URL(address).pathname}`,
  });
  const provider = new GoogleCalendarProvider(googleConfig(emulator), REQUEST_TIMEOUT_MS);
  changes = provider.changes();
  events = provider.events();
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

describe('Google changes: full read', () => {
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

  it('reads an empty calendar as no changes and a cursor', async () => {
    const calendar = newCalendar();
    const page = await changes.changes(accessToken, calendar.externalId, null, WINDOW);
    expect(page).toEqual({ changes: [], nextCursor: expect.any(String), full: true });
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

describe('Google changes: incremental read', () => {
  it("returns danwel's and the user's changes since the cursor, then nothing", async () => {
    const calendar = newCalendar();
    const elsewhere = newCalendar();
    const user = emulator.asUser(EMAIL);
    const [renamed, deleted, editedByUser] = await write(
      create(calendar, block(51)),
      create(calendar, block(52)),
      create(calendar, block(53)),
    );
    const lunch = user.insert(
      calendar.externalId,
      userEvent('Lunch', '2025-03-10T12:00:00+01:00', '2025-03-10T13:00:00+01:00'),
    );
    const gym = user.insert(
      calendar.externalId,
      userEvent('Gym', '2025-03-10T18:00:00+01:00', '2025-03-10T19:00:00+01:00'),
    );
    const standup = user.insert(
      calendar.externalId,
      userEvent('Standup', '2025-03-11T09:00:00+01:00', '2025-03-11T09:15:00+01:00'),
    );
    const full = await changes.changes(accessToken, calendar.externalId, null, WINDOW);
    expect(upserts(full)).toHaveLength(6);

    // danwel writes through the API…
    await write(
      {
        kind: 'update',
        calendarExternalId: calendar.externalId,
        eventId: renamed,
        event: block(51, { title: 'Renamed in danwel' }),
      },
      { kind: 'delete', calendarExternalId: calendar.externalId, eventId: deleted },
    );
    // …and the user works in Google Calendar.
    user.patch(calendar.externalId, editedByUser, {
      summary: 'Moved by the user',
      start: { dateTime: '2025-03-12T14:00:00+01:00', timeZone: 'Europe/Amsterdam' },
      end: { dateTime: '2025-03-12T15:00:00+01:00', timeZone: 'Europe/Amsterdam' },
    });
    user.patch(calendar.externalId, lunch.id!, {
      start: { dateTime: '2025-03-10T12:30:00+01:00' },
      end: { dateTime: '2025-03-10T13:30:00+01:00' },
    });
    user.delete(calendar.externalId, gym.id!);
    user.move(calendar.externalId, standup.id!, elsewhere.externalId);
    const added = user.insert(
      calendar.externalId,
      userEvent('New meeting', '2025-03-14T10:00:00+01:00', '2025-03-14T11:00:00+01:00'),
    );
    emulator.clearRequests();

    const page = await changes.changes(accessToken, calendar.externalId, full.nextCursor, WINDOW);

    expect(page.full).toBe(false);
    expect(page.nextCursor).not.toBe(full.nextCursor);
    expect(removedIds(page)).toEqual([deleted, gym.id, standup.id].sort());
    expect(
      upserts(page)
        .map((e) => e.id)
        .sort(),
    ).toEqual([renamed, editedByUser, lunch.id, added.id].sort());
    expect(upsertOf(page, renamed)).toMatchObject({ title: 'Renamed in danwel', blockId: 51 });
    expect(upsertOf(page, editedByUser)).toMatchObject({
      title: 'Moved by the user',
      start: new Date('2025-03-12T13:00:00Z'),
      end: new Date('2025-03-12T14:00:00Z'),
      blockId: 53,
    });
    expect(upsertOf(page, lunch.id!)).toMatchObject({
      title: 'Lunch',
      start: new Date('2025-03-10T11:30:00Z'),
      end: new Date('2025-03-10T12:30:00Z'),
      blockId: null,
    });
    expect(upsertOf(page, added.id!)).toMatchObject({ title: 'New meeting', blockId: null });
    expect(listCalls()).toHaveLength(1);

    const quiet = await changes.changes(accessToken, calendar.externalId, page.nextCursor, WINDOW);
    expect(quiet).toEqual({ changes: [], nextCursor: expect.any(String), full: false });
  });

  it('follows the pages of a long incremental read to the final cursor', async () => {
    const calendar = newCalendar();
    const user = emulator.asUser(EMAIL);
    const full = await changes.changes(accessToken, calendar.externalId, null, WINDOW);
    const inserted = Array.from({ length: 270 }, (_, i) =>
      user.insert(
        calendar.externalId,
        userEvent(`Imported ${i}`, '2025-03-21T09:00:00+01:00', '2025-03-21T10:00:00+01:00'),
      ),
    );
    emulator.clearRequests();
    const page = await changes.changes(accessToken, calendar.externalId, full.nextCursor, WINDOW);
    expect(upserts(page).map((e) => e.id)).toEqual(inserted.map((e) => e.id));
    expect(listCalls()).toHaveLength(2);
    const quiet = await changes.changes(accessToken, calendar.externalId, page.nextCursor, WINDOW);
    expect(quiet.changes).toEqual([]);
  });

  it('a cursor Google no longer accepts is CursorExpiredError; a full read starts over', async () => {
    const calendar = newCalendar();
    const [ownId] = await write(create(calendar, block(61)));
    const full = await changes.changes(accessToken, calendar.externalId, null, WINDOW);
    emulator.invalidateSyncTokens(EMAIL, calendar.externalId);

    const error = await failureOf(
      changes.changes(accessToken, calendar.externalId, full.nextCursor, WINDOW),
    );
    expect(error).toBeInstanceOf(CursorExpiredError);

    const again = await changes.changes(accessToken, calendar.externalId, null, WINDOW);
    expect(again.full).toBe(true);
    expect(upserts(again).map((e) => [e.id, e.blockId])).toEqual([[ownId, 61]]);
  });
});

describe('Google changes: failures', () => {
  const pullFailure = async (promise: Promise<unknown>) => {
    const error = await failureOf(promise);
    expect(error).toBeInstanceOf(PullFailedError);
    return (error as PullFailedError).failure;
  };

  it('a 429 is throttled with its Retry-After, and the SDK does not retry it', async () => {
    const calendar = newCalendar();
    emulator.faults.add({
      match: { operation: 'events.list' },
      fault: googleFaults.tooManyRequests(7),
    });
    const failure = await pullFailure(
      changes.changes(accessToken, calendar.externalId, null, WINDOW),
    );
    expect(failure).toMatchObject({
      kind: 'throttled',
      status: 429,
      code: 'rateLimitExceeded',
      retryAfterSeconds: 7,
    });
    expect(listCalls()).toHaveLength(1);
  });

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

  it('an expired access token is unauthorized, and the message does not carry the token', async () => {
    const calendar = newCalendar();
    emulator.expireAccessTokens(EMAIL);
    const error = await failureOf(changes.changes(accessToken, calendar.externalId, null, WINDOW));
    expect(error).toBeInstanceOf(PullFailedError);
    expect((error as PullFailedError).failure).toMatchObject({
      kind: 'unauthorized',
      status: 401,
      code: 'authError',
    });
    expect((error as Error).message).not.toContain(accessToken);
  });

  it('a reset connection is retryable, and gaxios does not retry the GET behind our back', async () => {
    const calendar = newCalendar();
    emulator.faults.add({ match: { operation: 'events.list' }, fault: googleFaults.reset() });
    const failure = await pullFailure(
      changes.changes(accessToken, calendar.externalId, null, WINDOW),
    );
    expect(failure).toMatchObject({ kind: 'retryable', status: null, code: 'connection_reset' });
    expect(listCalls()).toHaveLength(1);
  });

  it('a page that does not answer in time is a retryable timeout', async () => {
    const calendar = newCalendar();
    emulator.faults.add({ match: { operation: 'events.list' }, fault: googleFaults.timeout() });
    const started = Date.now();
    const failure = await pullFailure(
      changes.changes(accessToken, calendar.externalId, null, WINDOW),
    );
    expect(failure).toMatchObject({ kind: 'retryable', status: null, code: 'timeout' });
    expect(Date.now() - started).toBeLessThan(REQUEST_TIMEOUT_MS + 1_000);
  });

  it('a failing second page fails the whole read; the same cursor works afterwards', async () => {
    const calendar = newCalendar();
    const user = emulator.asUser(EMAIL);
    const full = await changes.changes(accessToken, calendar.externalId, null, WINDOW);
    for (let i = 0; i < 260; i++) {
      user.insert(
        calendar.externalId,
        userEvent(`Imported ${i}`, '2025-03-21T09:00:00+01:00', '2025-03-21T10:00:00+01:00'),
      );
    }
    emulator.faults.add({
      match: { operation: 'events.list' },
      after: 1,
      fault: googleFaults.backendError(),
    });
    const failure = await pullFailure(
      changes.changes(accessToken, calendar.externalId, full.nextCursor, WINDOW),
    );
    expect(failure).toMatchObject({ kind: 'retryable', status: 500, code: 'backendError' });
    // The same cursor still works once Google recovers.
    const page = await changes.changes(accessToken, calendar.externalId, full.nextCursor, WINDOW);
    expect(upserts(page)).toHaveLength(260);
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

  it('a throttled watch and an unauthorized stop are PullFailedErrors, classified as for pulls', async () => {
    const calendar = newCalendar();
    emulator.faults.add({
      match: { operation: 'events.watch' },
      fault: googleFaults.tooManyRequests(5),
    });
    const watchError = await failureOf(
      changes.watch(
        accessToken,
        calendar.externalId,
        ADDRESS,
        'secret',
        new Date(Date.now() + 3_600_000),
      ),
    );
    expect(watchError).toBeInstanceOf(PullFailedError);
    expect((watchError as PullFailedError).failure).toMatchObject({
      kind: 'throttled',
      status: 429,
      retryAfterSeconds: 5,
    });

    const channel = await changes.watch(
      accessToken,
      calendar.externalId,
      ADDRESS,
      'secret',
      new Date(Date.now() + 3_600_000),
    );
    emulator.expireAccessTokens(EMAIL);
    const stopError = await failureOf(changes.stopWatch(accessToken, channel));
    expect(stopError).toBeInstanceOf(PullFailedError);
    expect((stopError as PullFailedError).failure).toMatchObject({
      kind: 'unauthorized',
      status: 401,
    });
    expect(emulator.channels().find((c) => c.id === channel.id)).toMatchObject({ live: true });
  });
});
