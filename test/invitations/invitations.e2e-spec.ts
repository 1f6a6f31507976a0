import { Invitation } from '../../src/invitations/invitation.entity';
import { Job } from '../../src/jobs/job.entity';
import { Factory } from '../factories';
import { Actor, actingAs, makeTeam, Team } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import { invitationLink, makeOutbox } from './mailbox';
import {
  DAY_MS,
  expectNear,
  expire,
  findInvitation,
  invitationAudit,
  inviteAndDeliver,
  mailsTo,
  membershipOf,
  sha256,
  snapshot,
  userWithEmail,
} from './support';
import { readSecret } from '../support/secrets';

/*
 * Invitations as an admin and an invitee live them: invite, receive the mail (an .eml in the log
 * transport's outbox), open the link, accept; and every way a link can stop working.
 */
describe('invitations', () => {
  const outbox = makeOutbox();
  let t: TestApp;
  let factory: Factory;
  let team: Team;
  let email = 0;
  /** A fresh invitee address per test, so tests never see each other's mail or rows. */
  const nextEmail = (name = 'invitee') => `${name}${++email}@example.test`;

  beforeAll(async () => {
    t = await bootApp({ env: { MAIL_OUTBOX_DIR: outbox.dir } });
    factory = new Factory(t.dataSource);
    team = await makeTeam(t, factory, { name: 'Acme & Co' });
  });
  afterAll(async () => {
    await t?.close();
    outbox.remove();
  });
  // Whatever a test enqueued is delivered before the next one starts.
  afterEach(() => t.worker.drain());

  const deliver = (address: string, options: { role?: string; inviter?: Actor } = {}) =>
    inviteAndDeliver(t, outbox.dir, team, address, options);
  const invitationCount = async (address: string) =>
    t.dataSource.getRepository(Invitation).countBy({ email: address });

  describe('sending', () => {
    it('stores the invitation, answers 201 at once and mails a link that opens the invitation', async () => {
      const address = nextEmail('grace');
      const response = await team.admin
        .post(team.url('/invitations'), { email: address, role: 'admin' })
        .expect(201);

      expect(response.body).toEqual({
        id: expect.any(Number),
        email: address,
        role: 'admin',
        status: 'pending',
        invited_by: team.admin.user.id,
        expires_at: expect.any(String),
        accepted_at: null,
        revoked_at: null,
        created_at: expect.any(String),
      });
      expectNear(response.body.expires_at, Date.now() + 7 * DAY_MS);

      // The request does not send mail itself: a job, committed with the invitation, will.
      expect(mailsTo(outbox.dir, address)).toHaveLength(0);
      const jobs = await t.dataSource.getRepository(Job).findBy({ type: 'mail.invitation' });
      expect(jobs).toHaveLength(1);
      expect(jobs[0].organizationId).toBe(team.organization.id);

      expect(await invitationAudit(t, response.body.id)).toEqual([
        {
          action: 'invitation.sent',
          userId: team.admin.user.id,
          organizationId: team.organization.id,
        },
      ]);

      expect(await t.worker.drain()).toBe(1);
      expect(await t.dataSource.getRepository(Job).count()).toBe(0);

      const mails = mailsTo(outbox.dir, address);
      expect(mails).toHaveLength(1);
      const [mail] = mails;
      expect(mail.headers.to).toBe(address);
      expect(mail.headers.from).toBe('danwel <no-reply@localhost>');
      expect(mail.headers.subject).toContain('Acme & Co');
      expect(mail.text).toContain(`${team.admin.user.name} invited you to join Acme & Co`);
      expect(mail.text).toContain('as admin');
      expect(mail.html).toContain('<strong>Acme &amp; Co</strong>');

      const link = invitationLink(mail);
      expect(link.url).toBe(`http://localhost:3000/invitations/${link.token}`);
      expect(mail.html).toContain(`href="${link.url}"`);

      // 32 random bytes behind a recognisable prefix.
      expect(link.token).toMatch(/^inv_[A-Za-z0-9_-]{43,}$/);
      expect(
        Buffer.from(link.token.slice('inv_'.length), 'base64url').length,
      ).toBeGreaterThanOrEqual(32);

      // Opening the link, as a person who is not signed in.
      const page = await t.http().get(link.preview).expect(200);
      expect(page.body).toEqual({
        organization: { name: 'Acme & Co' },
        email: address,
        role: 'admin',
        expires_at: response.body.expires_at,
      });
    });

    it('gives every invitation its own token', async () => {
      const first = await deliver(nextEmail());
      const second = await deliver(nextEmail());
      expect(first.token).not.toBe(second.token);
      expect((await findInvitation(t, first.id)).token).toBe(sha256(first.token));
      expect((await findInvitation(t, second.id)).token).toBe(sha256(second.token));
    });

    it('lets the owner invite too, as member by default or as viewer', async () => {
      const asMember = nextEmail();
      const byDefault = await team.owner
        .post(team.url('/invitations'), { email: asMember })
        .expect(201);
      expect(byDefault.body).toMatchObject({
        role: 'member',
        invited_by: team.owner.user.id,
      });
      const viewer = await team.owner
        .post(team.url('/invitations'), { email: nextEmail(), role: 'viewer' })
        .expect(201);
      expect(viewer.body.role).toBe('viewer');
      await t.worker.drain();
      expect(mailsTo(outbox.dir, asMember)[0].text).toContain(
        `${team.owner.user.name} invited you`,
      );
    });

    it('never hands out the token: not in any response, and stored only as its SHA-256', async () => {
      const address = nextEmail('secret');
      const responses: string[] = [];
      const keep = <T extends { text: string }>(response: T) => {
        responses.push(response.text);
        return response;
      };

      const created = keep(
        await team.admin.post(team.url('/invitations'), { email: address }).expect(201),
      );
      const id: number = created.body.id;

      // The job that will send the mail carries the token encrypted, not in the clear.
      const [job] = await t.dataSource.getRepository(Job).findBy({ type: 'mail.invitation' });
      await t.worker.drain();
      const first = invitationLink(mailsTo(outbox.dir, address)[0]).token;
      const payloadText = JSON.stringify(job.payload);
      expect(payloadText).not.toContain(first);
      expect(job.payload).toEqual({ invitation_id: id, token: expect.stringMatching(/^v2:/) });
      expect(readSecret(t, 'jobs.payload.token', job.id, job.payload.token as string)).toBe(first);

      keep(await team.admin.post(team.url(`/invitations/${id}/resend`)).expect(200));
      await t.worker.drain();
      const second = invitationLink(mailsTo(outbox.dir, address)[1]).token;

      keep(await team.admin.get(team.url('/invitations')).expect(200));
      keep(await t.http().get(`/api/v1/invitations/${second}`).expect(200));
      keep(await team.admin.get(team.url('/audit-logs')).expect(200));
      const invitee = await userWithEmail(t, factory, address);
      keep(await invitee.post(`/api/v1/invitations/${second}/accept`).expect(200));
      keep(await invitee.get('/api/v1/me').expect(200));
      keep(await team.admin.get(team.url('/members')).expect(200));

      for (const text of responses) {
        expect(text).not.toContain(first);
        expect(text).not.toContain(second);
        expect(text).not.toContain(sha256(first));
        expect(text).not.toContain(sha256(second));
      }

      // No table holds either token in the clear; the invitation holds the current one's digest.
      expect((await findInvitation(t, id)).token).toBe(sha256(second));
      for (const { tableName } of t.dataSource.entityMetadatas) {
        const dump = JSON.stringify(await t.dataSource.query(`SELECT * FROM ${tableName}`));
        expect({ tableName, leaks: dump.includes(first) || dump.includes(second) }).toEqual({
          tableName,
          leaks: false,
        });
      }
    });
  });

  describe('who may manage invitations', () => {
    it('answers 403 to members and viewers, 404 to outsiders and 401 to anonymous callers', async () => {
      const pending = await deliver(nextEmail());
      const address = nextEmail('refused');
      const outsider = await actingAs(t, await factory.user());
      await factory.organization({ owner: outsider.user });

      for (const actor of [team.member, team.viewer]) {
        await actor.post(team.url('/invitations'), { email: address, role: 'viewer' }).expect(403);
        await actor.get(team.url('/invitations')).expect(403);
        await actor.delete(team.url(`/invitations/${pending.id}`)).expect(403);
        await actor.post(team.url(`/invitations/${pending.id}/resend`)).expect(403);
      }
      await outsider.post(team.url('/invitations'), { email: address }).expect(404);
      await outsider.get(team.url('/invitations')).expect(404);
      await outsider.delete(team.url(`/invitations/${pending.id}`)).expect(404);
      await outsider.post(team.url(`/invitations/${pending.id}/resend`)).expect(404);
      await t.http().post(team.url('/invitations')).send({ email: address }).expect(401);
      await t.http().get(team.url('/invitations')).expect(401);

      expect(await invitationCount(address)).toBe(0);
      const invitation = await findInvitation(t, pending.id);
      expect(invitation.revokedAt).toBeNull();
      expect(invitation.token).toBe(sha256(pending.token));
    });

    it('rejects the owner role and malformed input with 422, writing nothing', async () => {
      const address = nextEmail('invalid');
      const before = await snapshot(t, (await deliver(nextEmail())).id);

      const owner = await team.admin
        .post(team.url('/invitations'), { email: address, role: 'owner' })
        .expect(422);
      expect(owner.body.errors).toHaveProperty('role');
      expect(owner.body.errors).not.toHaveProperty('email');
      // Owners cannot invite owners either: ownership is transferred, not invited.
      await team.owner
        .post(team.url('/invitations'), { email: address, role: 'owner' })
        .expect(422);
      await team.admin
        .post(team.url('/invitations'), { email: address, role: 'superuser' })
        .expect(422);
      const badEmail = await team.admin
        .post(team.url('/invitations'), { email: 'not-an-email', role: 'member' })
        .expect(422);
      expect(badEmail.body.errors).toHaveProperty('email');
      await team.admin.post(team.url('/invitations'), { role: 'member' }).expect(422);
      await team.admin
        .post(team.url('/invitations'), { email: address, role: 'member', token: 'mine' })
        .expect(422);

      expect(await invitationCount(address)).toBe(0);
      const after = await snapshot(t, before.invitation.id);
      expect(after.auditLogs).toBe(before.auditLogs);
      expect(after.jobs).toBe(before.jobs);
    });
  });

  describe('conflicts', () => {
    it('answers 409 for an existing member, in any letter case, and writes nothing', async () => {
      const before = await snapshot(t, (await deliver(nextEmail())).id);
      for (const address of [
        team.member.user.email,
        team.viewer.user.email.toUpperCase(),
        team.owner.user.email,
        ` ${team.admin.user.email} `,
      ]) {
        const response = await team.admin
          .post(team.url('/invitations'), { email: address, role: 'member' })
          .expect(409);
        expect(response.body.detail).toMatch(/already a member/);
      }
      const after = await snapshot(t, before.invitation.id);
      expect(after).toEqual(before);
      expect(await invitationCount(team.member.user.email)).toBe(0);
    });

    it('answers 409 while an invitation for the email is pending, in any letter case', async () => {
      const address = nextEmail('twice');
      const first = await deliver(address);
      const before = await snapshot(t, first.id);

      for (const again of [address, address.toUpperCase()]) {
        const response = await team.owner
          .post(team.url('/invitations'), { email: again, role: 'viewer' })
          .expect(409);
        expect(response.body.detail).toMatch(/pending invitation/);
      }
      expect(await snapshot(t, first.id)).toEqual(before);
      expect(await invitationCount(address)).toBe(1);
    });

    it('lets only one of two simultaneous invitations for the same email through', async () => {
      const address = nextEmail('race');
      const responses = await Promise.all([
        team.admin.post(team.url('/invitations'), { email: address, role: 'member' }),
        team.owner.post(team.url('/invitations'), { email: address, role: 'viewer' }),
      ]);
      expect(responses.map((response) => response.status).sort()).toEqual([201, 409]);
      expect(await invitationCount(address)).toBe(1);
      await t.worker.drain();
      expect(mailsTo(outbox.dir, address)).toHaveLength(1);
    });

    it('allows inviting the email again once its invitation was revoked or has expired', async () => {
      const revoked = await deliver(nextEmail());
      await team.admin.delete(team.url(`/invitations/${revoked.id}`)).expect(204);
      await team.admin
        .post(team.url('/invitations'), { email: revoked.body.email, role: 'member' })
        .expect(201);

      const expired = await deliver(nextEmail());
      await expire(t, expired.id);
      await team.admin
        .post(team.url('/invitations'), { email: expired.body.email, role: 'member' })
        .expect(201);
    });

    it('keeps organizations apart: the same email can be pending in two organizations', async () => {
      const address = nextEmail('shared');
      const other = await makeTeam(t, factory);
      await deliver(address);
      await other.admin.post(other.url('/invitations'), { email: address }).expect(201);
      expect(await invitationCount(address)).toBe(2);
    });
  });

  describe('listing', () => {
    it('lists only the pending invitations of the organization, without tokens', async () => {
      const own = await makeTeam(t, factory, { name: 'Listing Ltd' });
      const deliverHere = (address: string) => inviteAndDeliver(t, outbox.dir, own, address);
      const pendingA = await deliverHere(nextEmail('pending'));
      const accepted = await deliverHere(nextEmail('accepted'));
      const revoked = await deliverHere(nextEmail('revoked'));
      const expired = await deliverHere(nextEmail('expired'));
      const pendingB = await deliverHere(nextEmail('pending'));
      // Someone else's pending invitation (the shared team's) must not show up.
      await deliver(nextEmail('elsewhere'));

      const invitee = await userWithEmail(t, factory, accepted.body.email as string);
      await invitee.post(`/api/v1/invitations/${accepted.token}/accept`).expect(200);
      await own.admin.delete(own.url(`/invitations/${revoked.id}`)).expect(204);
      await expire(t, expired.id);

      const list = await own.admin.get(own.url('/invitations')).expect(200);
      expect(list.body.next_cursor).toBeNull();
      expect(list.body.data.map((row: { id: number }) => row.id)).toEqual([
        pendingA.id,
        pendingB.id,
      ]);
      for (const row of list.body.data) {
        expect(Object.keys(row).sort()).toEqual(
          [
            'accepted_at',
            'created_at',
            'email',
            'expires_at',
            'id',
            'invited_by',
            'revoked_at',
            'role',
            'status',
          ].sort(),
        );
        expect(row.status).toBe('pending');
      }

      // Pages through with the cursor.
      const first = await own.admin.get(own.url('/invitations?limit=1')).expect(200);
      expect(first.body.data.map((row: { id: number }) => row.id)).toEqual([pendingA.id]);
      const second = await own.admin
        .get(own.url(`/invitations?limit=1&cursor=${first.body.next_cursor}`))
        .expect(200);
      expect(second.body.data.map((row: { id: number }) => row.id)).toEqual([pendingB.id]);
      expect(second.body.next_cursor).toBeNull();
    });
  });

  describe('accepting', () => {
    it('joins the invited user with the role, sets accepted_at and joined_at, and audits it', async () => {
      const address = nextEmail('ada');
      const invitation = await deliver(address, { role: 'viewer' });
      const ada = await userWithEmail(t, factory, address);

      const response = await ada.post(`/api/v1/invitations/${invitation.token}/accept`).expect(200);
      expect(response.body).toEqual({
        organization_id: team.organization.id,
        role: 'viewer',
        joined_at: expect.any(String),
      });
      expectNear(response.body.joined_at, Date.now());

      const membership = await membershipOf(t, team.organization.id, ada.user.id);
      expect(membership).toMatchObject({ role: 'viewer' });
      expectNear(membership!.joinedAt, Date.now());
      expect(membership!.joinedAt!.toISOString()).toBe(response.body.joined_at);
      const stored = await findInvitation(t, invitation.id);
      expectNear(stored.acceptedAt, Date.now());
      expect(membership!.invitedAt).toEqual(stored.createdAt);

      expect(await invitationAudit(t, invitation.id)).toEqual([
        {
          action: 'invitation.sent',
          userId: team.admin.user.id,
          organizationId: team.organization.id,
        },
        {
          action: 'invitation.accepted',
          userId: ada.user.id,
          organizationId: team.organization.id,
        },
      ]);
      const joined: { action: string; user_id: unknown }[] = await t.dataSource.query(
        "SELECT action, user_id FROM audit_logs WHERE organization_id = ? AND auditable_type = 'user' AND auditable_id = ?",
        [team.organization.id, ada.user.id],
      );
      expect(joined.map((row) => [row.action, Number(row.user_id)])).toEqual([
        ['member.joined', ada.user.id],
      ]);

      // Ada now sees the organization, and it sees her, with the role she was invited to.
      const me = await ada.get('/api/v1/me').expect(200);
      expect(me.body.memberships).toEqual([
        expect.objectContaining({
          organization: expect.objectContaining({ id: team.organization.id, name: 'Acme & Co' }),
          role: 'viewer',
        }),
      ]);
      await ada.get(team.url('/members')).expect(200);
      await ada.post(team.url('/invitations'), { email: nextEmail() }).expect(403);
    });

    it('accepts the link for the address whatever its letter case', async () => {
      const address = nextEmail('Case');
      const invitation = await deliver(address.toUpperCase());
      expect(invitation.body.email).toBe(address.toLowerCase());
      const invitee = await userWithEmail(t, factory, address.toLowerCase());
      await invitee.post(`/api/v1/invitations/${invitation.token}/accept`).expect(200);
    });

    it('refuses another signed-in user with 403 and changes nothing; the invitee still can', async () => {
      const address = nextEmail('right');
      const invitation = await deliver(address, { role: 'admin' });
      const before = await snapshot(t, invitation.id);

      const stranger = await actingAs(t, await factory.user());
      const response = await stranger
        .post(`/api/v1/invitations/${invitation.token}/accept`)
        .expect(403);
      expect(response.body.detail).toMatch(/different email address/);
      // Not even a member of the organization can take someone else's invitation.
      await team.member.post(`/api/v1/invitations/${invitation.token}/accept`).expect(403);

      const after = await snapshot(t, invitation.id);
      expect(after).toEqual({ ...before, users: before.users + 1 });
      expect(await membershipOf(t, team.organization.id, stranger.user.id)).toBeNull();
      expect((await membershipOf(t, team.organization.id, team.member.user.id))?.role).toBe(
        'member',
      );
      await t.http().get(`/api/v1/invitations/${invitation.token}`).expect(200);

      const invitee = await userWithEmail(t, factory, address);
      await invitee.post(`/api/v1/invitations/${invitation.token}/accept`).expect(200);
    });

    it('answers 410 to a link that was already used, and changes nothing', async () => {
      const address = nextEmail('once');
      const invitation = await deliver(address);
      const invitee = await userWithEmail(t, factory, address);
      await invitee.post(`/api/v1/invitations/${invitation.token}/accept`).expect(200);
      const before = await snapshot(t, invitation.id);

      const again = await invitee
        .post(`/api/v1/invitations/${invitation.token}/accept`)
        .expect(410);
      expect(again.body).toMatchObject({
        status: 410,
        detail: expect.stringMatching(/already been used/),
      });
      const page = await t.http().get(`/api/v1/invitations/${invitation.token}`).expect(410);
      expect(page.body.detail).toMatch(/already been used/);
      const stranger = await actingAs(t, await factory.user());
      await stranger.post(`/api/v1/invitations/${invitation.token}/accept`).expect(410);

      expect(await snapshot(t, invitation.id)).toEqual({ ...before, users: before.users + 1 });
    });

    it('lets exactly one of two simultaneous accepts through', async () => {
      const address = nextEmail('double-click');
      const invitation = await deliver(address);
      const invitee = await userWithEmail(t, factory, address);
      const responses = await Promise.all([
        invitee.post(`/api/v1/invitations/${invitation.token}/accept`),
        invitee.post(`/api/v1/invitations/${invitation.token}/accept`),
      ]);
      expect(responses.map((response) => response.status).sort()).toEqual([200, 410]);
      const rows = await t.dataSource.query(
        'SELECT COUNT(*) AS n FROM organization_user WHERE organization_id = ? AND user_id = ?',
        [team.organization.id, invitee.user.id],
      );
      expect(Number(rows[0].n)).toBe(1);
      expect(
        (await invitationAudit(t, invitation.id)).filter(
          (row) => row.action === 'invitation.accepted',
        ),
      ).toHaveLength(1);
    });

    it('settles an accept and a revoke at the same moment one way or the other, never both', async () => {
      for (let round = 0; round < 5; round++) {
        const address = nextEmail('contested');
        const invitation = await deliver(address);
        const invitee = await userWithEmail(t, factory, address);
        const [accept, revoke] = await Promise.all([
          invitee.post(`/api/v1/invitations/${invitation.token}/accept`),
          team.admin.delete(team.url(`/invitations/${invitation.id}`)),
        ]);
        const stored = await findInvitation(t, invitation.id);
        const member = await membershipOf(t, team.organization.id, invitee.user.id);
        if (accept.status === 200) {
          expect(revoke.status).toBe(409);
          expect(stored).toMatchObject({ revokedAt: null, acceptedAt: expect.any(Date) });
          expect(member?.role).toBe('member');
        } else {
          expect([accept.status, revoke.status]).toEqual([410, 204]);
          expect(stored).toMatchObject({ revokedAt: expect.any(Date), acceptedAt: null });
          expect(member).toBeNull();
        }
        expect((await invitationAudit(t, invitation.id)).map((row) => row.action)).toEqual(
          accept.status === 200
            ? ['invitation.sent', 'invitation.accepted']
            : ['invitation.sent', 'invitation.revoked'],
        );
      }
    });

    it('answers 410 to a revoked link, and changes nothing', async () => {
      const address = nextEmail('revoked');
      const invitation = await deliver(address);
      await team.admin.delete(team.url(`/invitations/${invitation.id}`)).expect(204);
      const before = await snapshot(t, invitation.id);
      const invitee = await userWithEmail(t, factory, address);

      const page = await t.http().get(`/api/v1/invitations/${invitation.token}`).expect(410);
      expect(page.body.detail).toMatch(/revoked/);
      const accept = await invitee
        .post(`/api/v1/invitations/${invitation.token}/accept`)
        .expect(410);
      expect(accept.body.detail).toMatch(/revoked/);

      expect(await snapshot(t, invitation.id)).toEqual({ ...before, users: before.users + 1 });
      expect(await membershipOf(t, team.organization.id, invitee.user.id)).toBeNull();
    });

    it('answers 410 to an expired link, and changes nothing', async () => {
      const address = nextEmail('late');
      const invitation = await deliver(address);
      await expire(t, invitation.id);
      const before = await snapshot(t, invitation.id);
      const invitee = await userWithEmail(t, factory, address);

      const page = await t.http().get(`/api/v1/invitations/${invitation.token}`).expect(410);
      expect(page.body.detail).toMatch(/expired/);
      const accept = await invitee
        .post(`/api/v1/invitations/${invitation.token}/accept`)
        .expect(410);
      expect(accept.body.detail).toMatch(/expired/);

      expect(await snapshot(t, invitation.id)).toEqual({ ...before, users: before.users + 1 });
      expect(await membershipOf(t, team.organization.id, invitee.user.id)).toBeNull();
    });

    it('answers 404 to an unknown token and 401 to an anonymous accept', async () => {
      const invitation = await deliver(nextEmail());
      const before = await snapshot(t, invitation.id);
      const someone = await actingAs(t, await factory.user());
      await t.http().get('/api/v1/invitations/inv_not-a-real-token').expect(404);
      await someone.post('/api/v1/invitations/inv_not-a-real-token/accept').expect(404);
      // The stored digest is not a token either.
      await t
        .http()
        .get(`/api/v1/invitations/${sha256(invitation.token)}`)
        .expect(404);
      await t.http().post(`/api/v1/invitations/${invitation.token}/accept`).expect(401);
      expect(await snapshot(t, invitation.id)).toEqual({ ...before, users: before.users + 1 });
    });
  });

  describe('revoking', () => {
    it('kills the link, audits once, and leaves the row explainable', async () => {
      const invitation = await deliver(nextEmail('revoke'));
      await team.admin.delete(team.url(`/invitations/${invitation.id}`)).expect(204);

      const stored = await findInvitation(t, invitation.id);
      expectNear(stored.revokedAt, Date.now());
      expect(stored.acceptedAt).toBeNull();
      const audit = await invitationAudit(t, invitation.id);
      expect(audit.map((row) => row.action)).toEqual(['invitation.sent', 'invitation.revoked']);
      expect(audit[1].userId).toBe(team.admin.user.id);

      // Revoking again is harmless and records nothing new.
      await team.owner.delete(team.url(`/invitations/${invitation.id}`)).expect(204);
      expect(await invitationAudit(t, invitation.id)).toHaveLength(2);
      await t.http().get(`/api/v1/invitations/${invitation.token}`).expect(410);
    });

    it('does not mail an invitation revoked before its mail went out', async () => {
      const address = nextEmail('never-mailed');
      const created = await team.admin
        .post(team.url('/invitations'), { email: address, role: 'member' })
        .expect(201);
      await team.admin.delete(team.url(`/invitations/${created.body.id}`)).expect(204);
      expect(await t.worker.drain()).toBe(1);
      expect(mailsTo(outbox.dir, address)).toHaveLength(0);
      expect(await t.dataSource.getRepository(Job).count()).toBe(0);
    });

    it('answers 409 for an accepted invitation and 404 for unknown or foreign ids', async () => {
      const address = nextEmail('kept');
      const invitation = await deliver(address);
      const invitee = await userWithEmail(t, factory, address);
      await invitee.post(`/api/v1/invitations/${invitation.token}/accept`).expect(200);
      await team.admin.delete(team.url(`/invitations/${invitation.id}`)).expect(409);
      expect((await findInvitation(t, invitation.id)).revokedAt).toBeNull();
      expect((await membershipOf(t, team.organization.id, invitee.user.id))?.role).toBe('member');

      await team.admin.delete(team.url('/invitations/999999')).expect(404);
      const other = await makeTeam(t, factory);
      const theirs = await other.admin
        .post(other.url('/invitations'), { email: nextEmail('theirs') })
        .expect(201);
      await team.admin.delete(team.url(`/invitations/${theirs.body.id}`)).expect(404);
      await team.admin.post(team.url(`/invitations/${theirs.body.id}/resend`)).expect(404);
      const foreign = await findInvitation(t, theirs.body.id);
      expect(foreign.revokedAt).toBeNull();
      expect(await invitationAudit(t, theirs.body.id)).toHaveLength(1);
    });
  });

  describe('resending', () => {
    it('mails a new link with a new expiry; the old link is dead, the new one works', async () => {
      const address = nextEmail('resend');
      const original = await deliver(address);
      // Make the first expiry visibly older, so the new one is clearly fresh.
      await t.dataSource
        .getRepository(Invitation)
        .update({ id: original.id }, { expiresAt: new Date(Date.now() + DAY_MS) });

      const response = await team.admin
        .post(team.url(`/invitations/${original.id}/resend`))
        .expect(200);
      expect(response.body).toMatchObject({ id: original.id, email: address, status: 'pending' });
      expect(response.body).not.toHaveProperty('token');
      expectNear(response.body.expires_at, Date.now() + 7 * DAY_MS);

      await t.worker.drain();
      const mails = mailsTo(outbox.dir, address);
      expect(mails).toHaveLength(2);
      const fresh = invitationLink(mails[1]);
      expect(fresh.token).not.toBe(original.token);
      expect((await findInvitation(t, original.id)).token).toBe(sha256(fresh.token));
      expect((await invitationAudit(t, original.id)).map((row) => row.action)).toEqual([
        'invitation.sent',
        'invitation.resent',
      ]);

      const invitee = await userWithEmail(t, factory, address);
      await t.http().get(`/api/v1/invitations/${original.token}`).expect(404);
      await invitee.post(`/api/v1/invitations/${original.token}/accept`).expect(404);
      expect(await membershipOf(t, team.organization.id, invitee.user.id)).toBeNull();

      const page = await t.http().get(fresh.preview).expect(200);
      expect(page.body.expires_at).toBe(response.body.expires_at);
      await invitee.post(`/api/v1/invitations/${fresh.token}/accept`).expect(200);
      expect((await membershipOf(t, team.organization.id, invitee.user.id))?.role).toBe('member');
    });

    it('sends only the new link when resent before the first mail went out', async () => {
      const address = nextEmail('impatient');
      const created = await team.admin
        .post(team.url('/invitations'), { email: address, role: 'member' })
        .expect(201);
      await team.admin.post(team.url(`/invitations/${created.body.id}/resend`)).expect(200);
      expect(await t.worker.drain()).toBe(2);

      const mails = mailsTo(outbox.dir, address);
      expect(mails).toHaveLength(1);
      const { token } = invitationLink(mails[0]);
      expect((await findInvitation(t, created.body.id)).token).toBe(sha256(token));
    });

    it('revives an expired invitation with a fresh expiry', async () => {
      const address = nextEmail('second-chance');
      const invitation = await deliver(address);
      await expire(t, invitation.id);
      await t.http().get(`/api/v1/invitations/${invitation.token}`).expect(410);

      await team.admin.post(team.url(`/invitations/${invitation.id}/resend`)).expect(200);
      await t.worker.drain();
      const { token } = invitationLink(mailsTo(outbox.dir, address)[1]);
      const invitee = await userWithEmail(t, factory, address);
      await invitee.post(`/api/v1/invitations/${token}/accept`).expect(200);
    });

    it('answers 409 for accepted or revoked invitations, mailing nothing', async () => {
      const acceptedAddress = nextEmail('done');
      const accepted = await deliver(acceptedAddress);
      const invitee = await userWithEmail(t, factory, acceptedAddress);
      await invitee.post(`/api/v1/invitations/${accepted.token}/accept`).expect(200);
      const revoked = await deliver(nextEmail('gone'));
      await team.admin.delete(team.url(`/invitations/${revoked.id}`)).expect(204);

      await team.admin.post(team.url(`/invitations/${accepted.id}/resend`)).expect(409);
      await team.admin.post(team.url(`/invitations/${revoked.id}/resend`)).expect(409);
      expect(await t.dataSource.getRepository(Job).count()).toBe(0);
      expect((await findInvitation(t, accepted.id)).token).toBe(sha256(accepted.token));
      expect((await findInvitation(t, revoked.id)).token).toBe(sha256(revoked.token));
    });
  });
});
