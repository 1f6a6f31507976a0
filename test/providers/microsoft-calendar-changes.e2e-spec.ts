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
} from '../../src/providers/calendar-events';
import { MicrosoftCalendarProvider } from '../../src/providers/microsoft/microsoft-calendar.provider';
import { ProviderHttp } from '../../src/providers/provider-http';
import {
  MAX_EVENT_SUBSCRIPTION_MINUTES,
  MicrosoftEmulator,
  startMicrosoftEmulator,
} from '../emulators/microsoft';
import {
  correctAnswer,
  startWebhookReceiver,
  WebhookReceiver,
} from '../emulators/common/webhook-receiver';
import { microsoftConfig } from './provider-configs';

/**
 * The Microsoft pull client through the real Graph SDK against the Microsoft emulator (HTTPS,
 * trusted through `ProviderHttp.dispatcher`): `calendarView/delta` rounds after changes made by
 * danwel and by the user in Outlook, danwel's block id read back from its extended property, and
 * how each failure reaches the puller.
 */

const SCOPES = ['openid', 'email', 'offline_access', 'Calendars.ReadWrite'];
/** Short, so the timeout case is quick; the emulator answers in a few milliseconds. */
const REQUEST_TIMEOUT_MS = 800;
const WINDOW: PullWindow = {
  from: new Date('2025-03-01T00:00:00Z'),
  to: new Date('2025-04-01T00:00:00Z'),
};

let ms: MicrosoftEmulator;
/** Where the emulator really POSTs (handshakes, notifications) for `https://danwel.test/…`. */
let receiver: WebhookReceiver;
let changes: CalendarChangesClient;
let events: CalendarEventsClient;
let accountSeq = 0;

interface Mailbox {
  email: string;
  accessToken: string;
  /** danwel's calendar: externalId is Graph's id, calendarId ours. */
  calendar: { externalId: string; calendarId: number };
}

/** A fresh mailbox per test (Graph limits are per mailbox), with a "Danwel" calendar. */
function newMailbox(): Mailbox {
  accountSeq++;
  const email = `puller${accountSeq}@contoso.test`;
  const account = ms.addAccount({ email, calendars: ['Danwel'] });
  const { accessToken } = ms.state.issueTokens(account.id, ms.app.clientId, SCOPES);
  return {
    email,
    accessToken,
    calendar: { externalId: account.calendarIds[1], calendarId: accountSeq },
  };
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

const create = (mailbox: Mailbox, event: EventContent): EventWrite => ({
  kind: 'create',
  calendarExternalId: mailbox.calendar.externalId,
  calendarId: mailbox.calendar.calendarId,
  event,
});

/** Writes through the product's events client: the events carry exactly what production writes. */
async function write(mailbox: Mailbox, ...writes: EventWrite[]): Promise<string[]> {
  const results = await events.apply(mailbox.accessToken, writes);
  return results.map((result) => {
    if (!result.ok) throw new Error(`write failed: ${JSON.stringify(result.failure)}`);
    return result.eventId;
  });
}

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

const pull = (mailbox: Mailbox, cursor: string | null = null) =>
  changes.changes(mailbox.accessToken, mailbox.calendar.externalId, cursor, WINDOW);

const upserts = (page: ChangePage) =>
  page.changes.flatMap((c) => (c.kind === 'upsert' ? [c.event] : []));
const removedIds = (page: ChangePage) =>
  page.changes.flatMap((c) => (c.kind === 'removed' ? [c.id] : [])).sort();
const upsertOf = (page: ChangePage, id: string) => upserts(page).find((e) => e.id === id);

/** Graph requests of the mailbox (`$batch` items included) logged from `since` on. */
const graphRequests = (mailbox: Mailbox, since = 0) =>
  ms.requests.slice(since).filter((r) => r.endpoint === 'graph' && r.account === mailbox.email);
const deltaCalls = (mailbox: Mailbox, since = 0) =>
  graphRequests(mailbox, since).filter((r) => r.path.endsWith('/delta'));
const batchCalls = (mailbox: Mailbox, since = 0) =>
  graphRequests(mailbox, since).filter((r) => r.path === '/v1.0/$batch');

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the pull to fail');
}

async function pullFailure(promise: Promise<unknown>) {
  const error = await failureOf(promise);
  expect(error).toBeInstanceOf(PullFailedError);
  return (error as PullFailedError).failure;
}

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  ms = await startMicrosoftEmulator({
    notificationRewrite: (address) => `${receiver.url}${new URL(address).pathname}`,
  });
  const http = new ProviderHttp();
  http.dispatcher = await ms.dispatcher();
  const provider = new MicrosoftCalendarProvider(microsoftConfig(ms), http, REQUEST_TIMEOUT_MS);
  changes = provider.changes();
  events = provider.events();
});
afterAll(async () => {
  await ms.stop();
  await receiver.stop();
});
afterEach(() => ms.faults.clear());

