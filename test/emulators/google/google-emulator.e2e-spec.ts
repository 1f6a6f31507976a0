/**
 * The Google emulator driven by the real SDK (googleapis 178 / google-auth-library 10): OAuth
 * with PKCE, token refresh, events CRUD with Google's id/etag rules, listing, incremental sync,
 * batches and request validation. Faults are in google-faults.e2e-spec.ts.
 */
import { Auth } from 'googleapis';
import {
  buildCalendarBatch,
  eventsPath,
  parseCalendarBatch,
  sendCalendarBatch,
} from './batch-client';
import { CALENDAR_SCOPES, DEFAULT_CLIENT, GoogleEmulator, startGoogleEmulator } from './emulator';
import { calendarApi, connectedClient, failure, oauthClient, REDIRECT_URI } from './sdk-helpers';

const ANN = 'ann@example.com';
const BOB = 'bob@example.com';
const SCOPES = [CALENDAR_SCOPES.events, CALENDAR_SCOPES.readonly];

/** A valid client-supplied id: base32hex (a-v, 0-9), 5–1024 characters. */
const eventId = (n: number) => `dnbl0ck${String(n).padStart(6, '0')}`;

const block = (n: number, extra: Record<string, unknown> = {}) => ({
  id: eventId(n),
  summary: `Block ${n}`,
  start: { dateTime: `2025-03-03T${String(8 + (n % 10)).padStart(2, '0')}:00:00Z` },
  end: { dateTime: `2025-03-03T${String(9 + (n % 10)).padStart(2, '0')}:00:00Z` },
  extendedProperties: { private: { danwelBlockId: String(n), danwelOrg: 'org1' } },
  ...extra,
});

