/**
 * Push notifications of the Google emulator, driven by the real googleapis SDK
 * (`calendar.events.watch`, `calendar.channels.stop`) and received by a plain node:http server on
 * loopback: the Channel answer, the `sync` message, `exists` messages for API and user changes,
 * order and message numbers, stop/expiry, lost notifications and Google's validation.
 */
import { randomUUID } from 'node:crypto';
import { calendar_v3 } from 'googleapis';
import { startWebhookReceiver, WebhookReceiver } from '../common/webhook-receiver';
import { GoogleEmulator, startGoogleEmulator } from './emulator';
import { MAX_CHANNEL_TTL_MS } from './push';
import { calendarApi, connectedClient, failure } from './sdk-helpers';

const ANN = 'ann@example.com';
const BOB = 'bob@example.com';

const eventId = (n: number) => `dnpush${String(n).padStart(6, '0')}`;
const block = (n: number) => ({
  id: eventId(n),
  summary: `Block ${n}`,
  start: { dateTime: `2025-03-03T${String(8 + n).padStart(2, '0')}:00:00Z` },
  end: { dateTime: `2025-03-03T${String(9 + n).padStart(2, '0')}:00:00Z` },
});

describe('Google emulator push notifications with the real googleapis SDK', () => {
  let emulator: GoogleEmulator;
  let receiver: WebhookReceiver;
  let clockOffset: number;
  let ann: calendar_v3.Calendar;

  beforeEach(async () => {
    clockOffset = 0;
    receiver = await startWebhookReceiver();
    emulator = await startGoogleEmulator({
      accounts: [
        { email: ANN, timeZone: 'Europe/Amsterdam', calendars: [{ id: 'work', summary: 'Work' }] },
        { email: BOB },
      ],
      // The receiver is plain http on loopback; Google itself only accepts https addresses.
      allowHttpAddresses: true,
      now: () => Date.now() + clockOffset,
    });
    ann = calendarApi(emulator, connectedClient(emulator, ANN));
  });
  afterEach(async () => {
    await emulator.stop();
    await receiver.stop();
  });

  const hook = (path = '/hooks/google') => `${receiver.url}${path}`;

  async function watch(
    calendar: calendar_v3.Calendar,
    extra: Partial<calendar_v3.Schema$Channel> = {},
    calendarId = 'primary',
  ) {
    const response = await calendar.events.watch({
      calendarId,
      requestBody: { id: randomUUID(), type: 'web_hook', address: hook(), ...extra },
    });
    return response.data;
  }

  const states = () => receiver.received.map((r) => r.headers['x-goog-resource-state']);
  const numbers = () => receiver.received.map((r) => Number(r.headers['x-goog-message-number']));

  it('opens a channel: answers the Channel resource, then POSTs a body-less sync message with the X-Goog headers', async () => {
    const expiration = Date.now() + 3_600_000;
    const response = await ann.events.watch({
      calendarId: 'primary',
      requestBody: {
        id: 'f3a1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
        type: 'web_hook',
        address: hook(),
        token: 'org=1&calendar=7',
        expiration: String(expiration),
      },
    });
    expect(response.status).toBe(200);
    expect(response.data).toEqual({
      kind: 'api#channel',
      id: 'f3a1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
      resourceId: expect.stringMatching(/^[\w-]{10,}$/),
      resourceUri: `${emulator.url}/calendar/v3/calendars/primary/events?alt=json`,
      token: 'org=1&calendar=7',
      expiration: String(expiration),
    });

    const [sync] = await receiver.waitFor(1);
    expect(sync).toMatchObject({ method: 'POST', path: '/hooks/google', body: '' });
    expect(sync.headers).toMatchObject({
      'x-goog-channel-id': 'f3a1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
      'x-goog-channel-token': 'org=1&calendar=7',
      'x-goog-channel-expiration': new Date(expiration).toUTCString(),
      'x-goog-resource-id': response.data.resourceId,
      'x-goog-resource-uri': response.data.resourceUri,
      'x-goog-resource-state': 'sync',
      'x-goog-message-number': '1',
      'content-length': '0',
    });
    expect(sync.headers['x-goog-channel-expiration']).toMatch(
      /^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/,
    );

    await emulator.notificationsSettled();
    expect(emulator.notifications).toEqual([
      expect.objectContaining({
        channel: 'f3a1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
        kind: 'sync',
        address: hook(),
        url: hook(),
        outcome: 'answered',
        status: 200,
      }),
    ]);
    expect(emulator.requests.at(-1)).toMatchObject({ operation: 'events.watch', status: 200 });
  });

  it('defaults the expiration to 7 days, caps a longer one, takes a number, and leaves out an unset token', async () => {
    const before = Date.now();
    const plain = await watch(ann);
    expect(plain.token).toBeUndefined();
    expect(Number(plain.expiration) - before).toBeGreaterThanOrEqual(MAX_CHANNEL_TTL_MS - 1_000);
    expect(Number(plain.expiration) - Date.now()).toBeLessThanOrEqual(MAX_CHANNEL_TTL_MS);

    const far = await watch(ann, { expiration: String(Date.now() + 30 * 24 * 3_600_000) });
    expect(Number(far.expiration) - Date.now()).toBeLessThanOrEqual(MAX_CHANNEL_TTL_MS);
    expect(Number(far.expiration) - before).toBeGreaterThanOrEqual(MAX_CHANNEL_TTL_MS - 1_000);

    // The documented example sends the int64 as a JSON number; the answer carries a string.
    const inTenMinutes = Date.now() + 600_000;
    const numeric = await watch(ann, { expiration: inTenMinutes as unknown as string });
    expect(numeric.expiration).toBe(String(inTenMinutes));

    // Channels on the same calendar share the resourceId.
    expect(new Set([plain.resourceId, far.resourceId, numeric.resourceId]).size).toBe(1);
    const work = await watch(ann, {}, 'work');
    expect(work.resourceId).not.toBe(plain.resourceId);

    await receiver.waitFor(4);
    const noToken = receiver.received.find((r) => r.headers['x-goog-channel-id'] === plain.id)!;
    expect(noToken.headers).not.toHaveProperty('x-goog-channel-token');
  });

  it('sends exists for inserts, patches and deletes by the API and by the user, in order, with increasing message numbers', async () => {
    const channel = await watch(ann, { token: 'tok' });
    await receiver.waitFor(1);

    await ann.events.insert({ calendarId: 'primary', requestBody: block(1) });
    await ann.events.insert({ calendarId: 'primary', requestBody: block(2) });
    await ann.events.patch({
      calendarId: 'primary',
      eventId: eventId(1),
      requestBody: { summary: 'Moved by danwel' },
    });
    emulator.asUser(ANN).patch('primary', eventId(2), { summary: 'Renamed by Ann' });
    emulator.asUser(ANN).delete('primary', eventId(2));
    emulator.asUser(ANN).insert('primary', block(3));
    await ann.events.delete({ calendarId: 'primary', eventId: eventId(1) });
    // Not watched: Ann's other calendar and Bob's calendar.
    emulator.asUser(ANN).insert('work', block(4));
    emulator.asUser(BOB).insert('primary', block(5));

    await emulator.notificationsSettled();
    expect(states()).toEqual(['sync', ...Array(7).fill('exists')]);
    const seen = numbers();
    expect(seen[0]).toBe(1);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1]);
    for (const request of receiver.received) {
      expect(request.headers).toMatchObject({
        'x-goog-channel-id': channel.id,
        'x-goog-channel-token': 'tok',
        'x-goog-resource-id': channel.resourceId,
        'x-goog-resource-uri': channel.resourceUri,
      });
      expect(request.body).toBe('');
    }
    // The message tells that something changed, not what: the product syncs to find out.
    const sync = await ann.events.list({ calendarId: 'primary', showDeleted: true });
    expect(sync.data.items!.map((e) => [e.id, e.status])).toEqual([
      [eventId(1), 'cancelled'],
      [eventId(2), 'cancelled'],
      [eventId(3), 'confirmed'],
    ]);
  });

  it('a move notifies both calendars; every channel on a calendar gets its own messages', async () => {
    const first = await watch(ann);
    const second = await watch(ann, { address: hook('/second') });
    const work = await watch(ann, { address: hook('/work') }, 'work');
    await receiver.waitFor(3);
    emulator.asUser(ANN).insert('primary', block(1));
    emulator.asUser(ANN).move('primary', eventId(1), 'work');
    await emulator.notificationsSettled();

    const byChannel = (id: string) =>
      receiver.received
        .filter((r) => r.headers['x-goog-channel-id'] === id)
        .map((r) => r.headers['x-goog-resource-state']);
    expect(byChannel(first.id!)).toEqual(['sync', 'exists', 'exists']);
    expect(byChannel(second.id!)).toEqual(['sync', 'exists', 'exists']);
    expect(byChannel(work.id!)).toEqual(['sync', 'exists']);
    expect(receiver.received.filter((r) => r.path === '/second')).toHaveLength(3);
  });

  it('delivers asynchronously and one at a time per channel: the API answers while the receiver is still busy', async () => {
    await watch(ann);
    await receiver.waitFor(1);
    let release!: () => void;
    const busy = new Promise<void>((resolve) => (release = resolve));
    receiver.respond = async () => {
      await busy;
      return { status: 200 };
    };

    const created = await ann.events.insert({ calendarId: 'primary', requestBody: block(1) });
    expect(created.status).toBe(200);
    await ann.events.insert({ calendarId: 'primary', requestBody: block(2) });
    await receiver.waitFor(2);
    // The second change waits for the receiver to answer the first.
    expect(receiver.received).toHaveLength(2);
    expect(emulator.notifications.map((n) => n.outcome)).toEqual([
      'answered',
      'pending',
      'pending',
    ]);

    release();
    await emulator.notificationsSettled();
    expect(states()).toEqual(['sync', 'exists', 'exists']);
    expect(emulator.notifications.map((n) => n.outcome)).toEqual([
      'answered',
      'answered',
      'answered',
    ]);
  });

  it('records what the receiver answered, and a receiver that is not there', async () => {
    receiver.respond = () => ({ status: 503 });
    await watch(ann);
    const gone = await startWebhookReceiver();
    const goneUrl = `${gone.url}/hooks`;
    await gone.stop();
    await watch(ann, { address: goneUrl });
    await emulator.notificationsSettled();

    expect(emulator.notifications).toEqual([
      expect.objectContaining({ kind: 'sync', outcome: 'answered', status: 503 }),
      expect.objectContaining({
        kind: 'sync',
        address: goneUrl,
        outcome: 'failed',
        error: expect.stringContaining('ECONNREFUSED'),
      }),
    ]);
    expect(emulator.notifications[1].status).toBeUndefined();
  });

  it('stops a channel with 204: nothing more is delivered; a second stop, a wrong resourceId or another user get 404', async () => {
    const channel = await watch(ann);
    await receiver.waitFor(1);
    const bob = calendarApi(emulator, connectedClient(emulator, BOB));
    const notBobs = await failure(
      bob.channels.stop({ requestBody: { id: channel.id, resourceId: channel.resourceId } }),
    );
    expect(notBobs).toMatchObject({ status: 404, reason: 'notFound' });
    const wrongResource = await failure(
      ann.channels.stop({ requestBody: { id: channel.id, resourceId: 'not-the-resource' } }),
    );
    expect(wrongResource).toMatchObject({ status: 404, reason: 'notFound' });

    const stopped = await ann.channels.stop({
      requestBody: { id: channel.id, resourceId: channel.resourceId },
    });
    expect(stopped.status).toBe(204);
    expect(emulator.requests.at(-1)).toMatchObject({ operation: 'channels.stop', status: 204 });

    await ann.events.insert({ calendarId: 'primary', requestBody: block(1) });
    emulator.asUser(ANN).patch('primary', eventId(1), { summary: 'Changed' });
    await emulator.notificationsSettled();
    expect(states()).toEqual(['sync']);
    expect(emulator.channels()).toEqual([expect.objectContaining({ stopped: true, live: false })]);

    const again = await failure(
      ann.channels.stop({ requestBody: { id: channel.id, resourceId: channel.resourceId } }),
    );
    expect(again).toMatchObject({ status: 404, reason: 'notFound' });
    const unknown = await failure(
      ann.channels.stop({ requestBody: { id: 'never-opened', resourceId: channel.resourceId } }),
    );
    expect(unknown).toMatchObject({ status: 404, reason: 'notFound' });
  });

  it('an expired channel delivers nothing and can no longer be stopped', async () => {
    const channel = await watch(ann, { expiration: String(Date.now() + 60_000) });
    await receiver.waitFor(1);
    emulator.asUser(ANN).insert('primary', block(1));
    await emulator.notificationsSettled();
    expect(states()).toEqual(['sync', 'exists']);

    clockOffset = 61_000; // the emulator's clock passes the expiration
    emulator.asUser(ANN).patch('primary', eventId(1), { summary: 'After expiry' });
    emulator.asUser(ANN).delete('primary', eventId(1));
    await emulator.notificationsSettled();
    expect(states()).toEqual(['sync', 'exists']);
    expect(emulator.channels()).toEqual([expect.objectContaining({ live: false, stopped: false })]);
    const stop = await failure(
      ann.channels.stop({ requestBody: { id: channel.id, resourceId: channel.resourceId } }),
    );
    expect(stop).toMatchObject({ status: 404, reason: 'notFound' });
  });

  it('loses notifications on demand: dropped ones are recorded, use up a message number, and the rest arrive', async () => {
    await watch(ann);
    await receiver.waitFor(1);
    const one = emulator.dropNotifications(1);
    for (let n = 1; n <= 3; n++) emulator.asUser(ANN).insert('primary', block(n));
    await emulator.notificationsSettled();
    expect(one).toMatchObject({ dropped: 1, remaining: 0 });
    expect(states()).toEqual(['sync', 'exists', 'exists']);
    expect(emulator.notifications.map((n) => n.outcome)).toEqual([
      'answered',
      'dropped',
      'answered',
      'answered',
    ]);
    // The receiver cannot tell a gap from Google's normal skipping of numbers.
    const dropped = emulator.notifications[1];
    expect(Number(dropped.headers['X-Goog-Message-Number'])).toBeGreaterThan(1);
    expect(Number(dropped.headers['X-Goog-Message-Number'])).toBeLessThan(numbers()[1]);

    const all = emulator.dropNotifications('all');
    emulator.asUser(ANN).patch('primary', eventId(1), { summary: 'Lost' });
    emulator.asUser(ANN).patch('primary', eventId(2), { summary: 'Lost too' });
    await emulator.notificationsSettled();
    expect(receiver.received).toHaveLength(3);
    expect(all.dropped).toBe(2);
    all.remove();
    emulator.asUser(ANN).patch('primary', eventId(3), { summary: 'Seen' });
    await emulator.notificationsSettled();
    expect(receiver.received).toHaveLength(4);
  });

  it('loses notifications by rule and at random (seeded), e.g. only exists messages after the first', async () => {
    const kept = await watch(ann, { address: hook('/kept') });
    const lossy = await watch(ann, { address: hook('/lossy') });
    await receiver.waitFor(2);
    emulator.dropNotifications({ match: { channel: lossy.id!, kind: 'exists' }, after: 1 });
    for (let n = 1; n <= 3; n++) emulator.asUser(ANN).insert('primary', block(n));
    await emulator.notificationsSettled();
    const paths = receiver.received.map((r) => r.path);
    expect(paths.filter((p) => p === '/kept')).toHaveLength(4);
    expect(paths.filter((p) => p === '/lossy')).toHaveLength(2);
    emulator.clearNotificationDrops();

    const chaos = (seed: number) => {
      const handle = emulator.dropNotifications({
        match: { channel: kept.id! },
        probability: 0.5,
        seed,
      });
      for (let n = 0; n < 20; n++) {
        emulator.asUser(ANN).patch('primary', eventId(1), { summary: `Edit ${n}` });
      }
      handle.remove();
      return handle.dropped;
    };
    const first = chaos(11);
    const second = chaos(11);
    expect(first).toBe(second);
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(20);
    await emulator.notificationsSettled();
    const keptExists = receiver.received.filter(
      (r) => r.path === '/kept' && r.headers['x-goog-resource-state'] === 'exists',
    );
    expect(keptExists).toHaveLength(3 + 40 - 2 * first);
  });

  it('validates like Google: the Channel schema, channel id rules and uniqueness, expiration, calendar access', async () => {
    const unknownField = await failure(
      ann.events.watch({
        calendarId: 'primary',
        requestBody: { id: 'c1', type: 'web_hook', address: hook(), ttl: 60 } as never,
      }),
    );
    expect(unknownField).toMatchObject({ status: 400, reason: 'invalid' });
    expect((unknownField.data as { error: { message: string } }).error.message).toContain(
      'Unknown name "ttl"',
    );

    const badId = await failure(watch(ann, { id: 'not a valid id!' }));
    expect(badId).toMatchObject({ status: 400, reason: 'channelIdInvalid' });
    const longId = await failure(watch(ann, { id: 'x'.repeat(65) }));
    expect(longId).toMatchObject({ status: 400, reason: 'channelIdInvalid' });
    const noAddress = await failure(watch(ann, { address: undefined }));
    expect(noAddress).toMatchObject({ status: 400, reason: 'required' });
    const badType = await failure(watch(ann, { type: 'email' }));
    expect(badType).toMatchObject({ status: 400, reason: 'invalid' });
    const past = await failure(watch(ann, { expiration: String(Date.now() - 1_000) }));
    expect(past).toMatchObject({ status: 400, reason: 'invalid' });

    await watch(ann, { id: 'taken-once' });
    const duplicate = await failure(watch(ann, { id: 'taken-once' }));
    expect(duplicate).toMatchObject({ status: 400, reason: 'channelIdNotUnique' });

    const missing = await failure(watch(ann, {}, 'no-such-calendar'));
    expect(missing).toMatchObject({ status: 404, reason: 'notFound' });
    const bob = calendarApi(emulator, connectedClient(emulator, BOB));
    const othersCalendar = await failure(watch(bob, {}, ANN));
    expect(othersCalendar).toMatchObject({ status: 404, reason: 'notFound' });

    await emulator.notificationsSettled();
    expect(emulator.channels().map((c) => c.id)).toEqual(['taken-once']);
    expect(states()).toEqual(['sync']);
  });
});

