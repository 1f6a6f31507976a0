import { CalendarChangesClient, CursorExpiredError } from '../../src/providers/calendar-changes';
import {
  CalendarEventsClient,
  EventWrite,
  GRAPH_BLOCK_ID_PROPERTY,
  graphTransactionId,
} from '../../src/providers/calendar-events';
import { MicrosoftCalendarProvider } from '../../src/providers/microsoft/microsoft-calendar.provider';
import { ProviderHttp } from '../../src/providers/provider-http';
import {
  correctAnswer,
  startWebhookReceiver,
  WebhookReceiver,
} from '../emulators/common/webhook-receiver';
import {
  canonicalPropertyId,
  MAX_EVENT_SUBSCRIPTION_MINUTES,
  MicrosoftEmulator,
  startMicrosoftEmulator,
} from '../emulators/microsoft';
import {
  block,
  createEvent as create,
  deleteEvent as remove,
  failureOf,
  pullFailure,
  removedIds,
  upsertOf,
  upserts,
  PULL_WINDOW as WINDOW,
  REQUEST_TIMEOUT_MS,
  updateEvent as update,
} from '../support/calendar-subject';
import { microsoftConfig } from './provider-configs';

/**
 * What only Microsoft's clients do, through the real Graph SDK against the Microsoft emulator
 * (HTTPS, trusted through `ProviderHttp.dispatcher`): the event danwel writes (its
 * `transactionId`, the block id as an extended property) and reads back, Windows zone names,
 * block ids looked up in `$batch`es after each delta page, 503 items, subscriptions and their
 * validation handshake. What every calendar provider must do is in calendar-contract.e2e-spec.ts.
 */

const SCOPES = ['openid', 'email', 'offline_access', 'Calendars.ReadWrite'];

let ms: MicrosoftEmulator;
let http: ProviderHttp;
/** Where the emulator really POSTs (handshakes, notifications) for `https://danwel.test/…`. */
let receiver: WebhookReceiver;
let events: CalendarEventsClient;
let changes: CalendarChangesClient;
let accountSeq = 0;

interface Mailbox {
  email: string;
  accessToken: string;
  /** danwel's calendar: externalId is Graph's id, calendarId ours. */
  calendar: { externalId: string; calendarId: number };
  readOnly: { externalId: string; calendarId: number };
}

/** A fresh mailbox per test (Graph limits are per mailbox), with a "Danwel" calendar. */
function newMailbox(): Mailbox {
  accountSeq++;
  const email = `user${accountSeq}@contoso.test`;
  const account = ms.addAccount({
    email,
    calendars: ['Danwel', { name: 'Shared', canEdit: false }],
  });
  const { accessToken } = ms.state.issueTokens(account.id, ms.app.clientId, SCOPES);
  return {
    email,
    accessToken,
    calendar: { externalId: account.calendarIds[1], calendarId: accountSeq * 10 },
    readOnly: { externalId: account.calendarIds[2], calendarId: accountSeq * 10 + 1 },
  };
}

/** Applies writes that must succeed and answers the event ids. */
async function write(mailbox: Mailbox, ...writes: EventWrite[]): Promise<string[]> {
  const results = await events.apply(mailbox.accessToken, writes);
  return results.map((result) => {
    if (!result.ok) throw new Error(`write failed: ${JSON.stringify(result.failure)}`);
    return result.eventId;
  });
}

const created = (mailbox: Mailbox, ...blockIds: number[]) =>
  write(mailbox, ...blockIds.map((id) => create(mailbox.calendar, block(id))));

/** The user adds an event in Outlook (wall clock in `timeZone`); answers its id. */
function userCreate(
  mailbox: Mailbox,
  subject: string,
  start: string,
  end: string,
  extra: Record<string, unknown> = {},
  timeZone = 'Europe/Amsterdam',
): string {
  const event = ms.state.userCreate(
    mailbox.email,
    { subject, start: { dateTime: start, timeZone }, end: { dateTime: end, timeZone }, ...extra },
    mailbox.calendar.externalId,
  );
  return event.id as string;
}

