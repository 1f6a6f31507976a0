/**
 * Graph change notifications in the Microsoft emulator, driven by the real
 * @microsoft/microsoft-graph-client (`client.api('/subscriptions')…`) and received by a plain
 * node:http server on loopback: the validation handshake, the subscription entity, notifications
 * on API and "in Outlook" changes, renew/delete/expiry, lost notifications and Graph's refusals.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Client, FetchOptions, GraphError, ResponseType } from '@microsoft/microsoft-graph-client';
import { correctAnswer, startWebhookReceiver, WebhookReceiver } from '../common/webhook-receiver';
import { MAX_EVENT_SUBSCRIPTION_MINUTES, MicrosoftEmulator, startMicrosoftEmulator } from './index';

const REDIRECT = 'https://danwel.test/integrations/microsoft/callback';
const SCOPE = 'offline_access openid email User.Read Calendars.ReadWrite';

let ms: MicrosoftEmulator;
let dispatcher: object;
let receiver: WebhookReceiver;

interface Mailbox {
  id: string;
  email: string;
  defaultCalendarId: string;
  danwelCalendarId: string;
  client: Client;
}

interface ChangeNotification {
  subscriptionId: string;
  subscriptionExpirationDateTime: string;
  changeType: string;
  resource: string;
  resourceData: Record<string, string>;
  clientState?: string;
  tenantId: string;
  lifecycleEvent?: string;
}

function graphClient(accessToken: string, emulator = ms, trust = dispatcher): Client {
  return Client.initWithMiddleware({
    authProvider: { getAccessToken: async () => accessToken },
    baseUrl: `${emulator.url}/`,
    customHosts: new Set(['127.0.0.1']),
    fetchOptions: { dispatcher: trust } as FetchOptions,
  });
}

async function accessToken(
  emulator: MicrosoftEmulator,
  trust: object,
  email: string,
  scope = SCOPE,
) {
  const verifier = randomBytes(32).toString('base64url');
  const consent = await emulator.consent(
    emulator.authorizeUrl({
      scope,
      redirectUri: REDIRECT,
      codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
    }),
    email,
  );
  const response = await fetch(`${emulator.url}/common/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: consent.code!,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
      client_id: emulator.app.clientId,
      client_secret: emulator.app.clientSecret,
    }).toString(),
    dispatcher: trust,
  } as RequestInit);
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

let mailboxes = 0;
async function mailbox(scope = SCOPE): Promise<Mailbox> {
  const email = `user${++mailboxes}@contoso.test`;
  const account = ms.addAccount({ email, calendars: ['Danwel'] });
  return {
    id: account.id,
    email,
    defaultCalendarId: account.defaultCalendarId,
    danwelCalendarId: account.calendarIds[1],
    client: graphClient(await accessToken(ms, dispatcher, email, scope)),
  };
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

const inMinutes = (minutes: number) => new Date(ms.state.now() + minutes * 60_000).toISOString();

const block = (n: number) => ({
  subject: `Block ${n}`,
  start: { dateTime: `2025-03-10T${String(8 + n).padStart(2, '0')}:00:00`, timeZone: 'UTC' },
  end: { dateTime: `2025-03-10T${String(8 + n).padStart(2, '0')}:30:00`, timeZone: 'UTC' },
});

/** The change notifications that reached `path` (validation requests left out), in order. */
function notificationsAt(path: string): ChangeNotification[] {
  return receiver.received
    .filter((r) => r.path === path && !r.query.has('validationToken'))
    .flatMap((r) => (JSON.parse(r.body) as { value: ChangeNotification[] }).value);
}

async function subscribe(
  box: Mailbox,
  path: string,
  extra: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  return box.client.api('/subscriptions').post({
    changeType: 'created,updated,deleted',
    notificationUrl: `${receiver.url}${path}`,
    resource: `/me/calendars/${box.danwelCalendarId}/events`,
    expirationDateTime: inMinutes(60),
    clientState: `state-for-${box.email}`,
    ...extra,
  });
}

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  ms = await startMicrosoftEmulator({
    // The receiver is plain http on loopback; Graph itself only accepts https URLs.
    allowHttpAddresses: true,
    validationTimeoutMs: 500,
  });
  dispatcher = await ms.dispatcher();
});
afterAll(async () => {
  await ms.stop();
  await receiver.stop();
});
beforeEach(async () => {
  await ms.notificationsSettled();
  receiver.received.length = 0;
  receiver.respond = (request) => correctAnswer(request, 202);
});
afterEach(() => ms.clearNotificationDrops());