describe('Google emulator with the real googleapis SDK', () => {
  let emulator: GoogleEmulator;

  beforeEach(async () => {
    emulator = await startGoogleEmulator({
      accounts: [
        { email: ANN, name: 'Ann', timeZone: 'Europe/Amsterdam', calendars: [{ summary: 'Work' }] },
        { email: BOB },
      ],
    });
  });
  afterEach(() => emulator.stop());

  /** Follows the consent URL like a browser would, without following the app's redirect. */
  async function visit(
    url: string,
  ): Promise<{ status: number; location: URL | null; text: string }> {
    const response = await fetch(url, { redirect: 'manual' });
    const location = response.headers.get('location');
    return {
      status: response.status,
      location: location ? new URL(location) : null,
      text: await response.text(),
    };
  }

  async function consentUrl(
    auth: Auth.OAuth2Client,
    extra: Record<string, unknown> = {},
  ): Promise<{ url: string; codeVerifier: string; state: string }> {
    const { codeVerifier, codeChallenge } = await auth.generateCodeVerifierAsync();
    const state = `st-${Math.random().toString(36).slice(2)}`;
    const url = auth.generateAuthUrl({
      access_type: 'offline',
      prompt: 'consent',
      code_challenge_method: Auth.CodeChallengeMethod.S256,
      code_challenge: codeChallenge,
      state,
      scope: SCOPES,
      ...extra,
    });
    return { url, codeVerifier: codeVerifier!, state };
  }

  describe('OAuth', () => {
    it('runs the authorization-code flow with PKCE S256 through generateAuthUrl and getToken', async () => {
      const auth = oauthClient(emulator);
      const { url, codeVerifier, state } = await consentUrl(auth, { login_hint: BOB });
      expect(url.startsWith(`${emulator.url}/o/oauth2/v2/auth?`)).toBe(true);

      const page = await visit(url);
      expect(page.status).toBe(302);
      expect(page.location!.origin + page.location!.pathname).toBe(REDIRECT_URI);
      expect(page.location!.searchParams.get('state')).toBe(state);
      expect(page.location!.searchParams.get('scope')).toBe(SCOPES.join(' '));
      const code = page.location!.searchParams.get('code')!;

      const before = Date.now();
      const { tokens } = await auth.getToken({ code, codeVerifier });
      expect(tokens).toMatchObject({
        access_token: expect.stringMatching(/^ya29\./),
        refresh_token: expect.stringMatching(/^1\/\//),
        scope: SCOPES.join(' '),
        token_type: 'Bearer',
      });
      // The SDK turns expires_in (3599 s) into an absolute expiry_date.
      expect(tokens.expiry_date! - before).toBeGreaterThan(3_590_000);
      expect(tokens.expiry_date! - before).toBeLessThanOrEqual(3_600_000);

      auth.setCredentials(tokens);
      const list = await calendarApi(emulator, auth).calendarList.list();
      expect(list.data.items!.map((c) => c.id)).toEqual([BOB]);
      expect(list.data.items![0]).toMatchObject({ primary: true, accessRole: 'owner' });

      const tokenCall = emulator.requests.find((r) => r.operation === 'oauth.token')!;
      expect(tokenCall).toMatchObject({ method: 'POST', status: 200, user: BOB });
    });

    it('signs in as the account the test chooses, with granular consent', async () => {
      emulator.authorize({ email: ANN, grantScopes: [CALENDAR_SCOPES.events] });
      const auth = oauthClient(emulator);
      const { url, codeVerifier } = await consentUrl(auth);
      const page = await visit(url);
      expect(page.location!.searchParams.get('scope')).toBe(CALENDAR_SCOPES.events);
      const { tokens } = await auth.getToken({
        code: page.location!.searchParams.get('code')!,
        codeVerifier,
      });
      auth.setCredentials(tokens);
      const calendar = calendarApi(emulator, auth);

      const created = await calendar.events.insert({
        calendarId: 'primary',
        requestBody: block(1),
      });
      expect(emulator.events(ANN).map((e) => e.id)).toEqual([created.data.id]);
      // calendarList needs calendar or calendar.readonly, which the user left unticked.
      const denied = await failure(calendar.calendarList.list());
      expect(denied).toMatchObject({ status: 403, reason: 'insufficientPermissions' });
    });

    it('redirects a refusal with error=access_denied and the state', async () => {
      emulator.authorize({ email: ANN, deny: true });
      const { url, state } = await consentUrl(oauthClient(emulator));
      const page = await visit(url);
      expect(page.status).toBe(302);
      expect(Object.fromEntries(page.location!.searchParams)).toEqual({
        error: 'access_denied',
        state,
      });
    });

    it('shows an error page, not a redirect, for a bad client, redirect URI, scope or PKCE', async () => {
      const auth = oauthClient(emulator);
      const { url } = await consentUrl(auth);
      const variants: Array<[Record<string, string | null>, number, string]> = [
        [{ client_id: 'nobody.apps.googleusercontent.com' }, 401, 'invalid_client'],
        [{ redirect_uri: 'http://127.0.0.1/evil' }, 400, 'redirect_uri_mismatch'],
        [{ response_type: 'token' }, 400, 'invalid_request'],
        [{ scope: 'https://www.googleapis.com/auth/drive.everything' }, 400, 'invalid_scope'],
        [{ code_challenge: null, code_challenge_method: null }, 400, 'invalid_request'],
        [{ code_challenge_method: 'plain' }, 400, 'invalid_request'],
        [{ access_type: 'forever' }, 400, 'invalid_request'],
      ];
      for (const [change, status, error] of variants) {
        const bad = new URL(url);
        for (const [name, value] of Object.entries(change)) {
          if (value === null) bad.searchParams.delete(name);
          else bad.searchParams.set(name, value);
        }
        const page = await visit(bad.toString());
        expect({ change, status: page.status, location: page.location }).toEqual({
          change,
          status,
          location: null,
        });
        expect(page.text).toContain(error);
      }
    });

    it('rejects a wrong code verifier, a reused code and a wrong client secret like Google', async () => {
      const auth = oauthClient(emulator);
      const { url, codeVerifier } = await consentUrl(auth);
      const code = (await visit(url)).location!.searchParams.get('code')!;

      const wrongVerifier = await failure(
        auth.getToken({ code, codeVerifier: `${codeVerifier}x` }),
      );
      expect(wrongVerifier).toMatchObject({
        status: 400,
        data: { error: 'invalid_grant', error_description: 'Invalid code verifier.' },
      });
      const missingVerifier = await failure(auth.getToken({ code }));
      expect(missingVerifier.data).toMatchObject({ error: 'invalid_grant' });

      await auth.getToken({ code, codeVerifier });
      const reused = await failure(auth.getToken({ code, codeVerifier }));
      expect(reused).toMatchObject({ status: 400, data: { error: 'invalid_grant' } });

      const impostor = new (auth.constructor as typeof Auth.OAuth2Client)({
        clientId: DEFAULT_CLIENT.clientId,
        clientSecret: 'not-the-secret',
        redirectUri: REDIRECT_URI,
        endpoints: emulator.endpoints,
        transporterOptions: { fetchImplementation: fetch },
      });
      const next = await consentUrl(impostor);
      const nextCode = (await visit(next.url)).location!.searchParams.get('code')!;
      const wrongSecret = await failure(
        impostor.getToken({ code: nextCode, codeVerifier: next.codeVerifier }),
      );
      expect(wrongSecret).toMatchObject({ status: 401, data: { error: 'invalid_client' } });
    });

    it('hands out a refresh token on the first offline consent, later only with prompt=consent', async () => {
      const auth = oauthClient(emulator);
      const exchange = async (extra: Record<string, unknown>) => {
        const { url, codeVerifier } = await consentUrl(auth, extra);
        const code = (await visit(url)).location!.searchParams.get('code')!;
        return (await auth.getToken({ code, codeVerifier })).tokens;
      };
      expect((await exchange({ prompt: undefined })).refresh_token).toEqual(expect.any(String));
      expect((await exchange({ prompt: undefined })).refresh_token).toBeUndefined();
      expect((await exchange({ prompt: 'consent' })).refresh_token).toEqual(expect.any(String));
      expect((await exchange({ access_type: 'online' })).refresh_token).toBeUndefined();
    });

    it('issues an id token the SDK verifies against the emulator keys', async () => {
      const auth = oauthClient(emulator);
      const { url, codeVerifier } = await consentUrl(auth, {
        scope: ['openid', 'email', ...SCOPES],
        login_hint: ANN,
      });
      const code = (await visit(url)).location!.searchParams.get('code')!;
      const { tokens } = await auth.getToken({ code, codeVerifier });
      const ticket = await auth.verifyIdToken({
        idToken: tokens.id_token!,
        audience: DEFAULT_CLIENT.clientId,
      });
      expect(ticket.getPayload()).toMatchObject({
        email: ANN,
        email_verified: true,
        aud: DEFAULT_CLIENT.clientId,
      });
    });

    it('refreshes an expired access token by itself and keeps the refresh token', async () => {
      const auth = connectedClient(emulator, ANN);
      const calendar = calendarApi(emulator, auth);
      const original = auth.credentials;
      const refreshed: Array<Record<string, unknown>> = [];
      // Copied at emit time: the SDK adds the old refresh_token to the same object right after.
      auth.on('tokens', (tokens) => refreshed.push({ ...tokens }));

      await calendar.events.list({ calendarId: 'primary' });
      expect(emulator.requests.filter((r) => r.operation === 'oauth.token')).toHaveLength(0);

      // The client's clock says the token is over: it refreshes before the call.
      auth.setCredentials({ ...original, expiry_date: Date.now() - 1 });
      await calendar.events.list({ calendarId: 'primary' });
      expect(emulator.requests.filter((r) => r.operation === 'oauth.token')).toHaveLength(1);
      expect(refreshed).toHaveLength(1);
      // Google does not rotate refresh tokens: the answer has none, the SDK keeps the old one.
      expect(refreshed[0].refresh_token).toBeUndefined();
      expect(auth.credentials.refresh_token).toBe(original.refresh_token);
      expect(auth.credentials.access_token).not.toBe(original.access_token);
    });

    it('refreshes before every call while expires_in is under the 5-minute eager threshold', async () => {
      emulator.accessTokenTtlSeconds = 120;
      const auth = connectedClient(emulator, ANN);
      const calendar = calendarApi(emulator, auth);
      await calendar.events.list({ calendarId: 'primary' });
      await calendar.events.list({ calendarId: 'primary' });
      expect(emulator.requests.map((r) => r.operation)).toEqual([
        'oauth.token',
        'events.list',
        'oauth.token',
        'events.list',
      ]);

      // eagerRefreshThresholdMillis: 0 is ignored (falsy), 1 ms works.
      const lazy = connectedClient(emulator, ANN, { eagerRefreshThresholdMillis: 1 });
      emulator.clearRequests();
      await calendarApi(emulator, lazy).events.list({ calendarId: 'primary' });
      expect(emulator.requests.map((r) => r.operation)).toEqual(['events.list']);
    });

    it('surfaces a server-side expiry as 401 unless forceRefreshOnFailure is set', async () => {
      const auth = connectedClient(emulator, ANN);
      emulator.expireAccessTokens(ANN);
      const expired = await failure(
        calendarApi(emulator, auth).events.list({ calendarId: 'primary' }),
      );
      expect(expired).toMatchObject({ status: 401, reason: 'authError' });
      expect(expired.headers['www-authenticate']).toContain('invalid_token');

      const forcing = connectedClient(emulator, ANN, { forceRefreshOnFailure: true });
      emulator.expireAccessTokens(ANN);
      emulator.clearRequests();
      const list = await calendarApi(emulator, forcing).events.list({ calendarId: 'primary' });
      expect(list.status).toBe(200);
      expect(emulator.requests.map((r) => [r.operation, r.status])).toEqual([
        ['events.list', 401],
        ['oauth.token', 200],
        ['events.list', 200],
      ]);
    });

    it('answers invalid_grant for a revoked grant; revocation kills the access token too', async () => {
      const auth = connectedClient(emulator, ANN);
      const calendar = calendarApi(emulator, auth);
      await auth.revokeToken(auth.credentials.access_token!);
      expect(await failure(calendar.events.list({ calendarId: 'primary' }))).toMatchObject({
        status: 401,
        reason: 'authError',
      });
      auth.setCredentials({ ...auth.credentials, expiry_date: Date.now() - 1 });
      const refresh = await failure(calendar.events.list({ calendarId: 'primary' }));
      expect(refresh).toMatchObject({
        status: 400,
        data: { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' },
      });

      const other = connectedClient(emulator, BOB);
      emulator.revokeAccess(BOB);
      other.setCredentials({ ...other.credentials, expiry_date: Date.now() - 1 });
      expect(await failure(other.getAccessToken())).toMatchObject({
        data: { error: 'invalid_grant' },
      });
    });

    it('answers 401 with reason required when no credentials are sent', async () => {
      const response = await fetch(`${emulator.url}/calendar/v3/calendars/primary/events`);
      expect(response.status).toBe(401);
      const body = (await response.json()) as { error: unknown };
      expect(body.error).toMatchObject({
        code: 401,
        errors: [{ reason: 'required', domain: 'global' }],
      });
    });
  });

  describe('events', () => {
    it('inserts with a client-supplied id; the same id again is 409 duplicate', async () => {
      const calendar = calendarApi(emulator, connectedClient(emulator, ANN));
      const created = await calendar.events.insert({
        calendarId: 'primary',
        requestBody: block(1),
      });
      expect(created.status).toBe(200);
      expect(created.data).toMatchObject({
        kind: 'calendar#event',
        id: eventId(1),
        status: 'confirmed',
        etag: expect.stringMatching(/^"\d+"$/),
        summary: 'Block 1',
        iCalUID: `${eventId(1)}@google.com`,
        sequence: 0,
        // Answered in the calendar's time zone (Europe/Amsterdam), with the offset.
        start: { dateTime: '2025-03-03T10:00:00+01:00' },
        end: { dateTime: '2025-03-03T11:00:00+01:00' },
        extendedProperties: { private: { danwelBlockId: '1', danwelOrg: 'org1' } },
        creator: { email: ANN, self: true },
        organizer: { email: ANN, self: true },
      });
      expect(created.data.created).toBe(created.data.updated);

      const duplicate = await failure(
        calendar.events.insert({ calendarId: 'primary', requestBody: block(1) }),
      );
      expect(duplicate).toMatchObject({ status: 409, reason: 'duplicate', domain: 'global' });
      expect(duplicate.data).toEqual({
        error: {
          code: 409,
          message: 'The requested identifier already exists.',
          errors: [
            {
              domain: 'global',
              reason: 'duplicate',
              message: 'The requested identifier already exists.',
            },
          ],
        },
      });
      expect(emulator.events(ANN)).toHaveLength(1);
    });

    it('rejects ids outside base32hex or its length, and generates one when none is given', async () => {
      const calendar = calendarApi(emulator, connectedClient(emulator, ANN));
      for (const id of ['danwel0001', 'ABCDEF123', 'abcd', 'a'.repeat(1025), 'abc_def']) {
        const invalid = await failure(
          calendar.events.insert({ calendarId: 'primary', requestBody: block(1, { id }) }),
        );
        expect({ id, status: invalid.status, reason: invalid.reason }).toEqual({
          id,
          status: 400,
          reason: 'invalid',
        });
      }
      const generated = await calendar.events.insert({
        calendarId: 'primary',
        requestBody: block(2, { id: undefined }),
      });
      expect(generated.data.id).toMatch(/^[a-v0-9]{26}$/);
      expect(
        await calendar.events.insert({
          calendarId: 'primary',
          requestBody: block(3, { id: 'a'.repeat(1024) }),
        }),
      ).toHaveProperty('status', 200);
    });

    it('gets, patches with If-Match (412 when stale) and updates, with a new etag each time', async () => {
      const calendar = calendarApi(emulator, connectedClient(emulator, ANN));
      const created = (
        await calendar.events.insert({ calendarId: 'primary', requestBody: block(1) })
      ).data;
      const fetched = await calendar.events.get({ calendarId: 'primary', eventId: eventId(1) });
      expect(fetched.data).toEqual(created);

      const patched = await calendar.events.patch(
        {
          calendarId: 'primary',
          eventId: eventId(1),
          requestBody: { summary: 'Moved', extendedProperties: { private: { synced: 'v2' } } },
        },
        { headers: { 'If-Match': created.etag! } },
      );
      expect(patched.data.etag).not.toBe(created.etag);
      expect(patched.data.summary).toBe('Moved');
      // Patch merges maps: the other private properties stay.
      expect(patched.data.extendedProperties!.private).toEqual({
        danwelBlockId: '1',
        danwelOrg: 'org1',
        synced: 'v2',
      });
      expect(Date.parse(patched.data.updated!)).toBeGreaterThanOrEqual(
        Date.parse(created.updated!),
      );

      const stale = await failure(
        calendar.events.patch(
          { calendarId: 'primary', eventId: eventId(1), requestBody: { summary: 'Lost update' } },
          { headers: { 'If-Match': created.etag! } },
        ),
      );
      expect(stale).toMatchObject({ status: 412, reason: 'conditionNotMet' });
      expect(emulator.event(ANN, 'primary', eventId(1))!.summary).toBe('Moved');

      const updated = await calendar.events.update(
        {
          calendarId: 'primary',
          eventId: eventId(1),
          requestBody: {
            summary: 'Replaced',
            start: { dateTime: '2025-03-04T09:00:00', timeZone: 'America/New_York' },
            end: { dateTime: '2025-03-04T10:00:00', timeZone: 'America/New_York' },
          },
        },
        { headers: { 'If-Match': patched.data.etag! } },
      );
      expect(updated.data).toMatchObject({
        summary: 'Replaced',
        sequence: 1,
        start: { dateTime: '2025-03-04T15:00:00+01:00', timeZone: 'America/New_York' },
      });
      // PUT replaces: fields not sent are gone.
      expect(updated.data.extendedProperties).toBeUndefined();
      expect(updated.data.description).toBeUndefined();

      const notModified = await calendar.events.get(
        { calendarId: 'primary', eventId: eventId(1) },
        { headers: { 'If-None-Match': updated.data.etag! } },
      );
      expect(notModified.status).toBe(304);
    });

    it('deletes with 204, then 410 deleted; unknown ids are 404; get still shows it cancelled', async () => {
      const calendar = calendarApi(emulator, connectedClient(emulator, ANN));
      await calendar.events.insert({ calendarId: 'primary', requestBody: block(1) });
      const deleted = await calendar.events.delete({ calendarId: 'primary', eventId: eventId(1) });
      expect(deleted.status).toBe(204);
      expect(
        await failure(calendar.events.delete({ calendarId: 'primary', eventId: eventId(1) })),
      ).toMatchObject({
        status: 410,
        reason: 'deleted',
      });
      expect(
        await failure(calendar.events.delete({ calendarId: 'primary', eventId: eventId(9) })),
      ).toMatchObject({
        status: 404,
        reason: 'notFound',
      });
      expect(
        (await calendar.events.get({ calendarId: 'primary', eventId: eventId(1) })).data.status,
      ).toBe('cancelled');
      expect(emulator.events(ANN)).toEqual([]);
      expect(emulator.events(ANN, 'primary', { includeCancelled: true })).toHaveLength(1);
      // A deleted id stays taken.
      expect(
        await failure(calendar.events.insert({ calendarId: 'primary', requestBody: block(1) })),
      ).toMatchObject({
        status: 409,
      });
    });

    it('keeps calendars apart: another user’s calendar is 404, a secondary calendar works by id', async () => {
      const calendar = calendarApi(emulator, connectedClient(emulator, ANN));
      expect(await failure(calendar.events.list({ calendarId: BOB }))).toMatchObject({
        status: 404,
        reason: 'notFound',
      });
      const work = emulator.calendars(ANN).find((c) => !c.primary)!;
      expect(work.id).toMatch(/@group\.calendar\.google\.com$/);
      await calendar.events.insert({ calendarId: work.id, requestBody: block(1) });
      expect(emulator.events(ANN, work.id).map((e) => e.id)).toEqual([eventId(1)]);
      expect(emulator.events(ANN, 'primary')).toEqual([]);
      const list = await calendar.calendarList.list();
      expect(list.data.items!.map((c) => c.id)).toEqual([ANN, work.id]);
    });

    it('lists by private extended property and time window, page by page', async () => {
      const calendar = calendarApi(emulator, connectedClient(emulator, ANN));
      for (let n = 1; n <= 7; n++) {
        await calendar.events.insert({
          calendarId: 'primary',
          requestBody: block(n, {
            extendedProperties: {
              private: { danwelOrg: n % 2 ? 'org1' : 'org2', danwelBlockId: String(n) },
              shared: { visible: 'yes' },
            },
          }),
        });
      }
      const pages: string[][] = [];
      let pageToken: string | undefined;
      let syncToken: string | null | undefined;
      do {
        const page = await calendar.events.list({
          calendarId: 'primary',
          privateExtendedProperty: ['danwelOrg=org1'],
          maxResults: 2,
          pageToken,
        });
        pages.push(page.data.items!.map((e) => e.id!));
        pageToken = page.data.nextPageToken ?? undefined;
        syncToken = page.data.nextSyncToken;
        expect(pageToken === undefined).toBe(Boolean(syncToken));
      } while (pageToken);
      expect(pages).toEqual([
        [eventId(1), eventId(3)],
        [eventId(5), eventId(7)],
      ]);

      // Repeated constraints must all hold; shared properties are a separate filter.
      const both = await calendar.events.list({
        calendarId: 'primary',
        privateExtendedProperty: ['danwelOrg=org1', 'danwelBlockId=3'],
        sharedExtendedProperty: ['visible=yes'],
      });
      expect(both.data.items!.map((e) => e.id)).toEqual([eventId(3)]);
      const notShared = await calendar.events.list({
        calendarId: 'primary',
        sharedExtendedProperty: ['danwelOrg=org1'],
      });
      expect(notShared.data.items).toEqual([]);

      // timeMin bounds the end (exclusive), timeMax the start (exclusive).
      const window = await calendar.events.list({
        calendarId: 'primary',
        timeMin: '2025-03-03T10:00:00Z',
        timeMax: '2025-03-03T12:00:00Z',
      });
      expect(window.data.items!.map((e) => e.id)).toEqual([eventId(2), eventId(3)]);

      const mismatch = await failure(
        calendar.events.list({ calendarId: 'primary', pageToken: 'bm9wZQ', maxResults: 2 }),
      );
      expect(mismatch).toMatchObject({ status: 400 });
    });

    it('syncs incrementally: changes by the API and by the user, deletions as cancelled, 410 when stale', async () => {
      const calendar = calendarApi(emulator, connectedClient(emulator, ANN));
      const work = emulator.calendars(ANN).find((c) => !c.primary)!.id;
      for (let n = 1; n <= 3; n++)
        await calendar.events.insert({ calendarId: 'primary', requestBody: block(n) });
      const user = emulator.asUser(ANN);
      const foreign = user.insert('primary', {
        summary: 'Dentist',
        start: { dateTime: '2025-03-05T09:00:00+01:00' },
        end: { dateTime: '2025-03-05T10:00:00+01:00' },
      });

      const full = await calendar.events.list({ calendarId: 'primary' });
      expect(full.data.items).toHaveLength(4);
      let syncToken = full.data.nextSyncToken!;
      expect(syncToken).toEqual(expect.any(String));

      // Nothing changed: an empty page with a token.
      const idle = await calendar.events.list({ calendarId: 'primary', syncToken });
      expect(idle.data.items).toEqual([]);
      syncToken = idle.data.nextSyncToken!;

      const before = emulator.event(ANN, 'primary', eventId(1))!;
      const moved = user.patch('primary', eventId(1), {
        start: { dateTime: '2025-03-03T14:00:00Z' },
        end: { dateTime: '2025-03-03T15:00:00Z' },
      });
      expect(moved.etag).not.toBe(before.etag);
      expect(moved.sequence).toBe(1);
      user.delete('primary', foreign.id);
      user.move('primary', eventId(2), work);
      await calendar.events.delete({ calendarId: 'primary', eventId: eventId(3) });
      await calendar.events.insert({ calendarId: 'primary', requestBody: block(4) });

      const changes: Array<{ id: string; status: string }> = [];
      let pageToken: string | undefined;
      let next: string | null | undefined;
      do {
        const page = await calendar.events.list({
          calendarId: 'primary',
          syncToken,
          pageToken,
          maxResults: 2,
        });
        changes.push(...page.data.items!.map((e) => ({ id: e.id!, status: e.status! })));
        pageToken = page.data.nextPageToken ?? undefined;
        next = page.data.nextSyncToken;
      } while (pageToken);
      expect(changes).toEqual([
        { id: eventId(1), status: 'confirmed' },
        { id: foreign.id, status: 'cancelled' },
        { id: eventId(2), status: 'cancelled' },
        { id: eventId(3), status: 'cancelled' },
        { id: eventId(4), status: 'confirmed' },
      ]);
      const cancelled = await calendar.events.list({ calendarId: 'primary', syncToken });
      // Deleted events carry only id and status (all Google guarantees).
      expect(cancelled.data.items!.find((e) => e.id === eventId(3))).toEqual({
        kind: 'calendar#event',
        etag: expect.any(String),
        id: eventId(3),
        status: 'cancelled',
      });
      expect(emulator.events(ANN, work).map((e) => e.id)).toEqual([eventId(2)]);

      expect(
        (await calendar.events.list({ calendarId: 'primary', syncToken: next! })).data.items,
      ).toEqual([]);

      const clash = await failure(
        calendar.events.list({
          calendarId: 'primary',
          syncToken: next!,
          timeMin: '2025-01-01T00:00:00Z',
        }),
      );
      expect(clash).toMatchObject({ status: 400 });

      emulator.purgeDeleted(ANN);
      const stale = await failure(
        calendar.events.list({ calendarId: 'primary', syncToken: next! }),
      );
      expect(stale).toMatchObject({ status: 410, reason: 'fullSyncRequired', domain: 'global' });
      const again = await calendar.events.list({ calendarId: 'primary', showDeleted: true });
      expect(again.data.items!.map((e) => e.id)).toEqual([eventId(1), eventId(4)]);
    });
  });

  describe('validation against the discovery document', () => {
    it('rejects unknown query parameters, bad values, unknown body fields and missing times', async () => {
      const auth = connectedClient(emulator, ANN);
      const calendar = calendarApi(emulator, auth);
      const unknownParam = await failure(
        calendar.events.list({ calendarId: 'primary', colour: 'red' } as { calendarId: string }),
      );
      expect(unknownParam).toMatchObject({ status: 400, reason: 'invalidParameter' });
      expect(
        await failure(calendar.events.list({ calendarId: 'primary', maxResults: 0 })),
      ).toMatchObject({ status: 400 });
      expect(
        await failure(
          calendar.events.list({ calendarId: 'primary', orderBy: 'random' as 'updated' }),
        ),
      ).toMatchObject({ status: 400 });
      const move = await failure(
        auth.request({
          url: `${emulator.url}/calendar/v3/calendars/primary/events/abcde/move`,
          method: 'POST',
        }),
      );
      expect(move).toMatchObject({ status: 400, reason: 'required' });

      const unknownField = await failure(
        calendar.events.insert({
          calendarId: 'primary',
          requestBody: { ...block(1), colour: 'red' } as object,
        }),
      );
      expect(unknownField).toMatchObject({ status: 400, reason: 'invalid' });
      expect((unknownField.data as { error: { message: string } }).error.message).toContain(
        'Unknown name "colour"',
      );
      const nested = await failure(
        calendar.events.insert({
          calendarId: 'primary',
          requestBody: block(1, { start: { dateTime: '2025-03-03T08:00:00Z', zone: 'UTC' } }),
        }),
      );
      expect(nested).toMatchObject({ status: 400, reason: 'invalid' });
      const wrongType = await failure(
        calendar.events.insert({ calendarId: 'primary', requestBody: block(1, { summary: 42 }) }),
      );
      expect(wrongType).toMatchObject({ status: 400 });

      const { end: _end, ...noEnd } = block(1);
      expect(
        await failure(calendar.events.insert({ calendarId: 'primary', requestBody: noEnd })),
      ).toMatchObject({
        status: 400,
        reason: 'required',
        data: { error: { message: 'Missing end time.' } },
      });
      const noZone = await failure(
        calendar.events.insert({
          calendarId: 'primary',
          requestBody: block(1, { start: { dateTime: '2025-03-03T08:00:00' } }),
        }),
      );
      expect(noZone.data).toMatchObject({
        error: { message: 'Missing time zone definition for start time.' },
      });
      const backwards = await failure(
        calendar.events.insert({
          calendarId: 'primary',
          requestBody: block(1, {
            start: { dateTime: '2025-03-03T10:00:00Z' },
            end: { dateTime: '2025-03-03T09:00:00Z' },
          }),
        }),
      );
      expect(backwards).toMatchObject({ status: 400, reason: 'timeRangeEmpty' });
      expect(emulator.events(ANN)).toEqual([]);
    });

    it('answers URLs no method serves with Google’s HTML 404, and unimplemented methods with 501', async () => {
      const auth = connectedClient(emulator, ANN);
      const nowhere = await failure(
        auth.request({ url: `${emulator.url}/calendar/v3/calendars/primary/eventz` }),
      );
      expect(nowhere.status).toBe(404);
      expect(nowhere.reason).toBeUndefined();
      expect(String(nowhere.data)).toContain('was not found on this server');
      const quickAdd = await failure(
        calendarApi(emulator, auth).events.quickAdd({
          calendarId: 'primary',
          text: 'Lunch tomorrow',
        }),
      );
      expect(quickAdd).toMatchObject({ status: 501, reason: 'notImplemented' });
    });
  });

  describe('batch', () => {
    it('runs 50 inserts in one batch built by hand, answered in order', async () => {
      const auth = connectedClient(emulator, ANN);
      const calls = Array.from({ length: 50 }, (_, i) => ({
        method: 'POST' as const,
        path: eventsPath('primary'),
        body: block(i + 1),
        contentId: `block-${i + 1}`,
      }));
      const results = await sendCalendarBatch(auth, calls, { rootUrl: emulator.rootUrl });
      expect(results.map((r) => [r.contentId, r.status])).toEqual(
        calls.map((c) => [c.contentId, 200]),
      );
      expect(results.map((r) => (r.body as { id: string }).id)).toEqual(
        calls.map((c) => c.body.id),
      );
      expect(results[0].headers['content-type']).toMatch(/^application\/json/);
      expect(emulator.events(ANN)).toHaveLength(50);
      // One HTTP request, fifty calls.
      expect(emulator.requests.filter((r) => !r.batch).map((r) => r.operation)).toEqual(['batch']);
      expect(emulator.requests.filter((r) => r.batch)).toHaveLength(50);
    });

    it('holds every request for the latency it was given, a batch once rather than per call', async () => {
      const auth = connectedClient(emulator, ANN);
      const calendar = calendarApi(emulator, auth);
      await calendar.calendarList.list(); // the token is fresh: no refresh below
      emulator.latencyMs = 150;
      const timed = async (work: () => Promise<unknown>) => {
        const started = Date.now();
        await work();
        return Date.now() - started;
      };
      expect(await timed(() => calendar.calendarList.list())).toBeGreaterThanOrEqual(140);
      const calls = Array.from({ length: 20 }, (_, i) => ({
        method: 'POST' as const,
        path: eventsPath('primary'),
        body: block(i + 1),
      }));
      const batch = await timed(() =>
        sendCalendarBatch(auth, calls, { rootUrl: emulator.rootUrl }),
      );
      expect(batch).toBeGreaterThanOrEqual(140);
      expect(batch).toBeLessThan(20 * 150);
      emulator.latencyMs = 0;
      expect(await timed(() => calendar.calendarList.list())).toBeLessThan(140);
    });

    it('answers each call on its own: success, 412, 404, 409 and delete side by side', async () => {
      const auth = connectedClient(emulator, ANN);
      const calendar = calendarApi(emulator, auth);
      const first = (await calendar.events.insert({ calendarId: 'primary', requestBody: block(1) }))
        .data;
      await calendar.events.insert({ calendarId: 'primary', requestBody: block(2) });
      const results = await sendCalendarBatch(
        auth,
        [
          {
            method: 'PATCH',
            path: eventsPath('primary', eventId(1)),
            body: { summary: 'ok' },
            headers: { 'If-Match': first.etag! },
          },
          {
            method: 'PATCH',
            path: eventsPath('primary', eventId(1)),
            body: { summary: 'stale' },
            headers: { 'If-Match': first.etag! },
          },
          { method: 'GET', path: eventsPath('primary', eventId(9)) },
          { method: 'POST', path: eventsPath('primary'), body: block(2) },
          { method: 'DELETE', path: eventsPath('primary', eventId(2)) },
          {
            method: 'GET',
            path: eventsPath('primary'),
            query: { privateExtendedProperty: ['danwelBlockId=1'] },
          },
        ],
        { rootUrl: emulator.rootUrl },
      );
      expect(results.map((r) => [r.status, r.error?.reason])).toEqual([
        [200, undefined],
        [412, 'conditionNotMet'],
        [404, 'notFound'],
        [409, 'duplicate'],
        [204, undefined],
        [200, undefined],
      ]);
      expect(results[4].body).toBeUndefined();
      expect(
        (results[5].body as { items: Array<{ summary: string }> }).items.map((e) => e.summary),
      ).toEqual(['ok']);
    });

    it('rejects a body that is not multipart/mixed and accepts the /batch alias', async () => {
      const auth = connectedClient(emulator, ANN);
      const plain = await failure(
        auth.request({
          url: `${emulator.url}/batch/calendar/v3`,
          method: 'POST',
          data: { not: 'multipart' },
        }),
      );
      expect(plain).toMatchObject({ status: 400 });
      const calls = [{ method: 'GET' as const, path: eventsPath('primary') }];
      const { contentType, body } = buildCalendarBatch(calls);
      const alias = await auth.request<string>({
        url: `${emulator.url}/batch`,
        method: 'POST',
        headers: { 'Content-Type': contentType },
        data: body,
        responseType: 'text',
      });
      const viaAlias = parseCalendarBatch(alias.headers.get('content-type')!, alias.data, calls);
      expect(viaAlias[0].status).toBe(200);
    });
  });
});
