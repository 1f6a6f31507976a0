import {
  CalendarEventsClient,
  EventContent,
  EventWrite,
  GRAPH_BLOCK_ID_PROPERTY,
  graphTransactionId,
} from '../../src/providers/calendar-events';
import { MicrosoftCalendarProvider } from '../../src/providers/microsoft/microsoft-calendar.provider';
import { ProviderHttp } from '../../src/providers/provider-http';
import {
  canonicalPropertyId,
  MicrosoftEmulator,
  startMicrosoftEmulator,
} from '../emulators/microsoft';
import { microsoftConfig } from './provider-configs';

/**
 * The Microsoft events client through the real Graph SDK against the Microsoft emulator (HTTPS,
 * trusted through `ProviderHttp.dispatcher`): what lands in the calendar, and how each answer is
 * classified for the reconciler.
 */

const SCOPES = ['openid', 'email', 'offline_access', 'Calendars.ReadWrite'];
/** Short, so the timeout cases are quick; the emulator answers in a few milliseconds. */
const REQUEST_TIMEOUT_MS = 800;

let ms: MicrosoftEmulator;
let http: ProviderHttp;
let events: CalendarEventsClient;
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

const create = (calendar: Mailbox['calendar'], event: EventContent): EventWrite => ({
  kind: 'create',
  calendarExternalId: calendar.externalId,
  calendarId: calendar.calendarId,
  event,
});

const update = (calendar: Mailbox['calendar'], eventId: string, event: EventContent) =>
  ({ kind: 'update', calendarExternalId: calendar.externalId, eventId, event }) as EventWrite;

const remove = (calendar: Mailbox['calendar'], eventId: string) =>
  ({ kind: 'delete', calendarExternalId: calendar.externalId, eventId }) as EventWrite;

async function created(mailbox: Mailbox, ...blockIds: number[]): Promise<string[]> {
  const results = await events.apply(
    mailbox.accessToken,
    blockIds.map((id) => create(mailbox.calendar, block(id))),
  );
  return results.map((result) => {
    if (!result.ok) throw new Error(`create failed: ${JSON.stringify(result.failure)}`);
    return result.eventId;
  });
}

const stored = (mailbox: Mailbox) => ms.state.events(mailbox.email, mailbox.calendar.externalId);

/** Graph requests of the mailbox (`$batch` items included), paths decoded, from `since` on. */
const graphRequests = (mailbox: Mailbox, since = 0) =>
  ms.requests
    .slice(since)
    .filter((r) => r.endpoint === 'graph' && r.account === mailbox.email)
    .map((r) => ({ ...r, path: decodeURIComponent(r.path) }));

const blockIdOf = (event: Record<string, unknown>) =>
  (event.singleValueExtendedProperties as Array<{ id: string; value: string }>).find(
    (p) => p.id === canonicalPropertyId(GRAPH_BLOCK_ID_PROPERTY),
  )?.value;

beforeAll(async () => {
  ms = await startMicrosoftEmulator();
  http = new ProviderHttp();
  http.dispatcher = await ms.dispatcher();
  events = new MicrosoftCalendarProvider(microsoftConfig(ms), http, REQUEST_TIMEOUT_MS).events();
});
afterAll(() => ms.stop());
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

describe('Microsoft events: idempotent creates', () => {
  it('a create retried after its answer was lost leaves exactly one event', async () => {
    const mailbox = newMailbox();
    ms.faults.add({
      match: { method: 'POST', path: /\/events$/, user: mailbox.email },
      fault: { kind: 'lostResponse' },
    });
    const [lost] = await events.apply(mailbox.accessToken, [create(mailbox.calendar, block(7))]);
    expect(lost).toMatchObject({
      ok: false,
      failure: { kind: 'retryable', status: null, code: 'connection_reset' },
    });
    expect(stored(mailbox)).toHaveLength(1);

    const [retried] = await events.apply(mailbox.accessToken, [create(mailbox.calendar, block(7))]);
    expect(retried).toEqual({ ok: true, eventId: stored(mailbox)[0].id });
    expect(stored(mailbox)).toHaveLength(1);
  });

  it('a create retried after a lost $batch answer leaves exactly one event per block', async () => {
    const mailbox = newMailbox();
    ms.faults.add({
      match: { batch: true, user: mailbox.email },
      fault: { kind: 'lostResponse' },
    });
    const writes = [create(mailbox.calendar, block(8)), create(mailbox.calendar, block(9))];
    const lost = await events.apply(mailbox.accessToken, writes);
    expect(lost.map((r) => !r.ok && r.failure.code)).toEqual([
      'connection_reset',
      'connection_reset',
    ]);
    const retried = await events.apply(mailbox.accessToken, writes);
    expect(retried.every((r) => r.ok)).toBe(true);
    expect(stored(mailbox).map((e) => e.subject)).toEqual(['Block 8', 'Block 9']);
  });
});