describe('Microsoft changes: full read', () => {
  it('returns every event in the window, over several pages, as a member sees them', async () => {
    const mailbox = newMailbox();
    const [ownId] = await write(mailbox, create(mailbox, block(41)));
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

  it('reads an empty calendar as no changes and a cursor, without looking up block ids', async () => {
    const mailbox = newMailbox();
    const since = ms.requests.length;
    const page = await pull(mailbox);
    expect(page).toEqual({ changes: [], nextCursor: expect.any(String), full: true });
    expect(graphRequests(mailbox, since)).toHaveLength(1);
  });
});

describe('Microsoft changes: incremental read', () => {
  it("returns danwel's and the user's changes since the cursor, then nothing", async () => {
    const mailbox = newMailbox();
    const [renamed, deleted, editedByUser] = await write(
      mailbox,
      create(mailbox, block(51)),
      create(mailbox, block(52)),
      create(mailbox, block(53)),
    );
    const lunch = userCreate(mailbox, 'Lunch', '2025-03-10T12:00:00', '2025-03-10T13:00:00');
    const gym = userCreate(mailbox, 'Gym', '2025-03-10T18:00:00', '2025-03-10T19:00:00');
    const trip = userCreate(mailbox, 'Trip', '2025-03-11T09:00:00', '2025-03-11T17:00:00');
    const full = await pull(mailbox);
    expect(upserts(full)).toHaveLength(6);

    // danwel writes through the API…
    await write(
      mailbox,
      {
        kind: 'update',
        calendarExternalId: mailbox.calendar.externalId,
        eventId: renamed,
        event: block(51, { title: 'Renamed in danwel' }),
      },
      { kind: 'delete', calendarExternalId: mailbox.calendar.externalId, eventId: deleted },
    );
    // …and the user works in Outlook.
    ms.state.userEdit(mailbox.email, editedByUser, {
      subject: 'Moved by the user',
      start: { dateTime: '2025-03-12T14:00:00', timeZone: 'Europe/Amsterdam' },
      end: { dateTime: '2025-03-12T15:00:00', timeZone: 'Europe/Amsterdam' },
    });
    ms.state.userEdit(mailbox.email, lunch, {
      start: { dateTime: '2025-03-10T12:30:00', timeZone: 'Europe/Amsterdam' },
      end: { dateTime: '2025-03-10T13:30:00', timeZone: 'Europe/Amsterdam' },
    });
    ms.state.userDelete(mailbox.email, gym);
    // Moved out of the pulled window: gone from this view.
    ms.state.userEdit(mailbox.email, trip, {
      start: { dateTime: '2025-06-11T09:00:00', timeZone: 'Europe/Amsterdam' },
      end: { dateTime: '2025-06-11T17:00:00', timeZone: 'Europe/Amsterdam' },
    });
    const added = userCreate(mailbox, 'New meeting', '2025-03-14T10:00:00', '2025-03-14T11:00:00');
    const since = ms.requests.length;

    const page = await pull(mailbox, full.nextCursor);

    expect(page.full).toBe(false);
    expect(page.nextCursor).not.toBe(full.nextCursor);
    expect(removedIds(page)).toEqual([deleted, gym, trip].sort());
    expect(
      upserts(page)
        .map((e) => e.id)
        .sort(),
    ).toEqual([renamed, editedByUser, lunch, added].sort());
    expect(upsertOf(page, renamed)).toMatchObject({ title: 'Renamed in danwel', blockId: 51 });
    expect(upsertOf(page, editedByUser)).toMatchObject({
      title: 'Moved by the user',
      start: new Date('2025-03-12T13:00:00Z'),
      end: new Date('2025-03-12T14:00:00Z'),
      blockId: 53,
    });
    expect(upsertOf(page, lunch)).toMatchObject({
      title: 'Lunch',
      start: new Date('2025-03-10T11:30:00Z'),
      end: new Date('2025-03-10T12:30:00Z'),
      blockId: null,
    });
    expect(upsertOf(page, added)).toMatchObject({ title: 'New meeting', blockId: null });
    // One delta page, one $batch for the four upserted events' block ids.
    expect(deltaCalls(mailbox, since)).toHaveLength(1);
    expect(batchCalls(mailbox, since)).toHaveLength(1);

    const quiet = await pull(mailbox, page.nextCursor);
    expect(quiet).toEqual({ changes: [], nextCursor: expect.any(String), full: false });
  });

  it('an event deleted between the delta page and the block id lookup is removed', async () => {
    const mailbox = newMailbox();
    const [ownId] = await write(mailbox, create(mailbox, block(71)));
    ms.faults.add({
      match: { batch: true, method: 'GET', path: /\/me\/events\// },
      fault: { kind: 'status', status: 404, code: 'ErrorItemNotFound' },
    });
    const page = await pull(mailbox);
    expect(page.changes).toEqual([{ kind: 'removed', id: ownId }]);
  });

  it('a cursor Graph no longer knows is CursorExpiredError; a full read starts over', async () => {
    const mailbox = newMailbox();
    const [ownId] = await write(mailbox, create(mailbox, block(61)));
    const full = await pull(mailbox);
    ms.state.expireDeltaTokens(mailbox.email);

    expect(await failureOf(pull(mailbox, full.nextCursor))).toBeInstanceOf(CursorExpiredError);

    const again = await pull(mailbox);
    expect(again.full).toBe(true);
    expect(upserts(again).map((e) => [e.id, e.blockId])).toEqual([[ownId, 61]]);
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
  it('a 429 is throttled with its Retry-After, and the SDK does not retry it', async () => {
    const mailbox = newMailbox();
    ms.faults.add({ match: { path: /\/delta$/ }, fault: { kind: 'throttle', retryAfter: 7 } });
    const since = ms.requests.length;
    const failure = await pullFailure(pull(mailbox));
    expect(failure).toMatchObject({ kind: 'throttled', status: 429, retryAfterSeconds: 7 });
    expect(deltaCalls(mailbox, since)).toHaveLength(1);
  });

  it('a 429 on a block id lookup in the $batch is throttled too', async () => {
    const mailbox = newMailbox();
    await write(mailbox, create(mailbox, block(72)));
    ms.faults.add({
      match: { batch: true, path: /\/me\/events\// },
      fault: { kind: 'throttle', retryAfter: 12 },
    });
    const failure = await pullFailure(pull(mailbox));
    expect(failure).toMatchObject({ kind: 'throttled', status: 429, retryAfterSeconds: 12 });
  });

  it('an expired access token is unauthorized, and the message does not carry the token', async () => {
    const mailbox = newMailbox();
    ms.state.expireAccessTokens(mailbox.email);
    const error = await failureOf(pull(mailbox));
    expect(error).toBeInstanceOf(PullFailedError);
    expect((error as PullFailedError).failure).toMatchObject({
      kind: 'unauthorized',
      status: 401,
      code: 'InvalidAuthenticationToken',
    });
    expect((error as Error).message).not.toContain(mailbox.accessToken);
  });

  it('a reset connection is retryable', async () => {
    const mailbox = newMailbox();
    ms.faults.add({ match: { path: /\/delta$/ }, fault: { kind: 'reset' } });
    const failure = await pullFailure(pull(mailbox));
    expect(failure).toMatchObject({ kind: 'retryable', status: null, code: 'connection_reset' });
  });

  it('a page that does not answer in time is a retryable timeout', async () => {
    const mailbox = newMailbox();
    ms.faults.add({ match: { path: /\/delta$/ }, fault: { kind: 'hang' } });
    const started = Date.now();
    const failure = await pullFailure(pull(mailbox));
    expect(failure).toMatchObject({ kind: 'retryable', status: null, code: 'timeout' });
    expect(Date.now() - started).toBeLessThan(REQUEST_TIMEOUT_MS + 1_000);
  });

  it('a failing second page fails the whole read; the same cursor works afterwards', async () => {
    const mailbox = newMailbox();
    const full = await pull(mailbox);
    for (let i = 0; i < 105; i++) {
      userCreate(mailbox, `Imported ${i}`, '2025-03-21T09:00:00', '2025-03-21T10:00:00');
    }
    ms.faults.add({ match: { path: /\/delta$/ }, after: 1, fault: { kind: 'serverError' } });
    const failure = await pullFailure(pull(mailbox, full.nextCursor));
    expect(failure).toMatchObject({ kind: 'retryable', status: 500 });
    const page = await pull(mailbox, full.nextCursor);
    expect(upserts(page)).toHaveLength(105);
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

    const [ownId] = await write(mailbox, create(mailbox, block(81)));
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

  it('a throttled subscribe and an unauthorized delete are PullFailedErrors, classified as for pulls', async () => {
    const mailbox = newMailbox();
    ms.faults.add({
      match: { method: 'POST', path: '/v1.0/subscriptions' },
      fault: { kind: 'throttle', retryAfter: 5 },
    });
    const throttled = await pullFailure(
      changes.watch(mailbox.accessToken, mailbox.calendar.externalId, ADDRESS, 's', inOneHour()),
    );
    expect(throttled).toMatchObject({ kind: 'throttled', status: 429, retryAfterSeconds: 5 });

    const channel = await changes.watch(
      mailbox.accessToken,
      mailbox.calendar.externalId,
      ADDRESS,
      's',
      inOneHour(),
    );
    ms.state.expireAccessTokens(mailbox.email);
    const unauthorized = await pullFailure(changes.stopWatch(mailbox.accessToken, channel));
    expect(unauthorized).toMatchObject({ kind: 'unauthorized', status: 401 });
    expect(ms.subscriptions().find((s) => s.id === channel.id)).toMatchObject({ live: true });
  });
});