const stored = (mailbox: Mailbox) => ms.state.events(mailbox.email, mailbox.calendar.externalId);
const pull = (mailbox: Mailbox, cursor: string | null = null) =>
  changes.changes(mailbox.accessToken, mailbox.calendar.externalId, cursor, WINDOW);

/** Graph requests of the mailbox (`$batch` items included), paths decoded, from `since` on. */
const graphRequests = (mailbox: Mailbox, since = 0) =>
  ms.requests
    .slice(since)
    .filter((r) => r.endpoint === 'graph' && r.account === mailbox.email)
    .map((r) => ({ ...r, path: decodeURIComponent(r.path) }));
const deltaCalls = (mailbox: Mailbox, since = 0) =>
  graphRequests(mailbox, since).filter((r) => r.path.endsWith('/delta'));
const batchCalls = (mailbox: Mailbox, since = 0) =>
  graphRequests(mailbox, since).filter((r) => r.path === '/v1.0/$batch');

const blockIdOf = (event: Record<string, unknown>) =>
  (event.singleValueExtendedProperties as Array<{ id: string; value: string }>).find(
    (p) => p.id === canonicalPropertyId(GRAPH_BLOCK_ID_PROPERTY),
  )?.value;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  ms = await startMicrosoftEmulator({
    notificationRewrite: (address) => `${receiver.url}${new URL(address).pathname}`,
  });
  http = new ProviderHttp();
  http.dispatcher = await ms.dispatcher();
  const provider = new MicrosoftCalendarProvider(microsoftConfig(ms), http, REQUEST_TIMEOUT_MS);
  events = provider.events();
  changes = provider.changes();
  // The first request pays the TLS handshake and loading the code paths; on a loaded machine
  // that can exceed the short request timeout the timeout cases rely on, failing the first case.
  await provider.listCalendars(newMailbox().accessToken);
});
afterAll(async () => {
  await ms.stop();
  await receiver.stop();
});
afterEach(() => ms.faults.clear());

describe('Microsoft events: content', () => {
  it('creates, updates and deletes a block event with its subject, times, zone and block id', async () => {
    const mailbox = newMailbox();
    const [result] = await events.apply(mailbox.accessToken, [create(mailbox.calendar, block(41))]);
    expect(result.ok).toBe(true);
    const eventId = result.ok ? result.eventId : '';
    const [event] = stored(mailbox);
    expect(event).toMatchObject({
      id: eventId,
      subject: 'Block 41',
      body: { contentType: 'text', content: 'Deep work' },
      // Stored in UTC; written as 09:00 wall clock in Amsterdam.
      start: { dateTime: '2025-03-10T08:00:00.0000000', timeZone: 'UTC' },
      end: { dateTime: '2025-03-10T09:30:00.0000000', timeZone: 'UTC' },
      originalStartTimeZone: 'Europe/Amsterdam',
      originalEndTimeZone: 'Europe/Amsterdam',
      transactionId: graphTransactionId(41, mailbox.calendar.calendarId),
    });
    expect(blockIdOf(event)).toBe('41');
    const post = graphRequests(mailbox).find((r) => r.method === 'POST');
    expect(post?.path).toBe(`/v1.0/me/calendars/${mailbox.calendar.externalId}/events`);

    const moved = block(41, {
      title: 'Client call',
      description: null,
      start: new Date('2025-07-11T14:00:00Z'),
      end: new Date('2025-07-11T15:00:00Z'),
      timeZone: 'America/New_York',
    });
    expect(
      await events.apply(mailbox.accessToken, [update(mailbox.calendar, eventId, moved)]),
    ).toEqual([{ ok: true, eventId }]);
    expect(stored(mailbox)[0]).toMatchObject({
      id: eventId,
      subject: 'Client call',
      body: { content: '' },
      start: { dateTime: '2025-07-11T14:00:00.0000000', timeZone: 'UTC' },
      end: { dateTime: '2025-07-11T15:00:00.0000000', timeZone: 'UTC' },
      originalStartTimeZone: 'America/New_York',
    });
    expect(blockIdOf(stored(mailbox)[0])).toBe('41');

    expect(await events.apply(mailbox.accessToken, [remove(mailbox.calendar, eventId)])).toEqual([
      { ok: true, eventId },
    ]);
    expect(stored(mailbox)).toEqual([]);
    expect(graphRequests(mailbox).map((r) => `${r.method} ${r.status}`)).toEqual([
      'POST 201',
      'PATCH 200',
      'DELETE 204',
    ]);
  });
});