describe('creating a subscription', () => {
  it('validates the notification URL first, then answers 201 with the subscription entity', async () => {
    const box = await mailbox();
    const raw = (await box.client
      .api('/subscriptions')
      .responseType(ResponseType.RAW)
      .post({
        changeType: 'created,updated,deleted',
        notificationUrl: `${receiver.url}/graph/notify`,
        resource: `/me/calendars/${box.danwelCalendarId}/events`,
        expirationDateTime: inMinutes(4200),
        clientState: 'org-1-secret',
      })) as Response;
    expect(raw.status).toBe(201);
    const created = (await raw.json()) as Record<string, unknown>;
    expect(created).toEqual({
      '@odata.context': `${ms.url}/v1.0/$metadata#subscriptions/$entity`,
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      resource: `/me/calendars/${box.danwelCalendarId}/events`,
      applicationId: ms.app.clientId,
      changeType: 'created,updated,deleted',
      clientState: 'org-1-secret',
      notificationUrl: `${receiver.url}/graph/notify`,
      notificationQueryOptions: null,
      lifecycleNotificationUrl: null,
      expirationDateTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/),
      creatorId: box.id,
      includeResourceData: null,
      latestSupportedTlsVersion: 'v1_2',
      encryptionCertificate: null,
      encryptionCertificateId: null,
      notificationUrlAppId: null,
    });
    const lifetime = Date.parse(created.expirationDateTime as string) - ms.state.now();
    expect(Math.abs(lifetime - 4200 * 60_000)).toBeLessThan(5_000);

    // The handshake: one POST with the token in the query, text/plain, no body.
    expect(receiver.received).toHaveLength(1);
    const [validation] = receiver.received;
    const token = ms.validationRequests.at(-1)!.token;
    expect(validation).toMatchObject({ method: 'POST', path: '/graph/notify', body: '' });
    expect(validation.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(validation.query.get('validationToken')).toBe(token);
    expect(token).toMatch(/^Validation: Testing client application reachability for subscription/);
    // Form-encoded like Graph's: spaces as '+', so the receiver must decode the query properly.
    expect(validation.url).toMatch(/\?validationToken=Validation%3a\+Testing\+client\+/);
    expect(ms.validationRequests.at(-1)).toMatchObject({ outcome: 'accepted', status: 200 });

    const read = await box.client.api(`/subscriptions/${created.id as string}`).get();
    expect(read).toEqual(created);
    const list = await box.client.api('/subscriptions').get();
    expect(list.value).toEqual([
      expect.objectContaining({ id: created.id, notificationUrl: `${receiver.url}/graph/notify` }),
    ]);
    // Another mailbox (same app) does not see it.
    const other = await mailbox();
    expect((await other.client.api('/subscriptions').get()).value).toEqual([]);
    const hidden = await graphError(
      other.client.api(`/subscriptions/${created.id as string}`).get(),
    );
    expect(hidden).toMatchObject({ statusCode: 404, code: 'ResourceNotFound' });
  });

  it('fails with 400 when the endpoint does not answer the handshake as Graph demands', async () => {
    const box = await mailbox();
    const attempt = () => graphError(subscribe(box, '/graph/bad'));
    const refusals: Array<[string, WebhookReceiver['respond']]> = [
      ['status 500', () => ({ status: 500 })],
      ['202 instead of 200', (r) => ({ ...correctAnswer(r), status: 202 })],
      [
        'another body',
        () => ({ status: 200, headers: { 'Content-Type': 'text/plain' }, body: 'hello' }),
      ],
      [
        'the token still encoded',
        (r) => ({
          status: 200,
          headers: { 'Content-Type': 'text/plain' },
          body: r.url.split('validationToken=')[1],
        }),
      ],
      [
        'text/html',
        (r) => ({
          status: 200,
          headers: { 'Content-Type': 'text/html; charset=utf-8' },
          body: r.query.get('validationToken')!,
        }),
      ],
    ];
    const messages: Record<string, string> = {};
    for (const [name, respond] of refusals) {
      receiver.respond = respond;
      const error = await attempt();
      expect({ name, status: error.statusCode, code: error.code }).toEqual({
        name,
        status: 400,
        code: 'ValidationError',
      });
      messages[name] = error.message;
    }
    expect(messages['status 500']).toBe(
      'Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.',
    );
    expect(messages['another body']).toBe(
      'Subscription validation request failed. Response must exactly match validationToken query parameter.',
    );
    expect(messages['the token still encoded']).toBe(messages['another body']);

    // No answer within the deadline (Graph: 10 s; this emulator was started with 500 ms).
    receiver.respond = () => new Promise(() => undefined);
    const timedOut = await attempt();
    expect(timedOut).toMatchObject({
      statusCode: 400,
      code: 'InvalidRequest',
      message: 'Subscription validation request timed out.',
    });
    expect(ms.validationRequests.slice(-6).map((v) => v.outcome)).toEqual([
      'status',
      'status',
      'body',
      'body',
      'contentType',
      'timeout',
    ]);

    // Nothing was created, and nothing is delivered for this mailbox.
    expect((await box.client.api('/subscriptions').get()).value).toEqual([]);
    receiver.respond = (r) => correctAnswer(r, 202);
    const before = receiver.received.length;
    ms.state.userCreate(box.email, block(1), box.danwelCalendarId);
    await ms.notificationsSettled();
    expect(receiver.received.length).toBe(before);
  });

  it('refuses what Graph refuses: too long a lifetime, a past one, missing or unknown properties, bad change types, unknown calendars, no Calendars scope', async () => {
    const box = await mailbox();
    const tooLong = await graphError(
      subscribe(box, '/graph/x', {
        expirationDateTime: inMinutes(MAX_EVENT_SUBSCRIPTION_MINUTES + 1),
      }),
    );
    expect(tooLong).toMatchObject({
      statusCode: 400,
      code: 'ExtensionError',
      message: 'Subscription expiration can only be 4230 minutes in the future.',
    });
    const past = await graphError(
      subscribe(box, '/graph/x', { expirationDateTime: inMinutes(-1) }),
    );
    expect(past).toMatchObject({ statusCode: 400, code: 'InvalidRequest' });
    const missing = await graphError(
      box.client.api('/subscriptions').post({
        changeType: 'created',
        notificationUrl: `${receiver.url}/graph/x`,
        resource: 'me/events',
      }),
    );
    expect(missing).toMatchObject({
      statusCode: 400,
      message: 'expirationDateTime is a required property for subscription creation.',
    });
    const unknown = await graphError(subscribe(box, '/graph/x', { includeAttendees: true }));
    expect(unknown).toMatchObject({ statusCode: 400, code: 'RequestBodyRead' });
    const badType = await graphError(subscribe(box, '/graph/x', { changeType: 'created,moved' }));
    expect(badType).toMatchObject({ statusCode: 400, code: 'InvalidRequest' });
    const noCalendar = await graphError(
      subscribe(box, '/graph/x', { resource: '/me/calendars/AAMkNOPE/events' }),
    );
    expect(noCalendar).toMatchObject({ statusCode: 404, code: 'ErrorItemNotFound' });

    const userOnly = await mailbox('offline_access User.Read');
    const noScope = await graphError(subscribe(userOnly, '/graph/x', { resource: 'me/events' }));
    expect(noScope.statusCode).toBe(403);

    // None of them reached the endpoint: the handshake comes after the request checks.
    expect(receiver.received).toEqual([]);
    expect((await box.client.api('/subscriptions').get()).value).toEqual([]);

    // At the limit it works, for the mailbox (`me/events`) as well.
    const atLimit = await subscribe(box, '/graph/x', {
      resource: 'me/events',
      expirationDateTime: inMinutes(MAX_EVENT_SUBSCRIPTION_MINUTES - 1),
    });
    expect(atLimit.resource).toBe('me/events');
  });
});