describe('Google emulator push addresses (strict https by default)', () => {
  let receiver: WebhookReceiver;
  beforeEach(async () => {
    receiver = await startWebhookReceiver();
  });
  afterEach(() => receiver.stop());

  it('refuses an http address with push.webhookUrlNotHttps unless the test allows it', async () => {
    const emulator = await startGoogleEmulator({ accounts: [{ email: ANN }] });
    try {
      const calendar = calendarApi(emulator, connectedClient(emulator, ANN));
      const address = `${receiver.url}/hooks/google`;
      const refused = await failure(
        calendar.events.watch({
          calendarId: 'primary',
          requestBody: { id: 'c-http', type: 'web_hook', address },
        }),
      );
      expect(refused).toMatchObject({ status: 400, reason: 'push.webhookUrlNotHttps' });
      expect(refused.data).toMatchObject({
        error: { code: 400, message: `WebHook callback must be HTTPS: ${address}` },
      });
      const notAUrl = await failure(
        calendar.events.watch({
          calendarId: 'primary',
          requestBody: { id: 'c-bad', type: 'web_hook', address: 'hooks/google' },
        }),
      );
      expect(notAUrl).toMatchObject({ status: 400, reason: 'push.webhookUrlNoHostOrAddress' });
      expect(emulator.channels()).toEqual([]);
      expect(emulator.notifications).toEqual([]);
    } finally {
      await emulator.stop();
    }
  });

  it('with notificationRewrite, registers the https address and delivers to the test receiver', async () => {
    const emulator = await startGoogleEmulator({
      accounts: [{ email: ANN }],
      notificationRewrite: (address) =>
        address.replace('https://danwel.test', `${receiver.url}/rewritten`),
    });
    try {
      const calendar = calendarApi(emulator, connectedClient(emulator, ANN));
      await calendar.events.watch({
        calendarId: 'primary',
        requestBody: { id: 'c-https', type: 'web_hook', address: 'https://danwel.test/hooks/g' },
      });
      const [sync] = await receiver.waitFor(1);
      expect(sync.path).toBe('/rewritten/hooks/g');
      await emulator.notificationsSettled();
      expect(emulator.notifications[0]).toMatchObject({
        address: 'https://danwel.test/hooks/g',
        url: `${receiver.url}/rewritten/hooks/g`,
        outcome: 'answered',
      });
    } finally {
      await emulator.stop();
    }
  });
});
