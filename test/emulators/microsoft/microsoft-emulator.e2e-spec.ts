import { createHash, randomBytes } from 'node:crypto';
import * as https from 'node:https';
import {
  AuthenticationHandler,
  BatchRequestContent,
  BatchResponseContent,
  Client,
  FetchOptions,
  GraphError,
  HTTPMessageHandler,
  ResponseType,
  RetryHandlerOptions,
} from '@microsoft/microsoft-graph-client';
import {
  FaultSchedule,
  MicrosoftEmulator,
  microsoftFaults,
  startMicrosoftEmulator,
  weightedFaults,
} from './index';

/**
 * The Microsoft emulator, driven the way the product will drive Microsoft: the real
 * @microsoft/microsoft-graph-client 3.0.7 for Graph, plain fetch for the token endpoint.
 */

const REDIRECT = 'https://danwel.test/integrations/microsoft/callback';
const SCOPE = 'offline_access openid email User.Read Calendars.ReadWrite';
const BLOCK_PROPERTY = 'String {7d1c9e3a-2b4f-4c8e-9a6d-0f1e2d3c4b5a} Name danwelBlockId';

let ms: MicrosoftEmulator;
let dispatcher: object;

interface Session {
  email: string;
  access: string;
  refresh: string;
  client: Client;
}

