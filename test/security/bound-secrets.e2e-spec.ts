import { Integration } from '../../src/integrations/integration.entity';
import { Job } from '../../src/jobs/job.entity';
import { CalendarReconciler } from '../../src/sync/calendar-reconciler';
import { TimeBlock } from '../../src/time-blocks/time-block.entity';
import { Factory } from '../factories';
import { makeTeam, Team } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import { CalendarEmulators, ConnectedAccount, integrationRow } from '../support/calendar-accounts';
import { databaseKind } from '../support/database';
import { makeOutbox } from '../invitations/mailbox';
import { mailsTo } from '../invitations/support';

/*
 * A stored secret decrypts only in the row and column it was written for. Someone who can write
 * one table (a restored backup, an injection) but not read APP_KEY cannot move one account's
 * tokens under another person's connection, nor one mail's token into another job.
 */
describe(`secrets are bound to where they are stored (${databaseKind()})`, () => {
  let t: TestApp;
  let factory: Factory;
  let emulators: CalendarEmulators;
  const outbox = makeOutbox();

  beforeAll(async () => {
    emulators = await CalendarEmulators.start();
    t = await bootApp({ env: { ...emulators.env(), MAIL_OUTBOX_DIR: outbox.dir } });
    emulators.trustIn(t);
    factory = new Factory(t.dataSource);
  });
  afterAll(async () => {
    await t?.close();
    await emulators?.stop();
    outbox.remove();
  });

  async function connected(team: Team): Promise<ConnectedAccount> {
    return emulators.connect(t, team.member, team.url, 'google_calendar');
  }

  it('a victim’s tokens copied into the attacker’s connection write nothing to the victim’s calendar', async () => {
    const victimTeam = await makeTeam(t, factory);
    const attackerTeam = await makeTeam(t, factory);
    const victim = await connected(victimTeam);
    const attacker = await connected(attackerTeam);
    const stolen = await integrationRow(t, victim.integrationId);
    await t.dataSource.manager.update(Integration, attacker.integrationId, {
      accessToken: stolen.accessToken,
      refreshToken: stolen.refreshToken,
    });
    const block = await factory.timeBlock(attackerTeam.organization, attackerTeam.member.user, {
      calendar: attacker.calendars[0],
      calendarSyncStatus: 'pending',
      title: 'Phishing link',
    });

    emulators.clearTraffic();
    await t.app.get(CalendarReconciler).drain();

    // Not one write was attempted with the victim's token.
    expect(emulators.writeTraffic('google_calendar').writes).toBe(0);
    for (const calendar of victim.calendars) expect(emulators.events(victim, calendar)).toEqual([]);
    expect(emulators.events(attacker, attacker.calendars[0])).toEqual([]);
    expect(await t.dataSource.manager.findOneByOrFail(TimeBlock, { id: block.id })).toMatchObject({
      externalCalendarEventId: null,
    });
    // The attacker's connection is unusable and says so; the victim's keeps working.
    const shown = await attackerTeam.member.get(
      attackerTeam.url(`/integrations/${attacker.integrationId}`),
    );
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({ needs_reconnect: true });
    const own = await factory.timeBlock(victimTeam.organization, victimTeam.member.user, {
      calendar: victim.calendars[0],
      calendarSyncStatus: 'pending',
    });
    await t.app.get(CalendarReconciler).drain();
    expect(emulators.events(victim, victim.calendars[0]).map((event) => event.title)).toEqual([
      own.title,
    ]);
  });

  it('a mail job’s token moved into another job is not sent', async () => {
    const team = await makeTeam(t, factory);
    const invite = (email: string) =>
      team.admin.post(team.url('/invitations')).send({ email, role: 'member' });
    expect((await invite('first@example.test')).status).toBe(201);
    expect((await invite('second@example.test')).status).toBe(201);
    const [first, second] = await t.dataSource
      .getRepository(Job)
      .find({ where: { type: 'mail.invitation' }, order: { id: 'ASC' } })
      .then((jobs) => jobs.slice(-2));
    second.payload = { ...second.payload, token: first.payload.token };
    await t.dataSource.manager.save(second);

    await t.worker.drain();

    expect(mailsTo(outbox.dir, 'first@example.test')).toHaveLength(1);
    expect(mailsTo(outbox.dir, 'second@example.test')).toEqual([]);
    const failed = await t.dataSource.manager.findOneByOrFail(Job, { id: second.id });
    expect(failed.failedAt).not.toBeNull();
    expect(failed.lastError).toMatch(/decrypt/);
  });
});