describe('Microsoft events: failures', () => {
  it('a 503 $batch item is throttled with its Retry-After, and an outage without one', async () => {
    const mailbox = newMailbox();
    const [a, b] = await created(mailbox, 21, 22);
    const item = (eventId: string) => ({
      batch: true,
      path: `/v1.0/me/events/${encodeURIComponent(eventId)}`,
    });
    ms.faults.add({ match: item(a), fault: { kind: 'serverError', status: 503, retryAfter: 9 } });
    ms.faults.add({ match: item(b), fault: { kind: 'status', status: 503 } });
    const results = await events.apply(mailbox.accessToken, [
      update(mailbox.calendar, a, block(21, { title: 'A' })),
      update(mailbox.calendar, b, block(22, { title: 'B' })),
    ]);
    expect(results[0]).toMatchObject({
      ok: false,
      failure: {
        kind: 'throttled',
        status: 503,
        code: 'serviceNotAvailable',
        retryAfterSeconds: 9,
      },
    });
    // A 503 without Retry-After is an outage, not a request to slow down.
    expect(results[1]).toMatchObject({ ok: false, failure: { kind: 'retryable', status: 503 } });
    expect(stored(mailbox).map((event) => event.subject)).toEqual(['Block 21', 'Block 22']);
  });

  it('writes to a calendar the user may not edit are permanent failures', async () => {
    const mailbox = newMailbox();
    const [result] = await events.apply(mailbox.accessToken, [create(mailbox.readOnly, block(52))]);
    expect(result).toMatchObject({
      ok: false,
      failure: { kind: 'permanent', status: 403, code: 'ErrorAccessDenied' },
    });
  });
});

describe('Microsoft calendar list', () => {
  it('a 429 comes back at once as a ProviderError: no Graph SDK retry behind our back', async () => {
    const mailbox = newMailbox();
    const provider = new MicrosoftCalendarProvider(microsoftConfig(ms), http, REQUEST_TIMEOUT_MS);
    ms.faults.add({
      match: { method: 'GET', path: '/v1.0/me/calendars', user: mailbox.email },
      fault: { kind: 'throttle', retryAfter: 1 },
    });
    const since = ms.requests.length;
    await expect(provider.listCalendars(mailbox.accessToken)).rejects.toMatchObject({
      name: 'ProviderError',
      code: 'calendar_list_failed',
      message: 'Microsoft Graph: TooManyRequests',
    });
    expect(graphRequests(mailbox, since).map((r) => `${r.method} ${r.status}`)).toEqual([
      'GET 429',
    ]);
    // The next call is answered: the fault was the only reason.
    const calendars = await provider.listCalendars(mailbox.accessToken);
    expect(calendars.map((c) => c.name)).toEqual(['Calendar', 'Danwel', 'Shared']);
  });
});