async function tokenCall(form: Record<string, string>, headers: Record<string, string> = {}) {
  const response = await fetch(`${ms.url}/common/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
    dispatcher,
  } as RequestInit);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** The SDK client as the product will configure it, pointed at the emulator. */
function graphClient(getToken: () => string): Client {
  return Client.initWithMiddleware({
    authProvider: { getAccessToken: async () => getToken() },
    baseUrl: `${ms.url}/`,
    customHosts: new Set(['127.0.0.1']),
    // `dispatcher` is undici's option; the SDK's FetchOptions type only knows node-fetch's `agent`.
    fetchOptions: { dispatcher } as FetchOptions,
  });
}

async function connect(email: string, scope = SCOPE): Promise<Session> {
  const { verifier, challenge } = pkce();
  const consent = await ms.consent(
    ms.authorizeUrl({ scope, redirectUri: REDIRECT, state: 'xyz', codeChallenge: challenge }),
    email,
  );
  const { status, body } = await tokenCall({
    grant_type: 'authorization_code',
    code: consent.code as string,
    redirect_uri: REDIRECT,
    code_verifier: verifier,
    client_id: ms.app.clientId,
    client_secret: ms.app.clientSecret,
  });
  expect(status).toBe(200);
  const session = {
    email,
    access: body.access_token as string,
    refresh: body.refresh_token as string,
  } as Session;
  session.client = graphClient(() => session.access);
  return session;
}

async function refresh(session: Session) {
  const answer = await tokenCall({
    grant_type: 'refresh_token',
    refresh_token: session.refresh,
    client_id: ms.app.clientId,
    client_secret: ms.app.clientSecret,
  });
  if (answer.status === 200) {
    session.access = answer.body.access_token as string;
    session.refresh = answer.body.refresh_token as string;
  }
  return answer;
}

async function graphError(promise: Promise<unknown>): Promise<GraphError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GraphError) return error;
    throw error;
  }
  throw new Error('expected the SDK to throw a GraphError');
}

/**
 * The network failure behind a GraphError with statusCode -1. Under Jest the undici error comes
 * from another realm, fails the SDK's `instanceof Error`, and lands whole in `error.body` (code and
 * message stay empty); in plain Node the SDK copies name/message into code/message instead and
 * `body` is only `String(error)`. Either way the cause (UND_ERR_SOCKET, …) is not in code/message.
 */
function networkFailure(error: GraphError): { name?: string; message?: string; cause?: string } {
  const original = error.body as { name?: string; message?: string; cause?: { code?: string } };
  return { name: original?.name, message: original?.message, cause: original?.cause?.code };
}

/** Per-request switch-off of the SDK's default RetryHandler. */
const noRetry = () => [new RetryHandlerOptions(0, 0)];

const block = (n: number, day = '2025-03-10', extra: Record<string, unknown> = {}) => ({
  subject: `Block ${n}`,
  body: { contentType: 'text', content: `Time block ${n}` },
  start: { dateTime: `${day}T${String(8 + n).padStart(2, '0')}:00:00`, timeZone: 'UTC' },
  end: { dateTime: `${day}T${String(8 + n).padStart(2, '0')}:30:00`, timeZone: 'UTC' },
  ...extra,
});

beforeAll(async () => {
  ms = await startMicrosoftEmulator();
  dispatcher = await ms.dispatcher();
});
afterAll(() => ms.stop());
afterEach(() => ms.faults.clear());

describe('TLS trust for the SDK on Node 20', () => {
  it('ignores an https.Agent in fetchOptions (global fetch is undici) but honours a dispatcher', async () => {
    ms.addAccount({ email: 'tls@contoso.test' });
    const session = await connect('tls@contoso.test');
    const before = ms.requests.length;
    const withAgent = Client.initWithMiddleware({
      authProvider: { getAccessToken: async () => session.access },
      baseUrl: `${ms.url}/`,
      customHosts: new Set(['127.0.0.1']),
      fetchOptions: { agent: new https.Agent({ ca: ms.ca }) },
    });
    const error = await graphError(withAgent.api('/me').get());
    expect(error.statusCode).toBe(-1);
    expect(networkFailure(error).cause).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(ms.requests.length).toBe(before); // the TLS handshake failed: no request arrived

    const me = await session.client.api('/me').get();
    expect(me.mail).toBe('tls@contoso.test');
    expect(ms.requests[ms.requests.length - 1].headers.sdkversion).toMatch(/graph-js\/3\.0\.7/);
  });
});

describe('identity: consent, code, tokens', () => {
  beforeAll(() => {
    ms.addAccount({ email: 'alice@contoso.test', displayName: 'Alice' });
  });

  it('consents as an account and redirects with code and state; a refusal redirects with access_denied', async () => {
    const url = ms.authorizeUrl({ scope: SCOPE, redirectUri: REDIRECT, state: 'st-1' });
    const ok = await ms.consent(url, 'alice@contoso.test');
    expect(ok.status).toBe(302);
    expect(ok.location?.startsWith(`${REDIRECT}?`)).toBe(true);
    expect(ok.state).toBe('st-1');
    expect(ok.code).toMatch(/^M\.C5_/);

    const denied = await ms.consent(url, 'deny');
    expect(denied).toMatchObject({ status: 302, error: 'access_denied', state: 'st-1' });
    expect(denied.code).toBeUndefined();

    const unknownClient = await ms.consent(
      url.replace(ms.app.clientId, 'not-registered'),
      'alice@contoso.test',
    );
    expect(unknownClient.status).toBe(400); // an error page, never a redirect
  });

  it('exchanges the code with PKCE once, answers Microsoft-shaped tokens, and rejects bad verifiers and secrets', async () => {
    const { verifier, challenge } = pkce();
    const consent = await ms.consent(
      ms.authorizeUrl({ scope: SCOPE, redirectUri: REDIRECT, codeChallenge: challenge }),
      'alice@contoso.test',
    );
    const form = {
      grant_type: 'authorization_code',
      code: consent.code as string,
      redirect_uri: REDIRECT,
      client_id: ms.app.clientId,
      client_secret: ms.app.clientSecret,
    };
    const wrongVerifier = await tokenCall({ ...form, code_verifier: pkce().verifier });
    expect(wrongVerifier.status).toBe(400);
    expect(wrongVerifier.body.error).toBe('invalid_grant');
    expect(wrongVerifier.body.error_codes).toEqual([501481]);

    const wrongSecret = await tokenCall({
      ...form,
      code_verifier: verifier,
      client_secret: 'nope',
    });
    expect(wrongSecret.status).toBe(401);
    expect(wrongSecret.body.error).toBe('invalid_client');

    const ok = await tokenCall({ ...form, code_verifier: verifier });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ token_type: 'Bearer', expires_in: 3599 });
    expect(ok.body.scope).toBe('openid email User.Read Calendars.ReadWrite');
    expect(typeof ok.body.access_token).toBe('string');
    expect(typeof ok.body.refresh_token).toBe('string');
    const claims = JSON.parse(
      Buffer.from(String(ok.body.id_token).split('.')[1], 'base64url').toString('utf8'),
    );
    expect(claims).toMatchObject({
      aud: ms.app.clientId,
      preferred_username: 'alice@contoso.test',
      email: 'alice@contoso.test',
      oid: ms.state.account('alice@contoso.test').id,
    });

    const again = await tokenCall({ ...form, code_verifier: verifier });
    expect(again.body).toMatchObject({ error: 'invalid_grant', error_codes: [54005] });
  });

  it('rotates the refresh token on every refresh: the old one answers invalid_grant', async () => {
    const session = await connect('alice@contoso.test');
    const first = session.refresh;
    const firstAccess = session.access;
    const rotated = await refresh(session);
    expect(rotated.status).toBe(200);
    expect(session.refresh).not.toBe(first);
    expect(session.access).not.toBe(firstAccess);

    const replay = await tokenCall({
      grant_type: 'refresh_token',
      refresh_token: first,
      client_id: ms.app.clientId,
      client_secret: ms.app.clientSecret,
    });
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');

    // HTTP Basic client authentication works too, and the newest refresh token is good.
    const basic = Buffer.from(`${ms.app.clientId}:${ms.app.clientSecret}`).toString('base64');
    const viaBasic = await tokenCall(
      { grant_type: 'refresh_token', refresh_token: session.refresh },
      { Authorization: `Basic ${basic}` },
    );
    expect(viaBasic.status).toBe(200);
  });

  it('answers 401 InvalidAuthenticationToken for missing, unknown and expired tokens', async () => {
    const session = await connect('alice@contoso.test');
    const unknown = await graphError(
      graphClient(() => 'garbage')
        .api('/me')
        .get(),
    );
    expect(unknown.statusCode).toBe(401);
    expect(unknown.code).toBe('InvalidAuthenticationToken');

    const missing = await fetch(`${ms.url}/v1.0/me`, { dispatcher } as RequestInit);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer /);

    ms.state.expireAccessTokens('alice@contoso.test');
    const expired = await graphError(session.client.api('/me').get());
    expect(expired.statusCode).toBe(401);
    expect(expired.message).toMatch(/expired/);
    await refresh(session);
    expect((await session.client.api('/me').get()).id).toBe(
      ms.state.account('alice@contoso.test').id,
    );
  });
});

describe('Graph calendar', () => {
  let bob: Session;

  beforeAll(async () => {
    ms.addAccount({
      email: 'bob@contoso.test',
      calendars: ['Danwel', { name: 'Team (shared)', canEdit: false }],
    });
    bob = await connect('bob@contoso.test');
  });

  it('lists calendars with one default, and refuses calendar calls without a Calendars scope (403)', async () => {
    const me = await bob.client.api('/me').get();
    expect(me).toMatchObject({ mail: 'bob@contoso.test', userPrincipalName: 'bob@contoso.test' });
    const calendars = await bob.client.api('/me/calendars').get();
    expect(calendars.value.map((c: { name: string }) => c.name)).toEqual([
      'Calendar',
      'Danwel',
      'Team (shared)',
    ]);
    expect(
      calendars.value.filter((c: { isDefaultCalendar: boolean }) => c.isDefaultCalendar),
    ).toHaveLength(1);

    const profileOnly = await connect('bob@contoso.test', 'offline_access User.Read');
    const denied = await graphError(profileOnly.client.api('/me/calendars').get());
    expect(denied.statusCode).toBe(403);
    expect(denied.code).toBe('ErrorAccessDenied');

    const shared = calendars.value[2].id;
    const readOnly = await graphError(
      bob.client.api(`/me/calendars/${shared}/events`).post(block(1)),
    );
    expect(readOnly.statusCode).toBe(403);
  });

  it('creates once per transactionId: the retried POST answers 201 with the same event', async () => {
    const calendarId = ms.state.account('bob@contoso.test').defaultCalendarId;
    const payload = block(1, '2025-04-01', { transactionId: 'danwel-block-1-v1' });
    const first = await bob.client
      .api(`/me/calendars/${calendarId}/events`)
      .responseType(ResponseType.RAW)
      .post(payload);
    const second = await bob.client
      .api('/me/events')
      .responseType(ResponseType.RAW)
      .post({ ...payload, subject: 'changed' });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    const a = await first.json();
    const b = await second.json();
    expect(b.id).toBe(a.id);
    expect(b.subject).toBe('Block 1');
    expect(
      ms.state.events('bob@contoso.test').filter((e) => e.transactionId === 'danwel-block-1-v1'),
    ).toHaveLength(1);
  });

  it('guards PATCH and DELETE with If-Match (412), deletes with 204, then answers 404 ErrorItemNotFound', async () => {
    const created = await bob.client.api('/me/events').post(block(2, '2025-04-02'));
    const staleEtag = created['@odata.etag'];
    expect(staleEtag).toBe(`W/"${created.changeKey}"`);

    const patched = await bob.client
      .api(`/me/events/${created.id}`)
      .header('If-Match', staleEtag)
      .patch({ subject: 'Renamed' });
    expect(patched.subject).toBe('Renamed');
    expect(patched.changeKey).not.toBe(created.changeKey);

    const conflict = await graphError(
      bob.client
        .api(`/me/events/${created.id}`)
        .header('If-Match', staleEtag)
        .patch({ subject: 'Lost update' }),
    );
    expect(conflict.statusCode).toBe(412);
    expect(conflict.code).toBe('ErrorIrresolvableConflict');
    expect((await bob.client.api(`/me/events/${created.id}`).get()).subject).toBe('Renamed');

    const deleted = await bob.client
      .api(`/me/events/${created.id}`)
      .responseType(ResponseType.RAW)
      .delete();
    expect(deleted.status).toBe(204);
    const gone = await graphError(bob.client.api(`/me/events/${created.id}`).get());
    expect(gone.statusCode).toBe(404);
    expect(gone.code).toBe('ErrorItemNotFound');
    expect(gone.requestId).toMatch(/^[0-9a-f-]{36}$/);
    const again = await graphError(bob.client.api(`/me/events/${created.id}`).delete());
    expect(again.statusCode).toBe(404);

    const unknownProperty = await graphError(
      bob.client.api('/me/events').post({ ...block(3), colour: 'red' }),
    );
    expect(unknownProperty.statusCode).toBe(400);
    expect(unknownProperty.code).toBe('RequestBodyRead');
  });

  it('keeps wall clock + zone, ignores an embedded offset, and honours Prefer: outlook.timezone', async () => {
    const created = await bob.client.api('/me/events').post({
      subject: 'Amsterdam morning',
      start: { dateTime: '2025-03-10T09:00:00+05:00', timeZone: 'W. Europe Standard Time' },
      end: { dateTime: '2025-03-10T10:00:00', timeZone: 'Europe/Amsterdam' },
    });
    // The create answers in the zones it was written in; the +05:00 was ignored.
    expect(created.start).toEqual({
      dateTime: '2025-03-10T09:00:00.0000000',
      timeZone: 'W. Europe Standard Time',
    });
    expect(created.end).toEqual({
      dateTime: '2025-03-10T10:00:00.0000000',
      timeZone: 'Europe/Amsterdam',
    });

    const utc = await bob.client
      .api(`/me/events/${created.id}`)
      .header('Prefer', 'outlook.timezone="UTC"')
      .get();
    expect(utc.start).toEqual({ dateTime: '2025-03-10T08:00:00.0000000', timeZone: 'UTC' });
    expect(utc.end).toEqual({ dateTime: '2025-03-10T09:00:00.0000000', timeZone: 'UTC' });
    expect(utc.originalStartTimeZone).toBe('W. Europe Standard Time');

    const pacific = await bob.client
      .api(`/me/events/${created.id}`)
      .header('Prefer', 'outlook.timezone="Pacific Standard Time"')
      .get();
    expect(pacific.start).toEqual({
      dateTime: '2025-03-10T01:00:00.0000000',
      timeZone: 'Pacific Standard Time',
    });

    // Without the header a GET answers in UTC, as Graph documents.
    const plain = await bob.client.api(`/me/events/${created.id}`).get();
    expect(plain.start.timeZone).toBe('UTC');
  });

  it('serves calendarView with $select and paging, /users/{upn} as /me, and validates times', async () => {
    for (const n of [1, 2, 3]) ms.state.userCreate('bob@contoso.test', block(n, '2025-11-03'));
    const first = await bob.client
      .api('/me/calendarView')
      .query({ startDateTime: '2025-11-03T00:00:00Z', endDateTime: '2025-11-04T00:00:00Z' })
      .select('subject,start')
      .top(2)
      .get();
    expect(first.value.map((e: { subject: string }) => e.subject)).toEqual(['Block 1', 'Block 2']);
    expect(Object.keys(first.value[0]).sort()).toEqual(['@odata.etag', 'id', 'start', 'subject']);
    const second = await bob.client.api(first['@odata.nextLink']).get();
    expect(second.value.map((e: { subject: string }) => e.subject)).toEqual(['Block 3']);
    expect(second['@odata.nextLink']).toBeUndefined();

    const viaUpn = await bob.client.api('/users/bob@contoso.test/calendars').get();
    expect(viaUpn.value).toHaveLength(3);
    const someoneElse = await graphError(
      bob.client.api('/users/alice@contoso.test/calendars').get(),
    );
    expect(someoneElse.statusCode).toBe(403);

    const badZone = await graphError(
      bob.client.api('/me/events').post({
        ...block(1),
        start: { dateTime: '2025-11-03T09:00:00', timeZone: 'Mars/Olympus_Mons' },
      }),
    );
    expect(badZone.statusCode).toBe(400);
    expect(badZone.code).toBe('TimeZoneNotSupportedException');
    const allDayAtNine = await graphError(
      bob.client.api('/me/events').post({ ...block(1), isAllDay: true }),
    );
    expect(allDayAtNine.statusCode).toBe(400);
    const allDay = await bob.client.api('/me/events').post({
      subject: 'Holiday',
      isAllDay: true,
      start: { dateTime: '2025-11-05T00:00:00', timeZone: 'Europe/Amsterdam' },
      end: { dateTime: '2025-11-06T00:00:00', timeZone: 'Europe/Amsterdam' },
    });
    const read = await bob.client
      .api(`/me/events/${allDay.id}`)
      .header('Prefer', 'outlook.timezone="UTC"')
      .get();
    expect(read.start).toEqual({
      dateTime: '2025-11-05T00:00:00.0000000',
      timeZone: 'Europe/Amsterdam',
    });
  });

  it('finds our events by a private extended property and expands only that property', async () => {
    const account = ms.state.account('bob@contoso.test');
    const target = [...account.calendars.values()].find((c) => c.name === 'Danwel')?.id as string;
    for (const n of [1, 2]) {
      await bob.client.api(`/me/calendars/${target}/events`).post(
        block(n, '2025-05-01', {
          singleValueExtendedProperties: [
            { id: BLOCK_PROPERTY, value: `block-${n}` },
            { id: 'String {00020329-0000-0000-c000-000000000046} Name other', value: 'x' },
          ],
        }),
      );
    }
    await bob.client.api(`/me/calendars/${target}/events`).post(block(3, '2025-05-01'));

    // The GUID is matched case-insensitively, as Exchange does.
    const upper = BLOCK_PROPERTY.replace(/\{[^}]+\}/, (g) => g.toUpperCase());
    const found = await bob.client
      .api(`/me/calendars/${target}/events`)
      .filter(
        `singleValueExtendedProperties/Any(ep: ep/id eq '${upper}' and ep/value eq 'block-2')`,
      )
      .expand(`singleValueExtendedProperties($filter=id eq '${BLOCK_PROPERTY}')`)
      .get();
    expect(found.value).toHaveLength(1);
    expect(found.value[0].subject).toBe('Block 2');
    expect(found.value[0].singleValueExtendedProperties).toEqual([
      { id: BLOCK_PROPERTY, value: 'block-2' },
    ]);

    const all = await bob.client.api(`/me/calendars/${target}/events`).get();
    expect(all.value).toHaveLength(3);
    expect(all.value[0].singleValueExtendedProperties).toBeUndefined();

    const badFilter = await graphError(
      bob.client.api('/me/events').filter("subject eq 'unterminated").get(),
    );
    expect(badFilter.statusCode).toBe(400);
  });
});

describe('$batch', () => {
  let carol: Session;

  beforeAll(async () => {
    ms.addAccount({ email: 'carol@contoso.test' });
    carol = await connect('carol@contoso.test');
  });

  it('runs 20 creates, answers out of order, and throttles one item with its own Retry-After', async () => {
    ms.faults.add({
      match: { batch: true, method: 'POST' },
      after: 6,
      times: 1,
      fault: { kind: 'throttle', retryAfter: 7 },
    });
    const steps = Array.from({ length: 20 }, (_, i) => ({
      id: `b${i + 1}`,
      // SDK 3.0.7 strips scheme+host but NOT the version: give the URL without /v1.0.
      request: new Request(`${ms.url}/me/events`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(block(i % 10, '2025-06-02', { transactionId: `batch-${i + 1}` })),
      }),
    }));
    const content = new BatchRequestContent(steps);
    const raw = await carol.client.api('/$batch').post(await content.getContent());
    const order = raw.responses.map((r: { id: string }) => r.id);
    expect(order).toHaveLength(20);
    expect(order).not.toEqual(steps.map((s) => s.id));
    expect([...order].sort()).toEqual(steps.map((s) => s.id).sort());

    const responses = new BatchResponseContent(raw);
    const statuses = steps.map((s) => responses.getResponseById(s.id).status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(19);
    expect(statuses[6]).toBe(429);
    const throttled = responses.getResponseById('b7');
    expect(throttled.headers.get('Retry-After')).toBe('7');
    expect(((await throttled.json()) as { error: { code: string } }).error.code).toBe(
      'TooManyRequests',
    );
    expect(ms.state.events('carol@contoso.test')).toHaveLength(19);

    // Retrying just that item creates it; retrying one that succeeded does not duplicate.
    const retry = new BatchRequestContent([
      { id: 'b7', request: steps[6].request.clone() as Request },
      { id: 'b1', request: steps[0].request.clone() as Request },
    ]);
    const second = new BatchResponseContent(
      await carol.client.api('/$batch').post(await retry.getContent()),
    );
    expect(second.getResponseById('b7').status).toBe(201);
    expect(second.getResponseById('b1').status).toBe(201);
    expect(ms.state.events('carol@contoso.test')).toHaveLength(20);
  });

  it('rejects 21 requests with 400 (the SDK helper already refuses to build them)', async () => {
    const requests = Array.from({ length: 21 }, (_, i) => ({
      id: String(i + 1),
      method: 'GET',
      url: '/me',
    }));
    expect(
      () =>
        new BatchRequestContent(
          requests.map((r) => ({ id: r.id, request: new Request(`${ms.url}/me`) })),
        ),
    ).toThrow(/Maximum requests limit exceeded/);
    const error = await graphError(carol.client.api('/$batch').post({ requests }));
    expect(error.statusCode).toBe(400);
    expect(error.code).toBe('BadRequest');
  });

  it('answers a sub-request URL that carries /v1.0 with 400, as Graph does', async () => {
    const content = new BatchRequestContent([
      { id: '1', request: new Request(`${ms.url}/v1.0/me`) },
    ]);
    const body = await content.getContent();
    expect(body.requests[0].url).toBe('/v1.0/me');
    const responses = new BatchResponseContent(await carol.client.api('/$batch').post(body));
    const answer = responses.getResponseById('1');
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as { error: { message: string } }).error.message).toBe(
      "Resource not found for the segment 'v1.0'.",
    );
  });

  it('fails dependents of a failed request with 424', async () => {
    const raw = await carol.client.api('/$batch').post({
      requests: [
        { id: 'get', method: 'GET', url: '/me/events/AAMkADdoesnotexist=' },
        {
          id: 'patch',
          method: 'PATCH',
          url: '/me/events/AAMkADdoesnotexist=',
          dependsOn: ['get'],
          headers: { 'Content-Type': 'application/json' },
          body: { subject: 'x' },
        },
      ],
    });
    const byId = Object.fromEntries(
      raw.responses.map((r: { id: string; status: number }) => [r.id, r.status]),
    );
    expect(byId).toEqual({ get: 404, patch: 424 });
  });
});

describe('delta (calendarView)', () => {
  it('pages with nextLink, ends with deltaLink, reports edits and @removed, and answers 410 once stale', async () => {
    ms.addAccount({ email: 'dave@contoso.test' });
    const dave = await connect('dave@contoso.test');
    const ids: string[] = [];
    for (const n of [1, 2, 3, 4, 5])
      ids.push((await dave.client.api('/me/events').post(block(n, '2025-07-01'))).id);
    await dave.client.api('/me/events').post(block(1, '2025-09-01')); // outside the window

    const collect = async (first: string) => {
      const items: Array<Record<string, unknown>> = [];
      let link: string | undefined = first;
      let deltaLink: string | undefined;
      let pages = 0;
      while (link) {
        const page: Record<string, unknown> = await dave.client
          .api(link)
          .header('Prefer', 'odata.maxpagesize=2, outlook.timezone="UTC"')
          .get();
        pages++;
        items.push(...(page.value as Array<Record<string, unknown>>));
        link = page['@odata.nextLink'] as string | undefined;
        deltaLink = page['@odata.deltaLink'] as string | undefined;
      }
      return { items, deltaLink: deltaLink as string, pages };
    };

    const initial = await collect(
      '/me/calendarView/delta?startDateTime=2025-07-01T00:00:00Z&endDateTime=2025-07-08T00:00:00Z',
    );
    expect(initial.pages).toBe(3);
    expect(initial.items.map((i) => i.id)).toEqual(ids);
    expect(initial.deltaLink).toContain('$deltatoken=');

    const nothing = await collect(initial.deltaLink);
    expect(nothing.items).toEqual([]);

    ms.state.userEdit('dave@contoso.test', ids[0], { subject: 'Edited in Outlook' });
    ms.state.userEdit('dave@contoso.test', ids[1], {
      start: { dateTime: '2025-08-01T09:00:00', timeZone: 'UTC' },
      end: { dateTime: '2025-08-01T10:00:00', timeZone: 'UTC' },
    });
    ms.state.userDelete('dave@contoso.test', ids[2]);
    await dave.client.api(`/me/events/${ids[3]}`).delete();

    const changes = await collect(nothing.deltaLink);
    expect(changes.items).toEqual([
      expect.objectContaining({ id: ids[0], subject: 'Edited in Outlook' }),
      { '@odata.type': '#microsoft.graph.event', id: ids[1], '@removed': { reason: 'deleted' } },
      { '@odata.type': '#microsoft.graph.event', id: ids[2], '@removed': { reason: 'deleted' } },
      { '@odata.type': '#microsoft.graph.event', id: ids[3], '@removed': { reason: 'deleted' } },
    ]);

    ms.state.expireDeltaTokens('dave@contoso.test');
    const stale = await graphError(dave.client.api(changes.deltaLink).get());
    expect(stale.statusCode).toBe(410);
    expect(stale.code).toBe('SyncStateNotFound');

    const missingWindow = await graphError(dave.client.api('/me/calendarView/delta').get());
    expect(missingWindow.statusCode).toBe(400);
  });
});

describe('faults, observed through the SDK', () => {
  let erin: Session;
  const lastRequests = (n: number) => ms.requests.slice(-n);

  beforeAll(async () => {
    ms.addAccount({ email: 'erin@contoso.test' });
    erin = await connect('erin@contoso.test');
  });

  it('429 with Retry-After surfaces as a GraphError when the RetryHandler is off', async () => {
    ms.faults.add({
      match: { method: 'GET', path: '/v1.0/me/calendars' },
      fault: { kind: 'throttle', retryAfter: 2 },
    });
    const error = await graphError(
      erin.client.api('/me/calendars').middlewareOptions(noRetry()).get(),
    );
    expect(error.statusCode).toBe(429);
    expect(error.headers?.get('Retry-After')).toBe('2');
  });

  it("the default chain's RetryHandler retries 429 after Retry-After, with a Retry-Attempt header", async () => {
    ms.faults.add({
      match: { path: '/v1.0/me/calendars' },
      fault: { kind: 'throttle', retryAfter: 1 },
    });
    const started = Date.now();
    const calendars = await erin.client.api('/me/calendars').get();
    expect(calendars.value).toHaveLength(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    const [first, second] = lastRequests(2);
    expect([first.status, second.status]).toEqual([429, 200]);
    expect(second.headers['retry-attempt']).toBe('1');
  });

  it('retries 503 and 504 by itself (POST included), up to 3 retries, but never 500', async () => {
    ms.faults.add({
      match: { method: 'POST' },
      fault: { kind: 'serverError', status: 503, retryAfter: 0 },
    });
    ms.faults.add({
      match: { method: 'POST' },
      fault: { kind: 'serverError', status: 504, retryAfter: 0 },
    });
    const created = await erin.client.api('/me/events').post(block(1, '2025-10-01'));
    expect(lastRequests(3).map((r) => r.status)).toEqual([503, 504, 201]);
    expect(created.subject).toBe('Block 1');

    ms.faults.add({
      match: { path: '/v1.0/me' },
      times: 4,
      fault: { kind: 'serverError', status: 503, retryAfter: 0 },
    });
    const exhausted = await graphError(erin.client.api('/me').get());
    expect(exhausted.statusCode).toBe(503);
    expect(lastRequests(4).map((r) => r.headers['retry-attempt'])).toEqual([
      undefined,
      '1',
      '2',
      '3',
    ]);

    ms.faults.add({ match: { path: '/v1.0/me' }, fault: { kind: 'serverError' } });
    const before = ms.requests.length;
    const serverError = await graphError(erin.client.api('/me').get());
    expect(serverError.statusCode).toBe(500);
    expect(serverError.code).toBe('generalException');
    expect(ms.requests.length - before).toBe(1);
  });

  it('a custom middleware chain without RetryHandler passes 503 straight through', async () => {
    const bare = Client.initWithMiddleware({
      middleware: [
        new AuthenticationHandler({ getAccessToken: async () => erin.access }),
        new HTTPMessageHandler(),
      ],
      baseUrl: `${ms.url}/`,
      customHosts: new Set(['127.0.0.1']), // still needed: AuthenticationHandler checks it
      fetchOptions: { dispatcher } as FetchOptions,
    });
    ms.faults.add({
      match: { path: '/v1.0/me' },
      fault: { kind: 'serverError', status: 503, retryAfter: 0 },
    });
    const before = ms.requests.length;
    const error = await graphError(bare.api('/me').get());
    expect(error.statusCode).toBe(503);
    expect(error.headers?.get('Retry-After')).toBe('0');
    expect(ms.requests.length - before).toBe(1);
    expect((await bare.api('/me').get()).mail).toBe('erin@contoso.test');
  });

  it('a delay answers late but normally', async () => {
    ms.faults.add({ match: { path: '/v1.0/me' }, fault: { kind: 'delay', ms: 250 } });
    const started = Date.now();
    expect((await erin.client.api('/me').get()).mail).toBe('erin@contoso.test');
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
  });

  it('a hang is only a timeout if the caller sets one (AbortSignal per request)', async () => {
    ms.faults.add({ match: { path: '/v1.0/me' }, fault: { kind: 'hang' } });
    const error = await graphError(
      erin.client.api('/me').option('signal', AbortSignal.timeout(300)).get(),
    );
    expect(error.statusCode).toBe(-1);
    expect(networkFailure(error).name).toBe('TimeoutError');
    expect(lastRequests(1)[0].outcome).toBe('hang');
  });

  it('a reset surfaces as a network error and nothing was written', async () => {
    ms.faults.add({ match: { method: 'POST', path: /events$/ }, fault: { kind: 'reset' } });
    const before = ms.state.events('erin@contoso.test').length;
    const error = await graphError(erin.client.api('/me/events').post(block(2, '2025-10-02')));
    expect(error.statusCode).toBe(-1);
    expect(networkFailure(error)).toEqual({
      name: 'TypeError',
      message: 'fetch failed',
      cause: 'UND_ERR_SOCKET',
    });
    expect(ms.state.events('erin@contoso.test')).toHaveLength(before);
  });

  it('a lost response is a network error while the event exists; the transactionId retry returns it', async () => {
    ms.faults.add({
      match: { method: 'POST', path: /events$/ },
      times: 1,
      fault: { kind: 'lostResponse' },
    });
    const payload = block(3, '2025-10-03', { transactionId: 'lost-response-1' });
    const error = await graphError(erin.client.api('/me/events').post(payload));
    expect(error.statusCode).toBe(-1);
    expect(networkFailure(error).cause).toBe('UND_ERR_SOCKET');
    const stored = ms.state
      .events('erin@contoso.test')
      .filter((e) => e.transactionId === 'lost-response-1');
    expect(stored).toHaveLength(1);
    const retried = await erin.client.api('/me/events').post(payload);
    expect(retried.id).toBe(stored[0].id);
    expect(
      ms.state.events('erin@contoso.test').filter((e) => e.transactionId === 'lost-response-1'),
    ).toHaveLength(1);
  });

  it('access-token expiry: 401 until the product refreshes (the SDK does not refresh by itself)', async () => {
    ms.faults.add({ match: { user: 'erin@contoso.test' }, fault: { kind: 'tokenExpired' } });
    const first = await graphError(erin.client.api('/me').get());
    expect(first.statusCode).toBe(401);
    expect(first.code).toBe('InvalidAuthenticationToken');
    const still = await graphError(erin.client.api('/me').get());
    expect(still.statusCode).toBe(401);
    expect((await refresh(erin)).status).toBe(200);
    expect((await erin.client.api('/me').get()).mail).toBe('erin@contoso.test');
  });

  it('invalid_grant on refresh kills the refresh token', async () => {
    ms.faults.add({
      match: { operation: 'oauth.token', grantType: 'refresh_token' },
      fault: { kind: 'invalidGrant', revoke: true },
    });
    const first = await refresh(erin);
    expect(first.status).toBe(400);
    expect(first.body.error).toBe('invalid_grant');
    const second = await refresh(erin);
    expect(second.body.error).toBe('invalid_grant');
  });

  it('token endpoint faults: 503 with Retry-After, and a lost response after the rotation', async () => {
    const session = await connect('erin@contoso.test');
    ms.faults.add({
      match: { operation: 'oauth.token' },
      fault: { kind: 'serverError', status: 503, retryAfter: 5 },
    });
    const unavailable = await refresh(session);
    expect(unavailable.status).toBe(503);
    expect(unavailable.body.error).toBe('temporarily_unavailable');

    ms.faults.add({ match: { operation: 'oauth.token' }, fault: { kind: 'lostResponse' } });
    await expect(refresh(session)).rejects.toThrow('fetch failed');
    // Strict rotation: the token the client still holds was consumed by the lost call.
    expect((await refresh(session)).body.error).toBe('invalid_grant');
  });

  it('seeded random mode is reproducible and counts by kind', async () => {
    const run = async () => {
      ms.faults.clear();
      ms.faults.resetCounts();
      ms.faults.random(
        weightedFaults({
          seed: 7,
          rate: 0.5,
          faults: [
            { weight: 2, fault: microsoftFaults.throttle() },
            { weight: 1, fault: microsoftFaults.unavailable() },
            { weight: 1, fault: microsoftFaults.serverError() },
          ],
          match: { user: 'erin@contoso.test' },
        }),
      );
      const statuses: number[] = [];
      for (let i = 0; i < 16; i++) {
        try {
          await erin.client.api('/me/calendars').middlewareOptions(noRetry()).get();
          statuses.push(200);
        } catch (error) {
          statuses.push((error as GraphError).statusCode);
        }
      }
      return { statuses, counts: ms.faults.counts };
    };
    const first = await run();
    const second = await run();
    expect(second.statuses).toEqual(first.statuses);
    const count = (label: string) => first.counts[label] ?? 0;
    expect(count('429 TooManyRequests')).toBe(first.statuses.filter((s) => s === 429).length);
    expect(count('503 serviceNotAvailable')).toBe(first.statuses.filter((s) => s === 503).length);
    expect(count('500 generalException')).toBe(first.statuses.filter((s) => s === 500).length);
    expect(first.statuses.filter((s) => s !== 200).length).toBeGreaterThan(2);
    expect(first.statuses.filter((s) => s === 200).length).toBeGreaterThan(2);
  });

  it('the fault schedule on its own: `after` skips, `times` limits, counters by label', () => {
    const plan = new FaultSchedule();
    const handle = plan.add({
      match: { method: 'POST', path: /events$/ },
      after: 1,
      times: 2,
      fault: { kind: 'serverError' },
    });
    const facts = {
      method: 'POST',
      path: '/v1.0/me/events',
      operation: 'graph',
      batch: false,
    };
    const picked = [1, 2, 3, 4].map(() => plan.pick(facts)?.kind);
    expect(picked).toEqual([undefined, 'serverError', 'serverError', undefined]);
    expect(plan.pick({ ...facts, method: 'GET' })).toBeUndefined();
    expect(handle.hits).toBe(2);
    expect(plan.counts).toEqual({ '500': 2 });
  });
});

describe('throttling', () => {
  it('allows 4 concurrent requests per mailbox; the 5th gets 429 ApplicationThrottled', async () => {
    ms.addAccount({ email: 'frank@contoso.test' });
    const frank = await connect('frank@contoso.test');
    ms.throttle.latencyMs = 300;
    try {
      const results = await Promise.all(
        Array.from({ length: 5 }, () =>
          frank.client
            .api('/me/calendars')
            .middlewareOptions(noRetry())
            .get()
            .then(
              () => 200,
              (error: GraphError) => error,
            ),
        ),
      );
      const errors = results.filter((r): r is GraphError => r instanceof GraphError);
      expect(results.filter((r) => r === 200)).toHaveLength(4);
      expect(errors).toHaveLength(1);
      expect(errors[0].statusCode).toBe(429);
      expect(errors[0].code).toBe('ApplicationThrottled');
      expect(errors[0].message).toMatch(/MailboxConcurrency/);
      expect(errors[0].headers?.get('Retry-After')).toBe('1');
    } finally {
      ms.throttle.latencyMs = 0;
    }
  });

  it('limits requests per app and mailbox per window, with Retry-After until the window ends', async () => {
    ms.addAccount({ email: 'grace@contoso.test' });
    const grace = await connect('grace@contoso.test');
    const saved = { ...ms.throttle };
    ms.throttle.maxRequestsPerWindow = 3;
    ms.throttle.windowMs = 60_000;
    try {
      for (let i = 0; i < 3; i++) await grace.client.api('/me').middlewareOptions(noRetry()).get();
      const error = await graphError(grace.client.api('/me').middlewareOptions(noRetry()).get());
      expect(error.statusCode).toBe(429);
      expect(Number(error.headers?.get('Retry-After'))).toBeGreaterThan(50);
    } finally {
      Object.assign(ms.throttle, saved);
    }
  });
});
