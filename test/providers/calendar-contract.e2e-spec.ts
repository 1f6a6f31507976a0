import { CursorExpiredError, PullFailedError } from '../../src/providers/calendar-changes';
import { EventWrite } from '../../src/providers/calendar-events';
import {
  applied,
  block,
  CalendarAccount,
  CalendarWorld,
  createEvent,
  deleteEvent,
  failureOf,
  pullFailure,
  removedIds,
  upsertOf,
  upserts,
  PULL_WINDOW,
  REQUEST_TIMEOUT_MS,
  updateEvent,
} from '../support/calendar-subject';
import { CALENDAR_SUBJECTS } from '../support/calendar-subjects';

/**
 * The calendar provider contract: what every provider's events and changes clients must do
 * against its emulator, through the real SDKs, so that the reconciler and the puller can treat
 * them alike. Each subject (test/support/calendar-subjects) sets up one account per test; cases
 * about one provider's own protocol live in its `<provider>-calendar-*.e2e-spec.ts`.
 */

/** A user's event on `day` March 2025 at `hour`:00 UTC, lasting `hours`. */
const at = (title: string, day: number, hour: number, hours = 1) => ({
  title,
  start: new Date(Date.UTC(2025, 2, day, hour)),
  end: new Date(Date.UTC(2025, 2, day, hour + hours)),
});