describe('Microsoft changes: full read', () => {
  it('returns every event in the window, over several pages, as a member sees them', async () => {
    const mailbox = newMailbox();
    const [ownId] = await write(mailbox, create(mailbox.calendar, block(41)));
    const dentist = userCreate(
      mailbox,
      'Dentist',
      '2025-03-11T07:00:00',
      '2025-03-11T08:00:00',
      {},
      'Pacific Standard Time',
    );
    const holiday = ms.state.userCreate(
      mailbox.email,
      {
        subject: 'Holiday',
        isAllDay: true,
        start: { dateTime: '2025-03-12T00:00:00', timeZone: 'Europe/Amsterdam' },
        end: { dateTime: '2025-03-14T00:00:00', timeZone: 'Europe/Amsterdam' },
      },
      mailbox.calendar.externalId,
    ).id as string;
    const focus = userCreate(mailbox, 'Focus time', '2025-03-13T13:00:00', '2025-03-13T15:00:00', {
      showAs: 'free',
      body: { contentType: 'text', content: 'Available if needed' },
    });
    const later = userCreate(
      mailbox,
      'After the window',
      '2025-05-10T09:00:00',
      '2025-05-10T10:00:00',
    );
    // Enough events for two delta pages of 100.
    const fillers = Array.from({ length: 105 }, (_, i) =>
      userCreate(mailbox, `Meeting ${i}`, '2025-03-20T09:00:00', '2025-03-20T09:30:00'),
    );
    const since = ms.requests.length;

    const page = await pull(mailbox);

    expect(page.full).toBe(true);
    expect(page.nextCursor).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/v1\.0\/.*\$deltatoken=/);
    expect(removedIds(page)).toEqual([]);
    const ids = upserts(page).map((e) => e.id);
    expect(ids).toHaveLength(109);
    expect(new Set(ids)).toEqual(new Set([ownId, dentist, holiday, focus, ...fillers]));
    expect(ids).not.toContain(later);
    // Two delta pages; the block ids of 109 events in $batches of 20.
    expect(deltaCalls(mailbox, since)).toHaveLength(2);
    expect(batchCalls(mailbox, since)).toHaveLength(6);

    const lastModified = (id: string) =>
      new Date(ms.state.event(mailbox.email, id)!.lastModifiedDateTime as string);
    expect(upsertOf(page, ownId)).toEqual({
      id: ownId,
      title: 'Block 41',
      description: 'Deep work',
      start: new Date('2025-03-10T08:00:00Z'),
      end: new Date('2025-03-10T09:30:00Z'),
      isAllDay: false,
      timeZone: 'Europe/Amsterdam',
      showAs: 'busy',
      updatedAt: lastModified(ownId),
      blockId: 41,
    });
    expect(upsertOf(page, dentist)).toEqual({
      id: dentist,
      title: 'Dentist',
      description: null,
      // 07:00 Pacific daylight time (from 9 March 2025) is 14:00 UTC.
      start: new Date('2025-03-11T14:00:00Z'),
      end: new Date('2025-03-11T15:00:00Z'),
      isAllDay: false,
      timeZone: 'Pacific Standard Time',
      showAs: 'busy',
      updatedAt: lastModified(dentist),
      blockId: null,
    });
    expect(upsertOf(page, holiday)).toMatchObject({
      title: 'Holiday',
      start: new Date('2025-03-12T00:00:00Z'),
      end: new Date('2025-03-14T00:00:00Z'),
      isAllDay: true,
      blockId: null,
    });
    expect(upsertOf(page, focus)).toMatchObject({
      title: 'Focus time',
      description: 'Available if needed',
      start: new Date('2025-03-13T12:00:00Z'),
      showAs: 'free',
      blockId: null,
    });
  });
});

