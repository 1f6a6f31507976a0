import { LoggerService } from '@nestjs/common';
import { createServer, Socket } from 'node:net';
import { Job } from '../../src/jobs/job.entity';
import { Factory } from '../factories';
import { makeTeam } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import {
  closedPort,
  invitationLink,
  makeOutbox,
  readOutbox,
  SmtpServer,
  startSmtpServer,
} from './mailbox';
import {
  DAY_MS,
  expectNear,
  findInvitation,
  inviteAndDeliver,
  mailsTo,
  membershipOf,
  userWithEmail,
} from './support';

/*
 * How the invitation mail travels: through SMTP for real, through the outbox on the embedded
 * setup, and through failures and restarts without losing the invitation or the mail.
 */
describe('invitation mail delivery', () => {
  const apps: TestApp[] = [];
  const cleanups: (() => unknown)[] = [];
  afterAll(async () => {
    for (const app of apps.reverse()) await app.close().catch(() => undefined);
    for (const cleanup of cleanups) await cleanup();
  });

  const boot = async (options: Parameters<typeof bootApp>[0]) => {
    const app = await bootApp(options);
    apps.push(app);
    return app;
  };
  const outbox = () => {
    const box = makeOutbox();
    cleanups.push(box.remove);
    return box.dir;
  };
  const mailJobs = (t: TestApp) =>
    t.dataSource
      .getRepository(Job)
      .find({ where: { type: 'mail.invitation' }, order: { id: 'ASC' } });
  /** Time passes: every job's backoff has elapsed. */
  const makeJobsDue = (t: TestApp) =>
    t.dataSource
      .getRepository(Job)
      .createQueryBuilder()
      .update()
      .set({ availableAt: new Date(Date.now() - 60_000) })
      .execute();

  it('delivers the invitation through SMTP', async () => {
    const smtp: SmtpServer = await startSmtpServer();
    cleanups.push(smtp.close);
    const t = await boot({
      env: {
        MAIL_TRANSPORT: 'smtp',
        MAIL_HOST: '127.0.0.1',
        MAIL_PORT: String(smtp.port),
        MAIL_FROM: 'Danwel Invitations <invitations@danwel.test>',
      },
    });
    const factory = new Factory(t.dataSource);
    const team = await makeTeam(t, factory, { name: 'Harbour Labs' });

    await team.admin
      .post(team.url('/invitations'), { email: 'sam@example.test', role: 'member' })
      .expect(201);
    expect(smtp.received).toHaveLength(0);
    expect(await t.worker.drain()).toBe(1);

    expect(smtp.received).toHaveLength(1);
    const [mail] = smtp.received;
    expect(mail.from).toBe('invitations@danwel.test');
    expect(mail.to).toEqual(['sam@example.test']);
    expect(mail.headers.to).toBe('sam@example.test');
    expect(mail.headers.subject).toContain('Harbour Labs');
    expect(smtp.commands.map((command) => command.split(/[ :]/)[0].toUpperCase())).toEqual(
      expect.arrayContaining(['EHLO', 'MAIL', 'RCPT', 'DATA']),
    );
    expect(await t.dataSource.getRepository(Job).count()).toBe(0);

    const link = invitationLink(mail);
    expect(mail.html).toContain(`href="${link.url}"`);
    const page = await t.http().get(link.preview).expect(200);
    expect(page.body).toMatchObject({ organization: { name: 'Harbour Labs' }, role: 'member' });
    const sam = await userWithEmail(t, factory, 'sam@example.test');
    await sam.post(`/api/v1/invitations/${link.token}/accept`).expect(200);
    expect((await membershipOf(t, team.organization.id, sam.user.id))?.role).toBe('member');
  });

  it('never fails the request when mail cannot go out, and a restart loses nothing', async () => {
    const t = await boot({
      env: {
        MAIL_TRANSPORT: 'smtp',
        MAIL_HOST: '127.0.0.1',
        MAIL_PORT: String(await closedPort()),
      },
    });
    const { database } = t;
    cleanups.push(() => database.drop()); // should the restart fail before taking it over
    const factory = new Factory(t.dataSource);
    const team = await makeTeam(t, factory, { name: 'Lighthouse' });

    // The SMTP server is down: inviting and resending still succeed.
    const created = await team.admin
      .post(team.url('/invitations'), { email: 'kim@example.test', role: 'viewer' })
      .expect(201);
    const id: number = created.body.id;
    const listed = await team.admin.get(team.url('/invitations')).expect(200);
    expect(listed.body.data.map((row: { id: number }) => row.id)).toEqual([id]);

    const attemptedAt = Date.now();
    expect(await t.worker.runOnce()).toBe(1);
    const finishedAt = Date.now();
    const [failed] = await mailJobs(t);
    expect(failed).toMatchObject({
      attempts: 1,
      failedAt: null,
      reservedBy: null,
      reservedUntil: null,
    });
    expect(failed.lastError).toMatch(/ECONNREFUSED/);
    // Scheduled again within the first backoff window (full jitter: 1–5 s after the failure),
    // so strictly later than the attempt (timestamps are whole seconds).
    expect(failed.availableAt.getTime()).toBeGreaterThan(Math.floor(attemptedAt / 1000) * 1000);
    expect(failed.availableAt.getTime()).toBeLessThanOrEqual(finishedAt + 5_000 + 1_000);

    // It keeps retrying while the server stays down, without giving up early.
    await makeJobsDue(t);
    expect(await t.worker.runOnce()).toBe(1);
    const [retried] = await mailJobs(t);
    expect(retried).toMatchObject({ id: failed.id, attempts: 2, failedAt: null });
    expect(retried.maxAttempts).toBeGreaterThan(2);

    // The invitation itself was committed and stays valid.
    expect((await findInvitation(t, id)).acceptedAt).toBeNull();

    // The process stops; a new one starts on the same database, now with a working transport.
    await t.close({ keepDatabase: true });
    apps.pop();
    const box = outbox();
    const restarted = await boot({ database, env: { MAIL_OUTBOX_DIR: box } });
    const [waiting] = await mailJobs(restarted);
    expect(waiting).toMatchObject({ id: failed.id, attempts: 2, failedAt: null });

    await makeJobsDue(restarted);
    expect(await restarted.worker.drain()).toBe(1);
    expect(await restarted.dataSource.getRepository(Job).count()).toBe(0);
    const mails = mailsTo(box, 'kim@example.test');
    expect(mails).toHaveLength(1);

    const { token, preview } = invitationLink(mails[0]);
    const page = await restarted.http().get(preview).expect(200);
    expect(page.body).toMatchObject({ organization: { name: 'Lighthouse' }, role: 'viewer' });
    const kim = await userWithEmail(
      restarted,
      new Factory(restarted.dataSource),
      'kim@example.test',
    );
    await kim.post(`/api/v1/invitations/${token}/accept`).expect(200);
    expect((await membershipOf(restarted, team.organization.id, kim.user.id))?.role).toBe('viewer');
  });

  it('answers a resend at once even while the SMTP server is down', async () => {
    const t = await boot({
      env: {
        MAIL_TRANSPORT: 'smtp',
        MAIL_HOST: '127.0.0.1',
        MAIL_PORT: String(await closedPort()),
      },
    });
    const team = await makeTeam(t, new Factory(t.dataSource));
    const created = await team.admin
      .post(team.url('/invitations'), { email: 'lee@example.test' })
      .expect(201);
    await t.worker.drain();
    await team.admin.post(team.url(`/invitations/${created.body.id}/resend`)).expect(200);
    await t.worker.runOnce();
    const jobs = await mailJobs(t);
    expect(jobs).toHaveLength(2);
    for (const job of jobs) {
      expect(job.lastError).toMatch(/ECONNREFUSED/);
      expect(job.failedAt).toBeNull();
    }
  });

  it('gives up on a stalled SMTP server within the worker lease, so the mail is not sent twice', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket)); // accepts, never greets
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          silent.close(() => resolve());
        }),
    );
    const port = (silent.address() as { port: number }).port;
    const t = await boot({
      env: {
        MAIL_TRANSPORT: 'smtp',
        MAIL_HOST: '127.0.0.1',
        MAIL_PORT: String(port),
        WORKER_LEASE_SECONDS: '5',
      },
    });
    const team = await makeTeam(t, new Factory(t.dataSource));
    await team.admin.post(team.url('/invitations'), { email: 'ray@example.test' }).expect(201);

    const started = Date.now();
    expect(await t.worker.runOnce()).toBe(1);
    expect(Date.now() - started).toBeLessThan(5_000);
    const [job] = await mailJobs(t);
    expect(job.lastError).toMatch(/Greeting never received|timeout/i);
    expect(job).toMatchObject({ attempts: 1, reservedBy: null, failedAt: null });
  });

  it('writes the mail, link included, to the outbox and the log on the embedded setup', async () => {
    const box = outbox();
    const t = await boot({ env: { MAIL_OUTBOX_DIR: box } });
    const entries: { message: unknown; context?: string }[] = [];
    const capture: LoggerService = {
      log: (message, context) => entries.push({ message, context }),
      error: () => undefined,
      warn: () => undefined,
    };
    t.app.useLogger(capture);
    const team = await makeTeam(t, new Factory(t.dataSource), { name: 'Quiet Co' });
    const invitation = await inviteAndDeliver(t, box, team, 'noa@example.test');

    const [mail] = readOutbox(box);
    expect(mail.file).toMatch(/\.eml$/);
    const logged = entries
      .filter((entry) => entry.context === 'MailService')
      .map((entry) => entry.message as Record<string, string>);
    expect(logged).toEqual([
      expect.objectContaining({
        msg: 'mail written to the outbox',
        to: 'noa@example.test',
        file: expect.stringContaining(mail.file),
        text: expect.stringContaining(`/invitations/${invitation.token}`),
      }),
    ]);
  });

  it('makes invitations last INVITATION_TTL_DAYS', async () => {
    const box = outbox();
    const t = await boot({ env: { MAIL_OUTBOX_DIR: box, INVITATION_TTL_DAYS: '3' } });
    const team = await makeTeam(t, new Factory(t.dataSource));

    const invitation = await inviteAndDeliver(t, box, team, 'short@example.test');
    expectNear(invitation.body.expires_at as string, Date.now() + 3 * DAY_MS);
    expectNear((await findInvitation(t, invitation.id)).expiresAt, Date.now() + 3 * DAY_MS);
    const page = await t.http().get(invitation.preview).expect(200);
    expect(page.body.expires_at).toBe(invitation.body.expires_at);
    expect(mailsTo(box, 'short@example.test')[0].text).toContain(
      new Date(invitation.body.expires_at as string).toUTCString(),
    );

    const resent = await team.admin
      .post(team.url(`/invitations/${invitation.id}/resend`))
      .expect(200);
    expectNear(resent.body.expires_at, Date.now() + 3 * DAY_MS);
  });
});