describe.each(CALENDAR_SUBJECTS)('calendar contract: $name', (subject) => {
  let world: CalendarWorld;
  let account: CalendarAccount;

  beforeAll(async () => {
    world = await subject.start();
  });
  afterAll(() => world.stop());
  beforeEach(() => {
    account = world.newAccount();
  });
  afterEach(() => world.clearFaults());

  const apply = (...writes: EventWrite[]) => world.events.apply(account.accessToken, writes);
  const created = (...blockIds: number[]) =>
    applied(
      world.events,
      account,
      blockIds.map((id) => createEvent(account.calendar, block(id))),
    );
  const pull = (cursor: string | null = null) =>
    world.changes.changes(account.accessToken, account.calendar.externalId, cursor, PULL_WINDOW);
  const titles = () => world.stored(account).map((e) => e.title);
  const fillCalendar = (count: number) =>
    Array.from({ length: count }, (_, i) => world.userCreate(account, at(`Imported ${i}`, 21, 9)));

  describe('idempotent creates', () => {
    it('a create retried after its answer was lost leaves exactly one event', async () => {
      world.fault(account, 'create', { kind: 'lostResponse' });
      const [lost] = await apply(createEvent(account.calendar, block(7)));
      expect(lost).toMatchObject({
        ok: false,
        failure: { kind: 'retryable', status: null, code: 'connection_reset' },
      });
      expect(titles()).toEqual(['Block 7']);

      const [retried] = await apply(createEvent(account.calendar, block(7)));
      expect(retried).toEqual({ ok: true, eventId: world.stored(account)[0].id });
      expect(titles()).toEqual(['Block 7']);
    });

    it('a create retried after a lost batch answer leaves exactly one event per block', async () => {
      world.fault(account, 'batch', { kind: 'lostResponse' });
      const writes = [
        createEvent(account.calendar, block(8)),
        createEvent(account.calendar, block(9)),
      ];
      const lost = await apply(...writes);
      expect(lost.map((r) => !r.ok && r.failure.code)).toEqual([
        'connection_reset',
        'connection_reset',
      ]);
      const retried = await apply(...writes);
      expect(retried.every((r) => r.ok)).toBe(true);
      expect(titles().sort()).toEqual(['Block 8', 'Block 9']);
    });
  });

  describe('write failures', () => {
    it('classifies each part of a batch on its own, with its own Retry-After', async () => {
      const [a, b, c, d] = await created(21, 22, 23, 24);
      const inFiveMinutes = new Date(Date.now() + 300_000).toUTCString();
      world.fault(account, { batchPart: b }, { kind: 'throttle', retryAfter: 7 });
      world.fault(account, { batchPart: c }, { kind: 'serverError' });
      world.fault(account, { batchPart: d }, { kind: 'throttle', retryAfter: inFiveMinutes });
      const batches = world.requests(account, 'batch');

      const results = await apply(
        createEvent(account.calendar, block(26)),
        updateEvent(account.calendar, b, block(22, { title: 'B' })),
        updateEvent(account.calendar, c, block(23, { title: 'C' })),
        deleteEvent(account.calendar, d),
        deleteEvent(account.calendar, a),
      );

      expect(results[0]).toMatchObject({ ok: true });
      expect(results[1]).toMatchObject({
        ok: false,
        failure: {
          kind: 'throttled',
          status: 429,
          code: world.codes.throttled,
          retryAfterSeconds: 7,
        },
      });
      expect(results[2]).toMatchObject({
        ok: false,
        failure: { kind: 'retryable', status: 500, code: world.codes.serverError },
      });
      expect(results[3]).toMatchObject({ ok: false, failure: { kind: 'throttled', status: 429 } });
      const retryAfter = !results[3].ok ? results[3].failure.retryAfterSeconds : undefined;
      expect(retryAfter).toBeGreaterThan(290);
      expect(retryAfter).toBeLessThanOrEqual(300);
      expect(results[4]).toEqual({ ok: true, eventId: a });
      expect(titles().sort()).toEqual(['Block 22', 'Block 23', 'Block 24', 'Block 26']);
      // One batch request, and the SDK retried none of its parts.
      expect(world.requests(account, 'batch') - batches).toBe(1);
    });

    it('a reset batch request is a retryable failure of every write, and nothing is applied', async () => {
      world.fault(account, 'batch', { kind: 'reset' });
      const results = await apply(
        createEvent(account.calendar, block(31)),
        createEvent(account.calendar, block(32)),
      );
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
      expect(world.stored(account)).toEqual([]);
    });

    it('a batch request that does not answer in time is a timeout of every write', async () => {
      world.fault(account, 'batch', { kind: 'hang' });
      const started = Date.now();
      const results = await apply(
        createEvent(account.calendar, block(33)),
        createEvent(account.calendar, block(34)),
      );
      expect(Date.now() - started).toBeLessThan(REQUEST_TIMEOUT_MS + 1_000);
      for (const result of results) {
        expect(result).toMatchObject({
          ok: false,
          failure: { kind: 'retryable', status: null, code: 'timeout' },
        });
      }
    });

    it('a single write that does not answer in time is a timeout, not retried by the SDK', async () => {
      world.fault(account, 'create', { kind: 'hang' });
      const [result] = await apply(createEvent(account.calendar, block(35)));
      expect(result).toMatchObject({ ok: false, failure: { kind: 'retryable', code: 'timeout' } });
      expect(world.requests(account, 'create')).toBe(1);
    });

    it('a 429 or 503 with Retry-After comes back at once: the SDK does not wait and retry', async () => {
      const [eventId] = await created(36);
      world.fault(account, 'update', { kind: 'serverError', status: 503, retryAfter: 30 });
      world.fault(account, 'create', { kind: 'throttle', retryAfter: 30 });
      const started = Date.now();
      const [updated] = await apply(updateEvent(account.calendar, eventId, block(36)));
      const [createdAgain] = await apply(createEvent(account.calendar, block(37)));
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(updated).toMatchObject({
        ok: false,
        failure: { kind: 'throttled', status: 503, retryAfterSeconds: 30 },
      });
      expect(createdAgain).toMatchObject({
        ok: false,
        failure: { kind: 'throttled', status: 429, retryAfterSeconds: 30 },
      });
      expect(world.requests(account, 'update')).toBe(1);
      expect(world.requests(account, 'create')).toBe(2);
    });

    it('an expired access token makes every write unauthorized', async () => {
      world.expireAccessTokens(account);
      const single = await apply(createEvent(account.calendar, block(38)));
      const batch = await apply(
        createEvent(account.calendar, block(39)),
        createEvent(account.calendar, block(40)),
      );
      for (const result of [...single, ...batch]) {
        expect(result).toMatchObject({
          ok: false,
          failure: { kind: 'unauthorized', status: 401, code: world.codes.unauthorized },
        });
        expect(!result.ok && result.failure.message).not.toContain(account.accessToken);
      }
      expect(world.stored(account)).toEqual([]);
    });

    it('updating an event the provider no longer has is gone', async () => {
      const [eventId] = await created(51);
      world.forget(account, eventId);
      const [gone] = await apply(updateEvent(account.calendar, eventId, block(51)));
      expect(gone).toMatchObject({ ok: false, failure: { kind: 'gone', status: 404 } });
    });

    it('deleting an event that is missing or already deleted is done', async () => {
      const [deleted, byUser] = await created(54, 55);
      await apply(deleteEvent(account.calendar, deleted));
      world.userDelete(account, byUser);
      expect(
        await apply(
          deleteEvent(account.calendar, deleted),
          deleteEvent(account.calendar, byUser),
          deleteEvent(account.calendar, 'neverexisted1'),
        ),
      ).toEqual([
        { ok: true, eventId: deleted },
        { ok: true, eventId: byUser },
        { ok: true, eventId: 'neverexisted1' },
      ]);
      expect(await apply(deleteEvent(account.calendar, deleted))).toEqual([
        { ok: true, eventId: deleted },
      ]);
    });
  });

  describe('batches', () => {
    it('sends as many writes as a batch holds as one batch request', async () => {
      expect(world.events.maxBatchSize).toBe(world.maxBatchSize);
      const blockIds = Array.from({ length: world.maxBatchSize }, (_, i) => 100 + i);
      const ids = await created(...blockIds);
      // Matched to their writes even where the answers come out of order.
      const byId = new Map(world.stored(account).map((e) => [e.id, e.title]));
      expect(ids.map((id) => byId.get(id))).toEqual(blockIds.map((id) => `Block ${id}`));
      expect(world.requests(account, 'batch')).toBe(1);
      expect(world.requests(account)).toBe(1);
    });

    it('splits more writes than a batch holds into several', async () => {
      const blockIds = Array.from({ length: world.maxBatchSize + 1 }, (_, i) => 200 + i);
      await created(...blockIds);
      expect(world.stored(account)).toHaveLength(world.maxBatchSize + 1);
      // A full batch, and the one write left over sent on its own.
      expect(world.requests(account, 'batch')).toBe(1);
      expect(world.requests(account, 'create')).toBe(1);
    });
  });

  describe('change reads', () => {
    it('reads an empty calendar as no changes and a cursor, in one request', async () => {
      const page = await pull();
      expect(page).toEqual({ changes: [], nextCursor: expect.any(String), full: true });
      expect(world.requests(account)).toBe(1);
    });

    it("returns danwel's and the user's changes since the cursor, then nothing", async () => {
      const [renamed, deleted, editedByUser] = await created(51, 52, 53);
      const lunch = world.userCreate(account, at('Lunch', 10, 11));
      const gym = world.userCreate(account, at('Gym', 10, 17));
      const trip = world.userCreate(account, at('Trip', 11, 8, 8));
      const full = await pull();
      expect(full.full).toBe(true);
      expect(upserts(full)).toHaveLength(6);

      // danwel writes through the API…
      await applied(world.events, account, [
        updateEvent(account.calendar, renamed, block(51, { title: 'Renamed in danwel' })),
        deleteEvent(account.calendar, deleted),
      ]);
      // …and the user works in the calendar app.
      world.userEdit(account, editedByUser, at('Moved by the user', 12, 13));
      world.userEdit(account, lunch, {
        start: new Date('2025-03-10T11:30:00Z'),
        end: new Date('2025-03-10T12:30:00Z'),
      });
      world.userDelete(account, gym);
      world.userMoveAway(account, trip);
      const added = world.userCreate(account, at('New meeting', 14, 9));
      const pages = world.requests(account, 'page');

      const page = await pull(full.nextCursor);

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
      expect(world.requests(account, 'page') - pages).toBe(1);

      const quiet = await pull(page.nextCursor);
      expect(quiet).toEqual({ changes: [], nextCursor: expect.any(String), full: false });
    });

    it('follows the pages of a long incremental read to the final cursor', async () => {
      const full = await pull();
      const inserted = fillCalendar(world.changePageSize + 20);
      const pages = world.requests(account, 'page');
      const page = await pull(full.nextCursor);
      expect(upserts(page).map((e) => e.id)).toEqual(inserted);
      expect(world.requests(account, 'page') - pages).toBe(2);
      const quiet = await pull(page.nextCursor);
      expect(quiet.changes).toEqual([]);
    });

    it('a cursor the provider no longer accepts is CursorExpiredError; a full read starts over', async () => {
      const [ownId] = await created(61);
      const full = await pull();
      world.expireCursors(account);

      expect(await failureOf(pull(full.nextCursor))).toBeInstanceOf(CursorExpiredError);

      const again = await pull();
      expect(again.full).toBe(true);
      expect(upserts(again).map((e) => [e.id, e.blockId])).toEqual([[ownId, 61]]);
    });
  });

  describe('change read failures', () => {
    it('a 429 is throttled with its Retry-After, and the SDK does not retry it', async () => {
      world.fault(account, 'page', { kind: 'throttle', retryAfter: 7 });
      const failure = await pullFailure(pull());
      expect(failure).toMatchObject({
        kind: 'throttled',
        status: 429,
        code: world.codes.throttled,
        retryAfterSeconds: 7,
      });
      expect(world.requests(account, 'page')).toBe(1);
    });

    it('an expired access token is unauthorized, and the message does not carry the token', async () => {
      world.expireAccessTokens(account);
      const error = await failureOf(pull());
      expect(error).toBeInstanceOf(PullFailedError);
      expect((error as PullFailedError).failure).toMatchObject({
        kind: 'unauthorized',
        status: 401,
        code: world.codes.unauthorized,
      });
      expect((error as Error).message).not.toContain(account.accessToken);
    });

    it('a reset connection is retryable, and the SDK does not retry the GET behind our back', async () => {
      world.fault(account, 'page', { kind: 'reset' });
      const failure = await pullFailure(pull());
      expect(failure).toMatchObject({ kind: 'retryable', status: null, code: 'connection_reset' });
      expect(world.requests(account, 'page')).toBe(1);
    });

    it('a page that does not answer in time is a retryable timeout', async () => {
      world.fault(account, 'page', { kind: 'hang' });
      const started = Date.now();
      const failure = await pullFailure(pull());
      expect(failure).toMatchObject({ kind: 'retryable', status: null, code: 'timeout' });
      expect(Date.now() - started).toBeLessThan(REQUEST_TIMEOUT_MS + 1_000);
    });

    it('a failing second page fails the whole read; the same cursor works afterwards', async () => {
      const full = await pull();
      fillCalendar(world.changePageSize + 5);
      world.fault(account, 'page', { kind: 'serverError' }, 1);
      const failure = await pullFailure(pull(full.nextCursor));
      expect(failure).toMatchObject({
        kind: 'retryable',
        status: 500,
        code: world.codes.serverError,
      });
      // The same cursor still works once the provider recovers.
      const page = await pull(full.nextCursor);
      expect(upserts(page)).toHaveLength(world.changePageSize + 5);
    });

    it('a throttled watch and an unauthorized stop are PullFailedErrors, classified as for pulls', async () => {
      const address = `https://danwel.test/webhooks/${subject.name}`;
      const watch = () =>
        world.changes.watch(
          account.accessToken,
          account.calendar.externalId,
          address,
          'secret',
          new Date(Date.now() + 3_600_000),
        );
      world.fault(account, 'watch', { kind: 'throttle', retryAfter: 5 });
      expect(await pullFailure(watch())).toMatchObject({
        kind: 'throttled',
        status: 429,
        retryAfterSeconds: 5,
      });

      const channel = await watch();
      expect(world.isWatching(channel.id)).toBe(true);
      world.expireAccessTokens(account);
      const stopped = await pullFailure(world.changes.stopWatch(account.accessToken, channel));
      expect(stopped).toMatchObject({ kind: 'unauthorized', status: 401 });
      expect(world.isWatching(channel.id)).toBe(true);
    });
  });
});
