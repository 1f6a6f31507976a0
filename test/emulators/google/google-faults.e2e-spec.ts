/**
 * Every fault kind of the Google emulator, observed through the real SDK — and what the SDK
 * does about it by itself (gaxios retries GET/PUT/DELETE, not POST/PATCH; ignores Retry-After).
 */
import { Auth, calendar_v3, Common } from 'googleapis';
import { eventsPath, sendCalendarBatch } from './batch-client';
import { GoogleEmulator, googleFaults, startGoogleEmulator } from './index';
import { calendarApi, connectedClient, eventually, failure, oauthClient } from './sdk-helpers';

const ANN = 'ann@example.com';
const BOB = 'bob@example.com';

const eventId = (n: number) => `fau1t${String(n).padStart(6, '0')}`;
const block = (n: number) => ({
  id: eventId(n),
  summary: `Block ${n}`,
  start: { dateTime: '2025-03-03T09:00:00Z' },
  end: { dateTime: '2025-03-03T10:00:00Z' },
});

describe('Google emulator faults, observed through the SDK', () => {
  let emulator: GoogleEmulator;
  let auth: Auth.OAuth2Client;
  let calendar: calendar_v3.Calendar;

  beforeEach(async () => {
    emulator = await startGoogleEmulator({ accounts: [{ email: ANN }, { email: BOB }] });
    auth = connectedClient(emulator, ANN);
    calendar = calendarApi(emulator, auth);
  });
  afterEach(() => emulator.stop());

  const calls = (operation: string) =>
    emulator.requests
      .filter((r) => r.operation === operation)
      .map((r) => (r.outcome === 'answered' ? r.status : r.outcome));

  it('429 with Retry-After on insert: a GaxiosError with the status and header; POST is not retried', async () => {
    const rule = emulator.faults.add({
      match: { method: 'POST', path: /events$/ },
      times: 2,
      fault: { kind: 'status', status: 429, retryAfter: 3 },
    });
    const first = await failure(
      calendar.events.insert({ calendarId: 'primary', requestBody: block(1) }),
    );
    expect(first).toMatchObject({
      gaxios: true,
      status: 429,
      reason: 'rateLimitExceeded',
      domain: 'usageLimits',
      headers: expect.objectContaining({ 'retry-after': '3' }),
    });
    expect(
      await failure(calendar.events.insert({ calendarId: 'primary', requestBody: block(1) })),
    ).toMatchObject({
      status: 429,
    });
    // The error class is google-auth-library's gaxios; googleapis' Common.GaxiosError is another
    // copy (googleapis-common's nested gaxios), so instanceof against it is false.
    expect(first.raw instanceof Common.GaxiosError).toBe(false);
    expect((first.raw as Error).name).toBe('Error');
    await calendar.events.insert({ calendarId: 'primary', requestBody: block(1) });
    expect(calls('events.insert')).toEqual([429, 429, 200]);
    expect(rule).toMatchObject({ hits: 2, remaining: 0 });
    expect(emulator.faults.counts).toEqual({ '429 rateLimitExceeded': 2 });
    expect(emulator.events(ANN)).toHaveLength(1);
  });

  it('the SDK retries GET/PUT/DELETE on 429 and 5xx by itself, ignoring Retry-After; retry:false stops it', async () => {
    await calendar.events.insert({ calendarId: 'primary', requestBody: block(1) });
    emulator.faults.add({
      match: { operation: 'events.get' },
      times: 2,
      fault: googleFaults.tooManyRequests(30),
    });
    const started = Date.now();
    const got = await calendar.events.get({ calendarId: 'primary', eventId: eventId(1) });
    expect(got.status).toBe(200);
    // gaxios waited ~100 ms and ~500 ms, not the 30 s the server asked for.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(calls('events.get')).toEqual([429, 429, 200]);

    // Three retries at most (here with no backoff to keep the test fast).
    emulator.clearRequests();
    emulator.faults.add({
      match: { operation: 'events.update' },
      times: 5,
      fault: googleFaults.unavailable(),
    });
    const exhausted = await failure(
      calendar.events.update(
        { calendarId: 'primary', eventId: eventId(1), requestBody: block(1) },
        { retryConfig: { retryDelay: 1, retryDelayMultiplier: 1 } },
      ),
    );
    expect(exhausted).toMatchObject({ status: 503, reason: 'backendError' });
    expect(calls('events.update')).toEqual([503, 503, 503, 503]);

    // PATCH and POST are not in gaxios' default httpMethodsToRetry.
    emulator.faults.clear();
    emulator.faults.add({
      match: { method: ['PATCH', 'POST'] },
      times: 2,
      fault: googleFaults.backendError(),
    });
    expect(
      await failure(
        calendar.events.patch({
          calendarId: 'primary',
          eventId: eventId(1),
          requestBody: { summary: 'x' },
        }),
      ),
    ).toMatchObject({ status: 500, reason: 'backendError' });
    expect(
      await failure(calendar.events.insert({ calendarId: 'primary', requestBody: block(2) })),
    ).toMatchObject({
      status: 500,
    });
    expect(calls('events.patch')).toEqual([500]);
    expect(calls('events.insert')).toEqual([500]);

    const noRetry = calendarApi(emulator, auth, { retry: false });
    emulator.faults.add({ match: { operation: 'events.get' }, fault: googleFaults.unavailable(1) });
    emulator.clearRequests();
    expect(
      await failure(noRetry.events.get({ calendarId: 'primary', eventId: eventId(1) })),
    ).toMatchObject({
      status: 503,
      headers: expect.objectContaining({ 'retry-after': '1' }),
    });
    expect(calls('events.get')).toEqual([503]);
  });

  it('403 rateLimitExceeded and userRateLimitExceeded carry domain usageLimits and are not retried', async () => {
    emulator.faults.queue(
      [googleFaults.rateLimitExceeded(), googleFaults.userRateLimitExceeded()],
      {
        operation: 'events.list',
      },
    );
    const first = await failure(calendar.events.list({ calendarId: 'primary' }));
    const second = await failure(calendar.events.list({ calendarId: 'primary' }));
    expect([first, second].map((e) => [e.status, e.domain, e.reason])).toEqual([
      [403, 'usageLimits', 'rateLimitExceeded'],
      [403, 'usageLimits', 'userRateLimitExceeded'],
    ]);
    expect(calls('events.list')).toEqual([403, 403]);
    expect(emulator.faults.pending).toBe(0);
  });

  it('with forceRefreshOnFailure, a 403 rate limit makes the SDK refresh the token and retry once', async () => {
    const forcing = calendarApi(
      emulator,
      connectedClient(emulator, ANN, { forceRefreshOnFailure: true }),
    );
    emulator.faults.add({
      match: { operation: 'events.list' },
      fault: googleFaults.rateLimitExceeded(),
    });
    emulator.clearRequests();
    const list = await forcing.events.list({ calendarId: 'primary' });
    expect(list.status).toBe(200);
    expect(emulator.requests.map((r) => [r.operation, r.status])).toEqual([
      ['events.list', 403],
      ['oauth.token', 200],
      ['events.list', 200],
    ]);
  });

  it('timeout: a held insert fails on the client timeout and writes nothing', async () => {
    emulator.faults.add({ match: { operation: 'events.insert' }, fault: googleFaults.timeout() });
    const timedOut = await failure(
      calendar.events.insert({ calendarId: 'primary', requestBody: block(1) }, { timeout: 300 }),
    );
    expect(timedOut.gaxios).toBe(true);
    expect(timedOut.status).toBeUndefined();
    expect(timedOut.cause?.name).toBe('TimeoutError');
    await eventually(() => emulator.heldRequests === 0);
    expect(calls('events.insert')).toEqual(['held']);
    expect(emulator.events(ANN)).toEqual([]);
  });

  it('timeout with a delay: the client gives up, the write lands afterwards; the retry sees 409', async () => {
    emulator.faults.add({
      match: { operation: 'events.insert' },
      fault: googleFaults.timeout(400),
    });
    const gaveUp = await failure(
      calendar.events.insert({ calendarId: 'primary', requestBody: block(1) }, { timeout: 150 }),
    );
    expect(gaveUp.cause?.name).toBe('TimeoutError');
    expect(emulator.events(ANN)).toEqual([]);
    await eventually(() => emulator.events(ANN).length === 1);
    expect(
      await failure(calendar.events.insert({ calendarId: 'primary', requestBody: block(1) })),
    ).toMatchObject({
      status: 409,
      reason: 'duplicate',
    });
  });

  it('connection reset: the insert fails with a socket error and nothing is written; a GET is retried', async () => {
    emulator.faults.add({ match: { operation: 'events.insert' }, fault: googleFaults.reset() });
    const reset = await failure(
      calendar.events.insert({ calendarId: 'primary', requestBody: block(1) }),
    );
    expect(reset).toMatchObject({ gaxios: true, status: undefined });
    expect(reset.cause?.cause?.code ?? reset.cause?.code).toBe('ECONNRESET');
    expect(emulator.events(ANN)).toEqual([]);
    expect(calls('events.insert')).toEqual(['reset']);

    emulator.faults.add({ match: { operation: 'events.list' }, fault: googleFaults.reset() });
    expect((await calendar.events.list({ calendarId: 'primary' })).status).toBe(200);
    expect(calls('events.list')).toEqual(['reset', 200]);
  });

  it('lost response: the SDK sees a socket error although the event exists; the same id again is 409', async () => {
    emulator.faults.add({
      match: { method: 'POST', path: /events$/ },
      fault: googleFaults.lostResponse(),
    });
    const lost = await failure(
      calendar.events.insert({ calendarId: 'primary', requestBody: block(1) }),
    );
    expect(lost).toMatchObject({ gaxios: true, status: undefined });
    expect(emulator.events(ANN).map((e) => e.id)).toEqual([eventId(1)]);
    expect(calls('events.insert')).toEqual(['lostResponse']);
    // The idempotent create: a retry with the same client id tells "already there".
    expect(
      await failure(calendar.events.insert({ calendarId: 'primary', requestBody: block(1) })),
    ).toMatchObject({
      status: 409,
      reason: 'duplicate',
    });

    // DELETE is retried by the SDK itself: after a lost response its retry answers 410.
    emulator.faults.add({
      match: { operation: 'events.delete' },
      fault: googleFaults.lostResponse(),
    });
    const gone = await failure(
      calendar.events.delete({ calendarId: 'primary', eventId: eventId(1) }),
    );
    expect(gone).toMatchObject({ status: 410, reason: 'deleted' });
    expect(calls('events.delete')).toEqual(['lostResponse', 410]);
  });

  it('token expiry: 401 authError with a fresh-looking token, until the client refreshes', async () => {
    emulator.faults.add({ fault: googleFaults.tokenExpired() });
    const expired = await failure(calendar.events.list({ calendarId: 'primary' }));
    expect(expired).toMatchObject({ status: 401, reason: 'authError' });
    expect(auth.credentials.expiry_date!).toBeGreaterThan(Date.now() + 3_000_000);
    expect(await failure(calendar.events.list({ calendarId: 'primary' }))).toMatchObject({
      status: 401,
    });
    await auth.refreshAccessToken();
    expect((await calendar.events.list({ calendarId: 'primary' })).status).toBe(200);
    expect(emulator.faults.counts).toEqual({ tokenExpired: 1 });
  });

  it('invalid_grant on refresh: once as scheduled, or for good with revoke', async () => {
    emulator.faults.add({ fault: googleFaults.invalidGrant() });
    auth.setCredentials({ ...auth.credentials, expiry_date: Date.now() - 1 });
    const refused = await failure(calendar.events.list({ calendarId: 'primary' }));
    expect(refused).toMatchObject({ status: 400, data: { error: 'invalid_grant' } });
    expect((await calendar.events.list({ calendarId: 'primary' })).status).toBe(200);

    emulator.faults.add({ fault: googleFaults.invalidGrant(true) });
    auth.setCredentials({ ...auth.credentials, expiry_date: Date.now() - 1 });
    expect(await failure(calendar.events.list({ calendarId: 'primary' }))).toMatchObject({
      status: 400,
    });
    expect(await failure(calendar.events.list({ calendarId: 'primary' }))).toMatchObject({
      data: { error: 'invalid_grant' },
    });
  });

  it('the token endpoint is retried by the SDK (POST included): a lost code exchange becomes invalid_grant', async () => {
    emulator.faults.add({
      match: { operation: 'oauth.token' },
      times: 2,
      fault: googleFaults.backendError(),
    });
    auth.setCredentials({ ...auth.credentials, expiry_date: Date.now() - 1 });
    expect((await calendar.events.list({ calendarId: 'primary' })).status).toBe(200);
    expect(calls('oauth.token')).toEqual([500, 500, 200]);

    emulator.clearRequests();
    const client = oauthClient(emulator);
    const { codeVerifier, codeChallenge } = await client.generateCodeVerifierAsync();
    const url = client.generateAuthUrl({
      access_type: 'offline',
      code_challenge_method: Auth.CodeChallengeMethod.S256,
      code_challenge: codeChallenge,
      scope: ['https://www.googleapis.com/auth/calendar.events'],
    });
    const code = new URL(
      (await fetch(url, { redirect: 'manual' })).headers.get('location')!,
    ).searchParams.get('code')!;
    emulator.faults.add({
      match: { operation: 'oauth.token', grantType: 'authorization_code' },
      fault: googleFaults.lostResponse(),
    });
    const exchange = await failure(client.getToken({ code, codeVerifier }));
    expect(exchange).toMatchObject({ status: 400, data: { error: 'invalid_grant' } });
    expect(calls('oauth.token')).toEqual(['lostResponse', 400]);
  });

  it('per-user quota: N calls per window per user, then 403 userRateLimitExceeded; batch calls count one by one', async () => {
    emulator.faults.quota({ limit: 3, windowMs: 60_000 });
    for (let i = 0; i < 3; i++) await calendar.events.list({ calendarId: 'primary' });
    expect(await failure(calendar.events.list({ calendarId: 'primary' }))).toMatchObject({
      status: 403,
      reason: 'userRateLimitExceeded',
      domain: 'usageLimits',
    });

    const bob = connectedClient(emulator, BOB);
    await calendarApi(emulator, bob).events.list({ calendarId: 'primary' });
    const results = await sendCalendarBatch(
      bob,
      Array.from({ length: 5 }, () => ({ method: 'GET' as const, path: eventsPath('primary') })),
      { rootUrl: emulator.rootUrl },
    );
    expect(results.map((r) => r.status)).toEqual([200, 200, 403, 403, 403]);
    expect(results[2].error).toMatchObject({
      reason: 'userRateLimitExceeded',
      domain: 'usageLimits',
    });
    expect(emulator.faults.counts).toEqual({ 'quota 403 userRateLimitExceeded': 4 });
  });

  it('batch: faults hit single calls inside a batch; a lost response mid-batch leaves earlier calls applied', async () => {
    const inserts = (from: number, count: number) =>
      Array.from({ length: count }, (_, i) => ({
        method: 'POST' as const,
        path: eventsPath('primary'),
        body: block(from + i),
      }));
    emulator.faults.add({
      match: { batch: true },
      after: 2,
      times: 2,
      fault: googleFaults.tooManyRequests(5),
    });
    const results = await sendCalendarBatch(auth, inserts(1, 6), { rootUrl: emulator.rootUrl });
    expect(results.map((r) => r.status)).toEqual([200, 200, 429, 429, 200, 200]);
    expect(results[2].headers['retry-after']).toBe('5');
    expect(results[2].error).toMatchObject({ code: 429, reason: 'rateLimitExceeded' });
    expect(emulator.events(ANN)).toHaveLength(4);

    emulator.faults.add({ match: { batch: true }, after: 2, fault: googleFaults.lostResponse() });
    const dropped = await failure(
      sendCalendarBatch(auth, inserts(11, 5), { rootUrl: emulator.rootUrl }),
    );
    expect(dropped).toMatchObject({ gaxios: true, status: undefined });
    const ids = emulator.events(ANN).map((e) => e.id);
    expect(ids).toEqual(expect.arrayContaining([eventId(11), eventId(12), eventId(13)]));
    expect(ids).not.toContain(eventId(14));

    emulator.faults.add({ match: { operation: 'batch' }, fault: googleFaults.unavailable(2) });
    const whole = await failure(
      sendCalendarBatch(auth, inserts(21, 2), { rootUrl: emulator.rootUrl }),
    );
    expect(whole).toMatchObject({
      status: 503,
      headers: expect.objectContaining({ 'retry-after': '2' }),
    });
    expect(emulator.events(ANN).map((e) => e.id)).not.toContain(eventId(21));
  });

  it('the quota window slides: calls are allowed again once old ones leave the window', async () => {
    let clock = Date.now();
    const timed = await startGoogleEmulator({ accounts: [{ email: ANN }], now: () => clock });
    try {
      timed.faults.quota({ limit: 2, windowMs: 10_000 });
      const api = calendarApi(timed, connectedClient(timed, ANN));
      const status = async () => {
        try {
          return (await api.events.list({ calendarId: 'primary' })).status;
        } catch (error) {
          return (error as { status?: number }).status;
        }
      };
      const seen = [await status(), await status(), await status()];
      clock += 6_000;
      seen.push(await status());
      clock += 4_001; // the first two calls are now out of the window, the 403 one is not
      seen.push(await status(), await status());
      expect(seen).toEqual([200, 200, 403, 403, 200, 403]);
    } finally {
      await timed.stop();
    }
  });

  it('stop() releases a request held by a timeout fault', async () => {
    emulator.faults.add({ match: { operation: 'events.list' }, fault: googleFaults.timeout() });
    const pending = failure(
      calendarApi(emulator, auth, { retry: false }).events.list({ calendarId: 'primary' }),
    );
    await eventually(() => emulator.heldRequests === 1);
    await emulator.stop();
    expect(await pending).toMatchObject({ gaxios: true, status: undefined });
    expect(emulator.heldRequests).toBe(0);
  });

  it('random faults from a seed are reproducible and counted by kind', async () => {
    await calendar.events.insert({ calendarId: 'primary', requestBody: block(1) });
    const noRetry = calendarApi(emulator, auth, { retry: false });
    const run = async (seed: number) => {
      emulator.faults.resetCounts();
      emulator.faults.random({
        seed,
        faults: [
          { probability: 0.1, fault: googleFaults.tooManyRequests() },
          { probability: 0.1, fault: googleFaults.rateLimitExceeded() },
          { probability: 0.1, fault: googleFaults.backendError() },
          { probability: 0.05, fault: googleFaults.reset() },
          { probability: 0.05, fault: googleFaults.lostResponse() },
        ],
      });
      const outcomes: Array<number | string> = [];
      for (let i = 0; i < 40; i++) {
        try {
          outcomes.push(
            (await noRetry.events.get({ calendarId: 'primary', eventId: eventId(1) })).status,
          );
        } catch (error) {
          outcomes.push((error as { status?: number }).status ?? 'socket');
        }
      }
      emulator.faults.stopRandom();
      return {
        outcomes,
        labels: emulator.faults.injected.map((f) => f.label),
        counts: emulator.faults.counts,
      };
    };
    const first = await run(7);
    const again = await run(7);
    const other = await run(8);
    expect(again).toEqual(first);
    expect(other.labels).not.toEqual(first.labels);
    const failed = first.outcomes.filter((o) => o !== 200).length;
    expect(failed).toBe(first.labels.length);
    expect(Object.values(first.counts).reduce((a, b) => a + b, 0)).toBe(failed);
    expect(Object.keys(first.counts).length).toBeGreaterThanOrEqual(3);
  });
});
