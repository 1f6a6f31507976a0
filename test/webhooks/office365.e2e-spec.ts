import { Calendar } from '../../src/calendars/calendar.entity';
import { Factory } from '../factories';
import { makeTeam, Team } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import { databaseKind } from '../support/database';
import { auditCount, calendarRow, nextPullAt, watchedCalendar } from './support';

/*
 * Microsoft Graph change notifications (`POST /api/v1/webhooks/office365`): the subscription
 * handshake (`?validationToken=` echoed as text/plain), then JSON batches of notifications, each
 * naming its subscription and carrying its `clientState`. Authentic ones make their calendar due
 * now; the answer is 202 either way, so it tells a forger nothing.
 */

const URL = '/api/v1/webhooks/office365';

describe(`Microsoft Graph change notifications (${databaseKind()})`, () => {
  let t: TestApp;
  let factory: Factory;
  let team: Team;
  let sequence = 0;

  beforeAll(async () => {
    t = await bootApp();
    factory = new Factory(t.dataSource);
    team = await makeTeam(t, factory);
  });
  afterAll(() => t?.close());

  /** A calendar with a live subscription; its clientState is `state-<id>`. */
  const subscribed = async (expiresAt?: Date) => {
    const id = `3f8b${++sequence}-0c3e-4d1a-9b5e-subscription`;
    const calendar = await watchedCalendar(factory, team.organization, {
      provider: 'office365',
      channelId: id,
      secret: `state-${id}`,
      expiresAt,
    });
    return { calendar, subscriptionId: id, clientState: `state-${id}` };
  };

  /** One notification as Graph sends it (with fields danwel does not read). */
  const notification = (subscriptionId: string, clientState: string) => ({
    subscriptionId,
    subscriptionExpirationDateTime: new Date(Date.now() + 2 * 86_400_000).toISOString(),
    changeType: 'updated',
    resource: "Users/5e3a/Events('AAMkAGI2')",
    resourceData: {
      '@odata.type': '#Microsoft.Graph.Event',
      '@odata.id': "Users/5e3a/Events('AAMkAGI2')",
      id: 'AAMkAGI2',
    },
    clientState,
    tenantId: '84bd8158-6d4d-4958-8b9f-9d6445542f95',
  });
  const post = (body: unknown) =>
    t
      .http()
      .post(URL)
      .set('User-Agent', 'Microsoft-Graph')
      .send(body as object);

  const isDue = async (calendar: Calendar) => {
    const due = await nextPullAt(t, calendar.id);
    return due !== null && due.getTime() <= Date.now() && due.getTime() > Date.now() - 60_000;
  };

  describe('the subscription handshake', () => {
    it('echoes the decoded validationToken as text/plain, at once and with nothing else', async () => {
      const { calendar } = await subscribed();
      const before = await calendarRow(t, calendar.id);
      const token =
        'Validation: Testing client application reachability for subscription Request-Id: 4b7f…';

      const response = await t
        .http()
        .post(`${URL}?validationToken=${encodeURIComponent(token)}`)
        .set('Content-Type', 'text/plain; charset=utf-8')
        .expect(200);

      expect(response.headers['content-type']).toMatch(/^text\/plain/);
      expect(response.text).toBe(token);
      expect(await calendarRow(t, calendar.id)).toEqual(before);
    });

    it('answers a validationToken given twice with 400', async () => {
      const response = await t
        .http()
        .post(`${URL}?validationToken=a&validationToken=b`)
        .expect(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    });
  });

  describe('change notifications', () => {
    it('makes the calendar of an authentic notification due, with an empty 202', async () => {
      const { calendar, subscriptionId, clientState } = await subscribed();
      expect(await isDue(calendar)).toBe(false);
      const audits = await auditCount(t);

      const response = await post({ value: [notification(subscriptionId, clientState)] }).expect(
        202,
      );

      expect(response.text).toBe('');
      expect(await isDue(calendar)).toBe(true);
      expect(await auditCount(t)).toBe(audits);
    });

    it('changes nothing for a wrong clientState, an unknown or an expired subscription, and still answers 202', async () => {
      const wrong = await subscribed();
      const expired = await subscribed(new Date(Date.now() - 60_000));
      const before = [
        await calendarRow(t, wrong.calendar.id),
        await calendarRow(t, expired.calendar.id),
      ];

      for (const body of [
        { value: [notification(wrong.subscriptionId, 'guessed-state')] },
        { value: [{ ...notification(wrong.subscriptionId, ''), clientState: undefined }] },
        { value: [notification('unknown-subscription', wrong.clientState)] },
        { value: [notification(expired.subscriptionId, expired.clientState)] },
        { value: [] },
      ]) {
        const response = await post(body).expect(202);
        expect(response.text).toBe('');
      }

      expect([
        await calendarRow(t, wrong.calendar.id),
        await calendarRow(t, expired.calendar.id),
      ]).toEqual(before);
    });

    it('handles a batch notification by notification', async () => {
      const first = await subscribed();
      const second = await subscribed();
      const forged = await subscribed();
      const forgedBefore = await calendarRow(t, forged.calendar.id);

      await post({
        value: [
          notification(first.subscriptionId, first.clientState),
          notification(forged.subscriptionId, second.clientState),
          notification('unknown-subscription', 'whatever'),
          notification(second.subscriptionId, second.clientState),
          notification(first.subscriptionId, first.clientState),
        ],
      }).expect(202);

      expect(await isDue(first.calendar)).toBe(true);
      expect(await isDue(second.calendar)).toBe(true);
      expect(await calendarRow(t, forged.calendar.id)).toEqual(forgedBefore);
    });
  });

  describe('malformed bodies', () => {
    it('answers 400 problem+json to a body that is not JSON or not Graph’s shape, and changes nothing', async () => {
      const { calendar, subscriptionId, clientState } = await subscribed();
      const before = await calendarRow(t, calendar.id);

      const bad = [
        t.http().post(URL).set('Content-Type', 'application/json').send('{"value": [ {'),
        t.http().post(URL).set('Content-Type', 'text/plain').send('hello'),
        t.http().post(URL),
        post({}),
        post({ value: 'updated' }),
        post({ value: [`${subscriptionId}`] }),
        post({ value: [{ clientState, changeType: 'updated' }] }),
        post({ value: [notification(subscriptionId, clientState), { subscriptionId: 42 }] }),
        post([notification(subscriptionId, clientState)]),
      ];
      for (const call of bad) {
        const response = await call;
        expect({ status: response.status, type: response.headers['content-type'] }).toEqual({
          status: 400,
          type: expect.stringMatching(/^application\/problem\+json/),
        });
        expect(response.body).toEqual(
          expect.objectContaining({ status: 400, title: 'Bad Request' }),
        );
      }
      expect(await calendarRow(t, calendar.id)).toEqual(before);
    });

    it('refuses a body over the API’s size limit with 413, like every route', async () => {
      const { calendar, subscriptionId, clientState } = await subscribed();
      const before = await calendarRow(t, calendar.id);
      const huge = {
        value: [{ ...notification(subscriptionId, clientState), padding: 'x'.repeat(1_100_000) }],
      };

      const response = await post(huge);

      expect(response.status).toBe(413);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(await calendarRow(t, calendar.id)).toEqual(before);
    });
  });

  it('is public: no bearer token is needed, and the OpenAPI document says so', async () => {
    const document = (await t.http().get('/docs-json').expect(200)).body as {
      paths: Record<string, Record<string, { security?: unknown[]; responses?: object }>>;
    };
    const operation = document.paths[URL].post;
    expect(operation.security ?? []).toEqual([]);
    expect(Object.keys(operation.responses ?? {})).toEqual(
      expect.arrayContaining(['200', '202', '400']),
    );
  });
});
