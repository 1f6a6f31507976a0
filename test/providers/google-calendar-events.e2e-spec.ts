import {
  BLOCK_ID_PROPERTY,
  CalendarEventsClient,
  EventContent,
  EventWrite,
  googleEventId,
} from '../../src/providers/calendar-events';
import { GoogleCalendarProvider } from '../../src/providers/google/google-calendar.provider';
import {
  CALENDAR_SCOPES,
  GoogleEmulator,
  googleFaults,
  startGoogleEmulator,
} from '../emulators/google';
import { googleConfig } from './provider-configs';

/**
 * The Google events client through the real googleapis SDK against the Google emulator: what
 * lands in the calendar, and how each provider answer is classified for the reconciler.
 */

const EMAIL = 'ann@example.com';
/** Short, so the timeout cases are quick; the emulator answers in a few milliseconds. */
const REQUEST_TIMEOUT_MS = 800;

let emulator: GoogleEmulator;
let events: CalendarEventsClient;
let accessToken: string;
let calendarSeq = 0;

/** A fresh calendar per test, so counts are about that test only. */
function newCalendar(): { externalId: string; calendarId: number } {
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

const create = (calendar: ReturnType<typeof newCalendar>, event: EventContent): EventWrite => ({
  kind: 'create',
  calendarExternalId: calendar.externalId,
  calendarId: calendar.calendarId,
  event,
});

const update = (calendar: { externalId: string }, eventId: string, event: EventContent) =>
  ({ kind: 'update', calendarExternalId: calendar.externalId, eventId, event }) as EventWrite;

const remove = (calendar: { externalId: string }, eventId: string) =>
  ({ kind: 'delete', calendarExternalId: calendar.externalId, eventId }) as EventWrite;

/** Creates the blocks' events and answers their ids. */
async function created(calendar: ReturnType<typeof newCalendar>, ...blockIds: number[]) {
  const results = await events.apply(
    accessToken,
    blockIds.map((id) => create(calendar, block(id))),
  );
  return results.map((result) => {
    if (!result.ok) throw new Error(`create failed: ${JSON.stringify(result.failure)}`);
    return result.eventId;
  });
}

/** Requests of one operation (batch parts included) logged since the test began. */
const logged = (operation: string) => emulator.requests.filter((r) => r.operation === operation);

beforeAll(async () => {
  emulator = await startGoogleEmulator({
    accounts: [{ email: EMAIL, timeZone: 'Europe/Amsterdam' }],
  });
  events = new GoogleCalendarProvider(googleConfig(emulator), REQUEST_TIMEOUT_MS).events();
});
afterAll(() => emulator.stop());
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
  it('a create retried after its answer was lost leaves exactly one event', async () => {
    const calendar = newCalendar();
    emulator.faults.add({
      match: { operation: 'events.insert' },
      fault: googleFaults.lostResponse(),
    });
    const [lost] = await events.apply(accessToken, [create(calendar, block(7))]);
    expect(lost).toMatchObject({
      ok: false,
      failure: { kind: 'retryable', status: null, code: 'connection_reset' },
    });
    // It was applied all the same; the retry finds it (409) and overwrites it.
    const [retried] = await events.apply(accessToken, [create(calendar, block(7))]);
    expect(retried).toEqual({ ok: true, eventId: googleEventId(7, calendar.calendarId) });
    expect(emulator.events(EMAIL, calendar.externalId, { includeCancelled: true })).toHaveLength(1);
    expect(logged('events.insert').map((r) => r.status ?? r.outcome)).toEqual([
      'lostResponse',
      409,
    ]);
  });

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
  it('classifies each part of a batch on its own, with its own Retry-After', async () => {
    const calendar = newCalendar();
    const [a, b, c, d, e] = await created(calendar, 21, 22, 23, 24, 25);
    const inFiveMinutes = new Date(Date.now() + 300_000).toUTCString();
    const part = (eventId: string) => ({ batch: true, path: new RegExp(`/events/${eventId}$`) });
    emulator.faults.add({ match: part(b), fault: googleFaults.tooManyRequests(7) });
    emulator.faults.add({ match: part(c), fault: googleFaults.backendError() });
    emulator.faults.add({ match: part(d), fault: googleFaults.userRateLimitExceeded() });
    emulator.faults.add({ match: part(e), fault: googleFaults.tooManyRequests(inFiveMinutes) });
    emulator.clearRequests();

    const results = await events.apply(accessToken, [
      create(calendar, block(26)),
      update(calendar, b, block(22, { title: 'B' })),
      update(calendar, c, block(23, { title: 'C' })),
      remove(calendar, d),
      update(calendar, e, block(25, { title: 'E' })),
      remove(calendar, a),
    ]);

    expect(results[0]).toEqual({ ok: true, eventId: googleEventId(26, calendar.calendarId) });
    expect(results[1]).toMatchObject({
      ok: false,
      failure: { kind: 'throttled', status: 429, code: 'rateLimitExceeded', retryAfterSeconds: 7 },
    });
    expect(results[2]).toMatchObject({
      ok: false,
      failure: { kind: 'retryable', status: 500, code: 'backendError' },
    });
    expect(results[3]).toMatchObject({
      ok: false,
      failure: { kind: 'throttled', status: 403, code: 'userRateLimitExceeded' },
    });
    const retryAfter = !results[4].ok ? results[4].failure.retryAfterSeconds : undefined;
    expect(retryAfter).toBeGreaterThan(290);
    expect(retryAfter).toBeLessThanOrEqual(300);
    expect(results[5]).toEqual({ ok: true, eventId: a });
    expect(logged('batch')).toHaveLength(1);
    expect(emulator.events(EMAIL, calendar.externalId).map((event) => event.summary)).toEqual([
      'Block 22',
      'Block 23',
      'Block 24',
      'Block 25',
      'Block 26',
    ]);
  });

  it('a reset batch request is a retryable failure of every write, and nothing is applied', async () => {
    const calendar = newCalendar();
    emulator.faults.add({ match: { operation: 'batch' }, fault: googleFaults.reset() });
    const results = await events.apply(accessToken, [
      create(calendar, block(31)),
      create(calendar, block(32)),
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
    expect(emulator.events(EMAIL, calendar.externalId)).toEqual([]);
  });

  it('a batch request that does not answer in time is a timeout of every write', async () => {
    const calendar = newCalendar();
    emulator.faults.add({ match: { operation: 'batch' }, fault: googleFaults.timeout() });
    const started = Date.now();
    const results = await events.apply(accessToken, [
      create(calendar, block(33)),
      remove(calendar, 'unknownevent1'),
    ]);
    expect(Date.now() - started).toBeLessThan(REQUEST_TIMEOUT_MS + 1_000);
    for (const result of results) {
      expect(result).toMatchObject({
        ok: false,
        failure: { kind: 'retryable', status: null, code: 'timeout' },
      });
    }
  });

  it('a single write that does not answer in time is a timeout, not retried by the SDK', async () => {
    const calendar = newCalendar();
    emulator.faults.add({ match: { operation: 'events.insert' }, fault: googleFaults.timeout() });
    const [result] = await events.apply(accessToken, [create(calendar, block(34))]);
    expect(result).toMatchObject({ ok: false, failure: { kind: 'retryable', code: 'timeout' } });
    expect(logged('events.insert')).toHaveLength(1);
  });

  it('a 503 on a PUT is reported at once: gaxios does not retry it behind our back', async () => {
    const calendar = newCalendar();
    const [eventId] = await created(calendar, 35);
    emulator.faults.add({
      match: { operation: 'events.update' },
      fault: googleFaults.unavailable(3),
    });
    const [result] = await events.apply(accessToken, [update(calendar, eventId, block(35))]);
    expect(result).toMatchObject({
      ok: false,
      failure: { kind: 'throttled', status: 503, retryAfterSeconds: 3 },
    });
    expect(logged('events.update')).toHaveLength(1);
  });

  it('an expired access token makes every write unauthorized', async () => {
    const calendar = newCalendar();
    emulator.expireAccessTokens(EMAIL);
    const single = await events.apply(accessToken, [create(calendar, block(36))]);
    const batch = await events.apply(accessToken, [
      create(calendar, block(37)),
      create(calendar, block(38)),
    ]);
    for (const result of [...single, ...batch]) {
      expect(result).toMatchObject({
        ok: false,
        failure: { kind: 'unauthorized', status: 401, code: 'authError' },
      });
      expect(!result.ok && result.failure.message).not.toContain(accessToken);
    }
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

  it('deleting an event that is missing or already deleted is done', async () => {
    const calendar = newCalendar();
    const [eventId] = await created(calendar, 54);
    await events.apply(accessToken, [remove(calendar, eventId)]);
    expect(await events.apply(accessToken, [remove(calendar, eventId)])).toEqual([
      { ok: true, eventId },
    ]);
    expect(await events.apply(accessToken, [remove(calendar, 'neverexisted1')])).toEqual([
      { ok: true, eventId: 'neverexisted1' },
    ]);
    expect(logged('events.delete').map((r) => r.status)).toEqual([204, 410, 404]);
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

describe('Google events: batches', () => {
  it('sends 50 writes as one batch request', async () => {
    expect(events.maxBatchSize).toBe(50);
    const calendar = newCalendar();
    const blockIds = Array.from({ length: 50 }, (_, i) => 100 + i);
    const results = await events.apply(
      accessToken,
      blockIds.map((id) => create(calendar, block(id))),
    );
    expect(results).toEqual(
      blockIds.map((id) => ({ ok: true, eventId: googleEventId(id, calendar.calendarId) })),
    );
    const batches = logged('batch');
    expect(batches).toHaveLength(1);
    expect(emulator.requests.filter((r) => r.batch?.parent === batches[0].seq)).toHaveLength(50);
    expect(emulator.events(EMAIL, calendar.externalId)).toHaveLength(50);
  });
});