describe('Microsoft changes: block ids and cursors', () => {
  it('an event deleted between the delta page and the block id lookup is removed', async () => {
    const mailbox = newMailbox();
    const [ownId] = await write(mailbox, create(mailbox.calendar, block(71)));
    ms.faults.add({
      match: { batch: true, method: 'GET', path: /\/me\/events\// },
      fault: { kind: 'status', status: 404, code: 'ErrorItemNotFound' },
    });
    const page = await pull(mailbox);
    expect(page.changes).toEqual([{ kind: 'removed', id: ownId }]);
  });

  it('a cursor that is not a Graph URL is never followed: a full read is needed', async () => {
    const mailbox = newMailbox();
    const since = ms.requests.length;
    const error = await failureOf(
      pull(mailbox, 'https://attacker.example/v1.0/me/calendarView/delta?$deltatoken=x'),
    );
    expect(error).toBeInstanceOf(CursorExpiredError);
    expect(ms.requests.length).toBe(since);
  });
});

describe('Microsoft changes: failures', () => {
  it('a 429 on a block id lookup in the $batch is throttled too', async () => {
    const mailbox = newMailbox();
    await write(mailbox, create(mailbox.calendar, block(72)));
    ms.faults.add({
      match: { batch: true, path: /\/me\/events\// },
      fault: { kind: 'throttle', retryAfter: 12 },
    });
    const failure = await pullFailure(pull(mailbox));
    expect(failure).toMatchObject({ kind: 'throttled', status: 429, retryAfterSeconds: 12 });
  });
});

describe('Microsoft changes: subscriptions', () => {
  const ADDRESS = 'https://danwel.test/webhooks/office365';
  const inOneHour = () => new Date(Date.now() + 3_600_000);
  const notificationsOf = (subscriptionId: string) =>
    receiver.received
      .filter((r) => r.path === '/webhooks/office365' && r.body !== '')
      .map((r) => JSON.parse(r.body) as { value: Array<Record<string, unknown>> })
      .flatMap((body) => body.value)
      .filter((item) => item.subscriptionId === subscriptionId);

  it('watch subscribes to the calendar: Graph tells the address, with our secret, when it changes; stopWatch ends it', async () => {
    const mailbox = newMailbox();
    const expiresAt = inOneHour();
    const channel = await changes.watch(
      mailbox.accessToken,
      mailbox.calendar.externalId,
      ADDRESS,
      'secret-of-calendar-1',
      expiresAt,
    );
    expect(channel).toEqual({ id: expect.any(String), resourceId: null, expiresAt });
    // Graph checked that the address answers before it said yes.
    expect(ms.validationRequests.at(-1)).toMatchObject({ address: ADDRESS, outcome: 'accepted' });

    const [ownId] = await write(mailbox, create(mailbox.calendar, block(81)));
    const lunch = userCreate(mailbox, 'Lunch', '2025-03-10T12:00:00', '2025-03-10T13:00:00');
    ms.state.userDelete(mailbox.email, lunch);
    // Another calendar of the mailbox is not watched.
    ms.state.userCreate(mailbox.email, {
      subject: 'Elsewhere',
      start: { dateTime: '2025-03-10T12:00:00', timeZone: 'UTC' },
      end: { dateTime: '2025-03-10T13:00:00', timeZone: 'UTC' },
    });
    await ms.notificationsSettled();
    expect(
      notificationsOf(channel.id).map((n) => [
        n.changeType,
        (n.resourceData as { id: string }).id,
        n.clientState,
      ]),
    ).toEqual([
      ['created', ownId, 'secret-of-calendar-1'],
      ['created', lunch, 'secret-of-calendar-1'],
      ['deleted', lunch, 'secret-of-calendar-1'],
    ]);

    await changes.stopWatch(mailbox.accessToken, channel);
    userCreate(mailbox, 'After the stop', '2025-03-11T12:00:00', '2025-03-11T13:00:00');
    await ms.notificationsSettled();
    expect(notificationsOf(channel.id)).toHaveLength(3);
    expect(ms.subscriptions().find((s) => s.id === channel.id)).toMatchObject({ live: false });

    // Deleting it again (or one Graph removed) counts as stopped.
    await expect(changes.stopWatch(mailbox.accessToken, channel)).resolves.toBeUndefined();
  });

  it("asks for no more than Graph's 4230 minutes, whatever the caller wants", async () => {
    const mailbox = newMailbox();
    const channel = await changes.watch(
      mailbox.accessToken,
      mailbox.calendar.externalId,
      ADDRESS,
      'secret',
      new Date(Date.now() + 7 * 86_400_000),
    );
    const max = Date.now() + MAX_EVENT_SUBSCRIPTION_MINUTES * 60_000;
    expect(channel.expiresAt.getTime()).toBeLessThan(max);
    expect(channel.expiresAt.getTime()).toBeGreaterThan(max - 30 * 60_000);
    expect(ms.subscriptions().find((s) => s.id === channel.id)).toMatchObject({
      live: true,
      expirationMs: channel.expiresAt.getTime(),
    });
  });

  it('an address that fails the validation handshake is a permanent failure', async () => {
    const mailbox = newMailbox();
    const subscriptions = ms.subscriptions().length;
    receiver.respond = () => ({ status: 404 });
    try {
      const failure = await pullFailure(
        changes.watch(mailbox.accessToken, mailbox.calendar.externalId, ADDRESS, 's', inOneHour()),
      );
      expect(failure).toMatchObject({ kind: 'permanent', status: 400, code: 'ValidationError' });
    } finally {
      receiver.respond = (request) => correctAnswer(request);
    }
    expect(ms.subscriptions()).toHaveLength(subscriptions);
  });
});