describe('notifications', () => {
  it('POSTs created, updated and deleted for API changes in the subscribed calendar, with clientState and resourceData', async () => {
    const box = await mailbox();
    const subscription = await subscribe(box, '/graph/api');
    const calendarEvents = `/me/calendars/${box.danwelCalendarId}/events`;

    const created = await box.client
      .api(calendarEvents)
      .post({ ...block(1), transactionId: 'tx-1' });
    // A retried create (same transactionId) changes nothing: no second notification.
    await box.client.api(calendarEvents).post({ ...block(1), transactionId: 'tx-1' });
    const updated = await box.client
      .api(`/me/events/${created.id as string}`)
      .patch({ subject: 'Moved by danwel' });
    await box.client.api(`/me/events/${created.id as string}`).delete();
    // The default calendar is not subscribed.
    await box.client.api('/me/events').post(block(2));
    await ms.notificationsSettled();

    const received = notificationsAt('/graph/api');
    expect(received.map((n) => n.changeType)).toEqual(['created', 'updated', 'deleted']);
    const resource = `Users/${box.id}/Events/${created.id as string}`;
    expect(received[1]).toEqual({
      subscriptionId: subscription.id,
      subscriptionExpirationDateTime: expect.stringMatching(
        /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/,
      ),
      changeType: 'updated',
      resource,
      resourceData: {
        '@odata.type': '#Microsoft.Graph.Event',
        '@odata.id': resource,
        '@odata.etag': updated['@odata.etag'],
        id: created.id,
      },
      clientState: `state-for-${box.email}`,
      tenantId: ms.state.tenantId,
    });
    expect(received[0].resourceData['@odata.etag']).toBe(created['@odata.etag']);
    expect(received[2].resourceData).toEqual({
      '@odata.type': '#Microsoft.Graph.Event',
      '@odata.id': resource,
      id: created.id,
    });
    const posts = receiver.received.filter(
      (r) => r.path === '/graph/api' && !r.query.has('validationToken'),
    );
    for (const post of posts) {
      expect(post.method).toBe('POST');
      expect(post.headers['content-type']).toBe('application/json; charset=utf-8');
    }
    expect(ms.notifications.filter((n) => n.channel === subscription.id)).toEqual([
      expect.objectContaining({ kind: 'created', outcome: 'answered', status: 202 }),
      expect.objectContaining({ kind: 'updated', outcome: 'answered', status: 202 }),
      expect.objectContaining({ kind: 'deleted', outcome: 'answered', status: 202 }),
    ]);
  });

  it('POSTs for the user’s own changes in Outlook, only of the subscribed change types', async () => {
    const box = await mailbox();
    const subscription = await subscribe(box, '/graph/user', {
      resource: 'me/events',
      changeType: 'updated,deleted',
      clientState: undefined,
    });
    const event = ms.state.userCreate(box.email, block(1));
    ms.state.userEdit(box.email, event.id as string, { subject: 'Renamed in Outlook' });
    ms.state.userDelete(box.email, event.id as string);
    ms.state.userCreate(box.email, block(2), box.danwelCalendarId);
    await ms.notificationsSettled();

    const received = notificationsAt('/graph/user');
    expect(received.map((n) => [n.changeType, n.resourceData.id])).toEqual([
      ['updated', event.id],
      ['deleted', event.id],
    ]);
    expect(received[0]).not.toHaveProperty('clientState');
    expect(received[0].subscriptionId).toBe(subscription.id);
  });

  it('delivers asynchronously and one at a time per subscription: the API answers while the receiver is busy', async () => {
    const box = await mailbox();
    await subscribe(box, '/graph/slow');
    let release!: () => void;
    const busy = new Promise<void>((resolve) => (release = resolve));
    receiver.respond = async () => {
      await busy;
      return { status: 202 };
    };
    const calendarEvents = `/me/calendars/${box.danwelCalendarId}/events`;
    const first = await box.client.api(calendarEvents).post(block(1));
    expect(first.id).toEqual(expect.any(String));
    await box.client.api(calendarEvents).post(block(2));
    await receiver.waitFor(2); // the handshake and the first notification
    expect(notificationsAt('/graph/slow')).toHaveLength(1);
    release();
    await ms.notificationsSettled();
    expect(notificationsAt('/graph/slow').map((n) => n.changeType)).toEqual(['created', 'created']);
  });

  it('renews with PATCH, deletes with 204, and delivers nothing afterwards; unknown ids answer 404 ResourceNotFound', async () => {
    const box = await mailbox();
    const subscription = await subscribe(box, '/graph/renew');
    const id = subscription.id as string;
    const renewed = await box.client
      .api(`/subscriptions/${id}`)
      .patch({ expirationDateTime: inMinutes(4000) });
    expect(renewed).toMatchObject({ id, changeType: 'created,updated,deleted' });
    expect(Date.parse(renewed.expirationDateTime)).toBeGreaterThan(
      Date.parse(subscription.expirationDateTime as string),
    );
    const tooFar = await graphError(
      box.client.api(`/subscriptions/${id}`).patch({ expirationDateTime: inMinutes(5000) }),
    );
    expect(tooFar).toMatchObject({ statusCode: 400, code: 'ExtensionError' });
    const empty = await graphError(box.client.api(`/subscriptions/${id}`).patch({}));
    expect(empty).toMatchObject({
      statusCode: 400,
      message:
        "Subscription must contain either the 'expirationDateTime' or 'notificationUrl' property and its value.",
    });

    ms.state.userCreate(box.email, block(1), box.danwelCalendarId);
    await ms.notificationsSettled();
    expect(notificationsAt('/graph/renew')).toHaveLength(1);

    const raw = (await box.client
      .api(`/subscriptions/${id}`)
      .responseType(ResponseType.RAW)
      .delete()) as Response;
    expect(raw.status).toBe(204);
    ms.state.userCreate(box.email, block(2), box.danwelCalendarId);
    await ms.notificationsSettled();
    expect(notificationsAt('/graph/renew')).toHaveLength(1);

    for (const call of [
      () => box.client.api(`/subscriptions/${id}`).get(),
      () => box.client.api(`/subscriptions/${id}`).patch({ expirationDateTime: inMinutes(60) }),
      () => box.client.api(`/subscriptions/${id}`).delete(),
      () => box.client.api('/subscriptions/00000000-0000-0000-0000-000000000000').get(),
    ]) {
      expect(await graphError(call())).toMatchObject({
        statusCode: 404,
        code: 'ResourceNotFound',
        message: 'The object was not found.',
      });
    }
  });

  it('a PATCH with a new notificationUrl validates it and moves the deliveries there', async () => {
    const box = await mailbox();
    const subscription = await subscribe(box, '/graph/old');
    receiver.respond = (r) =>
      r.path === '/graph/broken' ? { status: 404 } : correctAnswer(r, 202);
    const refused = await graphError(
      box.client
        .api(`/subscriptions/${subscription.id as string}`)
        .patch({ notificationUrl: `${receiver.url}/graph/broken` }),
    );
    expect(refused).toMatchObject({ statusCode: 400, code: 'ValidationError' });
    const moved = await box.client
      .api(`/subscriptions/${subscription.id as string}`)
      .patch({ notificationUrl: `${receiver.url}/graph/new` });
    expect(moved.notificationUrl).toBe(`${receiver.url}/graph/new`);
    ms.state.userCreate(box.email, block(1), box.danwelCalendarId);
    await ms.notificationsSettled();
    expect(notificationsAt('/graph/old')).toEqual([]);
    expect(notificationsAt('/graph/new')).toHaveLength(1);
  });

  it('an expired subscription delivers nothing and is gone', async () => {
    const box = await mailbox();
    const subscription = await subscribe(box, '/graph/expiring', {
      expirationDateTime: inMinutes(2),
    });
    ms.state.userCreate(box.email, block(1), box.danwelCalendarId);
    await ms.notificationsSettled();
    expect(notificationsAt('/graph/expiring')).toHaveLength(1);

    ms.state.advanceTime(3 * 60_000);
    ms.state.userCreate(box.email, block(2), box.danwelCalendarId);
    await ms.notificationsSettled();
    expect(notificationsAt('/graph/expiring')).toHaveLength(1);
    expect(ms.subscriptions().find((s) => s.id === subscription.id)).toMatchObject({
      live: false,
    });
    const gone = await graphError(
      box.client.api(`/subscriptions/${subscription.id as string}`).get(),
    );
    expect(gone).toMatchObject({ statusCode: 404, code: 'ResourceNotFound' });
  });

  it('loses notifications on demand (by count, by rule, at random) and records them as dropped', async () => {
    const box = await mailbox();
    const subscription = await subscribe(box, '/graph/lossy');
    const id = subscription.id as string;
    const event = ms.state.userCreate(box.email, block(1), box.danwelCalendarId);
    await ms.notificationsSettled();

    const one = ms.dropNotifications(1);
    ms.state.userEdit(box.email, event.id as string, { subject: 'Lost' });
    ms.state.userEdit(box.email, event.id as string, { subject: 'Seen' });
    await ms.notificationsSettled();
    expect(one.dropped).toBe(1);
    expect(notificationsAt('/graph/lossy').map((n) => n.changeType)).toEqual([
      'created',
      'updated',
    ]);
    expect(ms.notifications.filter((n) => n.channel === id).map((n) => n.outcome)).toEqual([
      'answered',
      'dropped',
      'answered',
    ]);

    ms.dropNotifications({ match: { channel: id, kind: 'deleted' } });
    ms.state.userDelete(box.email, event.id as string);
    await ms.notificationsSettled();
    expect(notificationsAt('/graph/lossy')).toHaveLength(2);
    ms.clearNotificationDrops();

    const random = ms.dropNotifications({ probability: 0.3, seed: 5 });
    for (let n = 0; n < 20; n++)
      ms.state.userCreate(box.email, block(n % 10), box.danwelCalendarId);
    await ms.notificationsSettled();
    expect(random.dropped).toBeGreaterThan(0);
    expect(notificationsAt('/graph/lossy')).toHaveLength(2 + 20 - random.dropped);
  });

  it('sends lifecycle notifications to the lifecycleNotificationUrl, which is validated too', async () => {
    const box = await mailbox();
    const subscription = await subscribe(box, '/graph/changes', {
      lifecycleNotificationUrl: `${receiver.url}/graph/lifecycle`,
    });
    expect(subscription.lifecycleNotificationUrl).toBe(`${receiver.url}/graph/lifecycle`);
    expect(receiver.received.map((r) => [r.path, r.query.has('validationToken')])).toEqual([
      ['/graph/changes', true],
      ['/graph/lifecycle', true],
    ]);

    ms.lifecycleNotification(subscription.id as string, 'missed');
    ms.lifecycleNotification(subscription.id as string, 'subscriptionRemoved');
    await ms.notificationsSettled();
    expect(notificationsAt('/graph/lifecycle')).toEqual([
      expect.objectContaining({ subscriptionId: subscription.id, lifecycleEvent: 'missed' }),
      expect.objectContaining({
        subscriptionId: subscription.id,
        lifecycleEvent: 'subscriptionRemoved',
        clientState: `state-for-${box.email}`,
        tenantId: ms.state.tenantId,
      }),
    ]);
    const removed = await graphError(
      box.client.api(`/subscriptions/${subscription.id as string}`).get(),
    );
    expect(removed.statusCode).toBe(404);
  });
});

