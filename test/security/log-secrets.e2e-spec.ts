import { createLogger } from '../../src/common/logging/logger';
import { Factory } from '../factories';
import { issueFeed } from '../ical/support';
import { makeTeam, Team } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import { CalendarEmulators } from '../support/calendar-accounts';

/*
 * Logs are shipped, kept and read by more people than the database: no credential may reach
 * them. Every line the app writes at the most verbose level is captured while requests carry
 * secrets in the places they really travel (OAuth callback query, feed URL, invitation link,
 * Authorization header), and none of those secrets may appear.
 */
describe('security: no secret in any log line', () => {
  let t: TestApp;
  let team: Team;
  let emulators: CalendarEmulators;
  const lines: string[] = [];
  const logged = () => lines.join('');

  beforeAll(async () => {
    emulators = await CalendarEmulators.start();
    t = await bootApp({
      env: emulators.env(),
      logger: createLogger('trace', 'danwel', { write: (line: string) => lines.push(line) }),
    });
    emulators.trustIn(t);
    team = await makeTeam(t, new Factory(t.dataSource));
  });
  afterAll(async () => {
    await t?.close();
    await emulators?.stop();
  });
  beforeEach(() => {
    lines.length = 0;
  });

  /** Request log lines: method, path, status, duration and request id, nothing else. */
  const requestLines = () =>
    lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((entry) => entry.req !== undefined);

  it('keeps the Authorization header out, and logs what a request log needs', async () => {
    await team.member.get('/api/v1/me').set('X-Request-Id', 'probe-1').expect(200);
    expect(logged()).not.toContain(team.member.token);
    const [entry] = requestLines();
    expect(entry).toMatchObject({
      req: { id: 'probe-1', method: 'GET', url: '/api/v1/me' },
      res: { statusCode: 200 },
    });
    expect(typeof entry.responseTime).toBe('number');
    expect(Object.keys(entry.req as object).sort()).toEqual(['id', 'method', 'url']);
    expect(Object.keys(entry.res as object)).toEqual(['statusCode']);
  });

  it('redacts the code and state of an OAuth callback, successful or replayed', async () => {
    const email = 'logs@example.com';
    emulators.google.addAccount({ email, timeZone: 'Europe/Amsterdam' });
    const started = await team.member
      .post(team.url('/integrations/google_calendar/connect'))
      .expect(200);
    emulators.google.authorize({ email });
    const consent = await fetch(started.body.authorize_url as string, { redirect: 'manual' });
    const back = new URL(consent.headers.get('location')!).searchParams;
    const code = back.get('code')!;
    const state = back.get('state')!;
    expect(code.length).toBeGreaterThan(8);

    const callback = () =>
      t.http().get('/api/v1/integrations/oauth/google_calendar/callback').query({ code, state });
    expect((await callback()).status).toBe(302);
    // Replayed: the state is used up, the failure is logged as a warning.
    expect((await callback()).status).toBe(302);

    const text = logged();
    expect(text).toContain('/oauth/google_calendar/callback?code=[redacted]&state=[redacted]');
    expect(text).not.toContain(code);
    expect(text).not.toContain(state);
    expect(text).not.toContain(encodeURIComponent(code));
  });

  it('redacts the token of a calendar feed URL, known or guessed', async () => {
    const feed = await issueFeed(team.member, team);
    await t.http().get(feed.path).expect(200);
    await t.http().get('/ical/guessed-feed-secret.ics').expect(404);

    const text = logged();
    expect(text).toContain('/ical/[redacted]');
    expect(text).not.toContain(feed.token);
    expect(text).not.toContain('guessed-feed-secret');
  });

  it('redacts invitation tokens, also wrong ones, and tokens in the query', async () => {
    await team.member.post('/api/v1/invitations/inv_wrong-guess-0123456789/accept').expect(404);
    await team.member.post('/api/v1/invitations/not-even-prefixed-guess/accept').expect(404);
    await t.http().get('/api/v1/invitations/another-guess').expect(404);
    await t.http().get(`/api/v1/me?access_token=${team.viewer.token}`).expect(401);

    const text = logged();
    expect(text).toContain('/api/v1/invitations/[redacted]/accept');
    for (const secret of [
      'inv_wrong-guess-0123456789',
      'not-even-prefixed-guess',
      'another-guess',
      team.viewer.token,
      team.member.token,
    ]) {
      expect(text).not.toContain(secret);
    }
  });

  // Last: it breaks the database on purpose, so that a request fails with 500.
  it('redacts the same in the error log of a failed request', async () => {
    const feed = await issueFeed(team.admin, team);
    await t.dataSource.query('DROP TABLE calendar_feeds');
    const failed = await t.http().get(`${feed.path}?token=${feed.token}`);
    expect(failed.status).toBe(500);

    const errors = lines.filter((line) => line.includes('"msg":"request failed"'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('"path":"/ical/[redacted]?token=[redacted]"');
    expect(logged()).not.toContain(feed.token);
  });
});
