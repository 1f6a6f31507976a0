import { Calendar } from '../../src/calendars/calendar.entity';
import { Factory } from '../factories';
import { makeTeam, Team } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import { databaseKind } from '../support/database';
import { auditCount, calendarRow, HOUR_MS, nextPullAt, watchedCalendar } from './support';

/*
 * Google Calendar push notifications (`POST /api/v1/webhooks/google-calendar`): body-less POSTs
 * whose `X-Goog-*` headers name the watch channel and carry its token. An authentic `exists` /
 * `not_exists` makes the calendar due for a pull now; anything else changes nothing, and every
 * refusal looks the same from outside.
 */

const URL = '/api/v1/webhooks/google-calendar';
const SECRET = 'google-channel-secret-7f3a';

describe(`Google Calendar push notifications (${databaseKind()})`, () => {
  let t: TestApp;
  let factory: Factory;
  let team: Team;
  let messageNumber = 1;

  beforeAll(async () => {
    t = await bootApp();
    factory = new Factory(t.dataSource);
    team = await makeTeam(t, factory);
  });
  afterAll(() => t?.close());

  const watched = (channelId: string, expiresAt?: Date) =>
    watchedCalendar(factory, team.organization, { channelId, secret: SECRET, expiresAt });

  /** A notification as Google sends it: no body, no bearer token. */
  const notify = (headers: Record<string, string>) => {
    let call = t.http().post(URL).set('User-Agent', 'APIs-Google');
    for (const [name, value] of Object.entries(headers)) call = call.set(name, value);
    return call;
  };
  const googleHeaders = (calendar: Calendar, state: string, token = SECRET) => ({
    'X-Goog-Channel-ID': calendar.pushChannelId!,
    'X-Goog-Channel-Token': token,
    'X-Goog-Resource-State': state,
    'X-Goog-Resource-ID': calendar.pushResourceId!,
    'X-Goog-Resource-URI': `https://www.googleapis.com/calendar/v3/calendars/${calendar.externalId}/events`,
    'X-Goog-Channel-Expiration': new Date(Date.now() + 5 * 24 * HOUR_MS).toUTCString(),
    'X-Goog-Message-Number': String(++messageNumber),
  });

  it('makes the calendar due at once on "exists" and "not_exists", with an empty 200', async () => {
    for (const state of ['exists', 'not_exists']) {
      const calendar = await watched(`channel-${state}`);
      expect((await nextPullAt(t, calendar.id))!.getTime()).toBeGreaterThan(Date.now());
      const audits = await auditCount(t);

      const response = await notify(googleHeaders(calendar, state)).expect(200);

      expect(response.text).toBe('');
      const due = await nextPullAt(t, calendar.id);
      expect(due).not.toBeNull();
      expect(due!.getTime()).toBeLessThanOrEqual(Date.now());
      expect(due!.getTime()).toBeGreaterThan(Date.now() - 60_000);
      // The channel is kept as it is; no user acted, so nothing is audited.
      expect(await calendarRow(t, calendar.id)).toEqual(
        expect.objectContaining({
          push_channel_id: calendar.pushChannelId,
          push_secret_hash: calendar.pushSecretHash,
        }),
      );
      expect(await auditCount(t)).toBe(audits);
    }
  });

  it('answers the channel’s first message ("sync") with 200 and pulls nothing early', async () => {
    const calendar = await watched('channel-sync');
    const before = await calendarRow(t, calendar.id);

    const response = await notify(googleHeaders(calendar, 'sync')).expect(200);

    expect(response.text).toBe('');
    expect(await calendarRow(t, calendar.id)).toEqual(before);
  });

  it('leaves a calendar that is already due as it is', async () => {
    const calendar = await watched('channel-already-due');
    const earlier = new Date(Math.floor(Date.now() / 1000) * 1000 - 10 * 60_000);
    await t.dataSource.getRepository(Calendar).update(calendar.id, { nextPullAt: earlier });

    await notify(googleHeaders(calendar, 'exists')).expect(200);

    expect(await nextPullAt(t, calendar.id)).toEqual(earlier);
  });

  describe('refusals', () => {
    let calendar: Calendar;
    let before: Record<string, unknown>;

    beforeAll(async () => {
      calendar = await watched('channel-refusals');
    });
    beforeEach(async () => {
      before = await calendarRow(t, calendar.id);
    });

    /** 404, problem+json, nothing that says why; the calendar untouched. */
    const refused = async (headers: Record<string, string>) => {
      const response = await notify(headers).expect(404);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(await calendarRow(t, calendar.id)).toEqual(before);
      return response.body as Record<string, unknown>;
    };

    it('answers a wrong token, an unknown channel and an expired channel with the same bare 404', async () => {
      const expired = await watched('channel-expired', new Date(Date.now() - 60_000));
      const expiredBefore = await calendarRow(t, expired.id);

      const bodies = [
        await refused(googleHeaders(calendar, 'exists', 'not-the-secret')),
        await refused(googleHeaders(calendar, 'exists', `${SECRET}x`)),
        await refused({ ...googleHeaders(calendar, 'exists'), 'X-Goog-Channel-ID': 'no-such' }),
        await refused(googleHeaders(expired, 'exists')),
      ];
      expect(await calendarRow(t, expired.id)).toEqual(expiredBefore);

      for (const body of bodies) expect(body).toEqual(bodies[0]);
      expect(bodies[0]).toEqual({ type: '/problems/not-found', title: 'Not Found', status: 404 });
      expect(JSON.stringify(bodies)).not.toMatch(/token|expired|channel/i);
    });

    it('refuses a notification without a token or without a channel id', async () => {
      const headers = googleHeaders(calendar, 'exists');
      const { 'X-Goog-Channel-Token': _token, ...withoutToken } = headers;
      const { 'X-Goog-Channel-ID': _id, ...withoutChannel } = headers;
      await refused(withoutToken);
      await refused(withoutChannel);
      await refused({ ...headers, 'X-Goog-Channel-Token': '' });
    });

    it('does not take a bearer token instead of the channel token', async () => {
      const { 'X-Goog-Channel-Token': _token, ...headers } = googleHeaders(calendar, 'exists');
      await refused({ ...headers, Authorization: `Bearer ${team.owner.token}` });
    });
  });

  it('is public: no bearer token is needed, and the OpenAPI document says so', async () => {
    const document = (await t.http().get('/docs-json').expect(200)).body as {
      paths: Record<string, Record<string, { security?: unknown[]; parameters?: unknown[] }>>;
    };
    const operation = document.paths[URL].post;
    expect(operation.security ?? []).toEqual([]);
    expect(operation.parameters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'X-Goog-Channel-ID', in: 'header' }),
        expect.objectContaining({ name: 'X-Goog-Channel-Token', in: 'header' }),
      ]),
    );
  });
});