describe('notification URLs (strict https by default)', () => {
  it('refuses an http notificationUrl unless the test allows it; notificationRewrite delivers an https one to the test receiver', async () => {
    const strict = await startMicrosoftEmulator({
      notificationRewrite: (url) => url.replace('https://danwel.test', `${receiver.url}/rewritten`),
    });
    try {
      const trust = await strict.dispatcher();
      strict.addAccount({ email: 'strict@contoso.test' });
      const client = graphClient(
        await accessToken(strict, trust, 'strict@contoso.test'),
        strict,
        trust,
      );
      const body = {
        changeType: 'created',
        resource: 'me/events',
        expirationDateTime: new Date(Date.now() + 3_600_000).toISOString(),
      };
      const refused = await graphError(
        client.api('/subscriptions').post({ ...body, notificationUrl: `${receiver.url}/plain` }),
      );
      expect(refused).toMatchObject({
        statusCode: 400,
        code: 'InvalidRequest',
        message: "NotificationUrl scheme='http' is not supported.",
      });
      expect(receiver.received).toEqual([]);

      const created = await client
        .api('/subscriptions')
        .post({ ...body, notificationUrl: 'https://danwel.test/webhooks/microsoft' });
      expect(created.notificationUrl).toBe('https://danwel.test/webhooks/microsoft');
      expect(receiver.received.map((r) => r.path)).toEqual(['/rewritten/webhooks/microsoft']);
      strict.state.userCreate('strict@contoso.test', block(1));
      await strict.notificationsSettled();
      expect(strict.notifications).toEqual([
        expect.objectContaining({
          kind: 'created',
          address: 'https://danwel.test/webhooks/microsoft',
          url: `${receiver.url}/rewritten/webhooks/microsoft`,
          outcome: 'answered',
        }),
      ]);
    } finally {
      await strict.stop();
    }
  });
});