describe('Microsoft events: failures', () => {
  it('classifies each $batch item on its own, with its own Retry-After', async () => {
    const mailbox = newMailbox();
    const [a, b, c, d, e] = await created(mailbox, 21, 22, 23, 24, 25);
    const item = (eventId: string) => ({
      batch: true,
      path: `/v1.0/me/events/${encodeURIComponent(eventId)}`,
    });
    const inFiveMinutes = new Date(Date.now() + 300_000).toUTCString();
    ms.faults.add({ match: item(b), fault: { kind: 'throttle', retryAfter: 7 } });
    ms.faults.add({ match: item(c), fault: { kind: 'serverError' } });
    ms.faults.add({
      match: item(d),
      fault: { kind: 'serverError', status: 503, retryAfter: inFiveMinutes },
    });
    ms.faults.add({ match: item(e), fault: { kind: 'status', status: 503 } });
    const since = ms.requests.length;

    const results = await events.apply(mailbox.accessToken, [
      create(mailbox.calendar, block(26)),
      update(mailbox.calendar, b, block(22, { title: 'B' })),
      update(mailbox.calendar, c, block(23, { title: 'C' })),
      remove(mailbox.calendar, d),
      update(mailbox.calendar, e, block(25, { title: 'E' })),
      remove(mailbox.calendar, a),
    ]);

    expect(results[0]).toMatchObject({ ok: true });
    expect(results[1]).toMatchObject({
      ok: false,
      failure: { kind: 'throttled', status: 429, code: 'TooManyRequests', retryAfterSeconds: 7 },
    });
    expect(results[2]).toMatchObject({
      ok: false,
      failure: { kind: 'retryable', status: 500, code: 'generalException' },
    });
    expect(results[3]).toMatchObject({
      ok: false,
      failure: { kind: 'throttled', status: 503, code: 'serviceNotAvailable' },
    });
    const retryAfter = !results[3].ok ? results[3].failure.retryAfterSeconds : undefined;
    expect(retryAfter).toBeGreaterThan(290);
    expect(retryAfter).toBeLessThanOrEqual(300);
    // A 503 without Retry-After is an outage, not a request to slow down.
    expect(results[4]).toMatchObject({ ok: false, failure: { kind: 'retryable', status: 503 } });
    expect(results[5]).toEqual({ ok: true, eventId: a });

    expect(stored(mailbox).map((event) => event.subject)).toEqual([
      'Block 22',
      'Block 23',
      'Block 24',
      'Block 25',
      'Block 26',
    ]);
    // One $batch, and the SDK retried none of its items.
    const batches = graphRequests(mailbox, since).filter((r) => r.path === '/v1.0/$batch');
    expect(batches).toHaveLength(1);
    expect(graphRequests(mailbox, since).filter((r) => r.batch)).toHaveLength(6);
  });

  it('a reset $batch is a retryable failure of every write, and nothing is applied', async () => {
    const mailbox = newMailbox();
    ms.faults.add({ match: { batch: true, user: mailbox.email }, fault: { kind: 'reset' } });
    const results = await events.apply(mailbox.accessToken, [
      create(mailbox.calendar, block(31)),
      create(mailbox.calendar, block(32)),
    ]);
    expect(results).toEqual(
      Array(2).fill({
        ok: false,
        failure: expect.objectContaining({
          kind: 'retryable',
          status: null,
          code: 'connection_reset',
        }),
      }),
    );
    expect(stored(mailbox)).toEqual([]);
  });

  it('a $batch that does not answer in time is a timeout of every write', async () => {
    const mailbox = newMailbox();
    ms.faults.add({ match: { batch: true, user: mailbox.email }, fault: { kind: 'hang' } });
    const started = Date.now();
    const results = await events.apply(mailbox.accessToken, [
      create(mailbox.calendar, block(33)),
      create(mailbox.calendar, block(34)),
    ]);
    expect(Date.now() - started).toBeLessThan(REQUEST_TIMEOUT_MS + 1_000);
    for (const result of results) {
      expect(result).toMatchObject({
        ok: false,
        failure: { kind: 'retryable', status: null, code: 'timeout' },
      });
    }
  });

  it('a single write that does not answer in time is a timeout', async () => {
    const mailbox = newMailbox();
    ms.faults.add({ match: { method: 'POST', user: mailbox.email }, fault: { kind: 'hang' } });
    const [result] = await events.apply(mailbox.accessToken, [create(mailbox.calendar, block(35))]);
    expect(result).toMatchObject({ ok: false, failure: { kind: 'retryable', code: 'timeout' } });
  });

  it('a 429 or 503 with Retry-After comes back at once: the SDK does not wait and retry', async () => {
    const mailbox = newMailbox();
    const [eventId] = await created(mailbox, 36);
    ms.faults.add({
      match: { method: 'PATCH', user: mailbox.email },
      fault: { kind: 'serverError', status: 503, retryAfter: 30 },
    });
    ms.faults.add({
      match: { method: 'POST', user: mailbox.email },
      fault: { kind: 'throttle', retryAfter: 30 },
    });
    const started = Date.now();
    const [updated] = await events.apply(mailbox.accessToken, [
      update(mailbox.calendar, eventId, block(36)),
    ]);
    const [createdAgain] = await events.apply(mailbox.accessToken, [
      create(mailbox.calendar, block(37)),
    ]);
    expect(Date.now() - started).toBeLessThan(2_000);
    for (const result of [updated, createdAgain]) {
      expect(result).toMatchObject({
        ok: false,
        failure: { kind: 'throttled', retryAfterSeconds: 30 },
      });
    }
    expect(graphRequests(mailbox).filter((r) => r.headers['retry-attempt'])).toEqual([]);
    expect(graphRequests(mailbox).map((r) => `${r.method} ${r.status}`)).toEqual([
      'POST 201',
      'PATCH 503',
      'POST 429',
    ]);
  });

  it('an expired access token makes every write unauthorized', async () => {
    const mailbox = newMailbox();
    ms.state.expireAccessTokens(mailbox.email);
    const single = await events.apply(mailbox.accessToken, [create(mailbox.calendar, block(38))]);
    const batch = await events.apply(mailbox.accessToken, [
      create(mailbox.calendar, block(39)),
      create(mailbox.calendar, block(40)),
    ]);
    for (const result of [...single, ...batch]) {
      expect(result).toMatchObject({
        ok: false,
        failure: { kind: 'unauthorized', status: 401, code: 'InvalidAuthenticationToken' },
      });
      expect(!result.ok && result.failure.message).not.toContain(mailbox.accessToken);
    }
    expect(stored(mailbox)).toEqual([]);
  });

  it('updating an event deleted in Outlook is gone; deleting it is done', async () => {
    const mailbox = newMailbox();
    const [eventId] = await created(mailbox, 51);
    ms.state.userDelete(mailbox.email, eventId);
    const [gone] = await events.apply(mailbox.accessToken, [
      update(mailbox.calendar, eventId, block(51)),
    ]);
    expect(gone).toMatchObject({
      ok: false,
      failure: { kind: 'gone', status: 404, code: 'ErrorItemNotFound' },
    });
    expect(await events.apply(mailbox.accessToken, [remove(mailbox.calendar, eventId)])).toEqual([
      { ok: true, eventId },
    ]);
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

describe('Microsoft events: batches', () => {
  it('sends 20 writes as one $batch', async () => {
    expect(events.maxBatchSize).toBe(20);
    const mailbox = newMailbox();
    const blockIds = Array.from({ length: 20 }, (_, i) => 100 + i);
    const results = await events.apply(
      mailbox.accessToken,
      blockIds.map((id) => create(mailbox.calendar, block(id))),
    );
    expect(results.every((result) => result.ok)).toBe(true);
    // Matched by item id although the answers come out of order.
    const ids = results.map((result) => (result.ok ? result.eventId : ''));
    expect(ids.map((id) => ms.state.event(mailbox.email, id)?.subject)).toEqual(
      blockIds.map((id) => `Block ${id}`),
    );
    const batches = graphRequests(mailbox).filter((r) => r.path === '/v1.0/$batch');
    expect(batches).toHaveLength(1);
    expect(graphRequests(mailbox).filter((r) => r.batch?.parent === batches[0].seq)).toHaveLength(
      20,
    );
  });

  it('splits more writes than a $batch holds into several', async () => {
    const mailbox = newMailbox();
    const writes = Array.from({ length: 21 }, (_, i) => create(mailbox.calendar, block(200 + i)));
    const results = await events.apply(mailbox.accessToken, writes);
    expect(results.every((result) => result.ok)).toBe(true);
    expect(stored(mailbox)).toHaveLength(21);
    expect(
      graphRequests(mailbox)
        .filter((r) => !r.batch)
        .map((r) => r.path),
    ).toEqual(['/v1.0/$batch', `/v1.0/me/calendars/${mailbox.calendar.externalId}/events`]);
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
