import { IsNull } from 'typeorm';
import { ApiToken } from '../../src/auth/api-token.entity';
import { UserToken } from '../../src/auth/user-token.entity';
import { AuditLog } from '../../src/audit/audit-log.entity';
import { User } from '../../src/users/user.entity';
import { Factory, TEST_PASSWORD } from '../factories';
import { actingAs, makeTeam } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import { invitationLink, makeOutbox, ParsedMail } from '../invitations/mailbox';
import { mailsTo } from '../invitations/support';

/*
 * A person who forgot their password, changes it, or confirms their address — and the attacks
 * on those flows: probing which addresses exist, replaying a link, squatting an address.
 */
describe('accounts: password reset, password change, email verification', () => {
  const outbox = makeOutbox();
  let t: TestApp;
  let factory: Factory;
  let n = 0;
  const nextEmail = (name = 'person') => `${name}${++n}@example.test`;

  beforeAll(async () => {
    t = await bootApp({
      env: { MAIL_OUTBOX_DIR: outbox.dir, AUTH_THROTTLE_PER_MINUTE: '1000' },
    });
    factory = new Factory(t.dataSource);
  });
  afterAll(async () => {
    await t?.close();
    outbox.remove();
  });

  const post = (path: string, body: object) => t.http().post(`/api/v1${path}`).send(body);
  const login = (email: string, password: string) =>
    post('/auth/login', { email, password }).then((response) => response.status);
  const withToken = (token: string) => ({
    get: (path: string) => t.http().get(`/api/v1${path}`).set('Authorization', `Bearer ${token}`),
  });

  /** The link of the newest mail to `email` about `subject`, and the token in its fragment. */
  async function mailedLink(email: string, kind: 'reset-password' | 'verify-email') {
    await t.worker.drain();
    const mails = mailsTo(outbox.dir, email);
    const mail: ParsedMail | undefined = mails[mails.length - 1];
    const match = new RegExp(`(https?://\\S+/${kind})#([A-Za-z0-9_-]+)`).exec(mail?.text ?? '');
    if (!match) throw new Error(`No ${kind} link mailed to ${email}:\n${mail?.text ?? '(none)'}`);
    return { url: match[1], token: match[2], count: mails.length };
  }
  const forgot = (email: string) => post('/auth/password/forgot', { email });
  const reset = (token: string, password: string) =>
    post('/auth/password/reset', { token, password });
  const auditOf = async (userId: number) =>
    (
      await t.dataSource.getRepository(AuditLog).find({
        where: { auditableType: 'user', auditableId: userId },
        order: { id: 'ASC' },
      })
    ).map((row) => row.action);

  describe('password reset', () => {
    it('answers the same for a known and an unknown address, and mails only the known one', async () => {
      const user = await factory.user({ email: nextEmail('known') });
      const stranger = nextEmail('nobody');

      const known = await forgot(user.email).expect(202);
      const unknown = await forgot(stranger).expect(202);
      expect(unknown.body).toEqual(known.body);

      const link = await mailedLink(user.email, 'reset-password');
      expect(link.url).toBe(`${t.config.appUrl}/reset-password`);
      expect(link.token).toMatch(/^rst_/);
      expect(mailsTo(outbox.dir, stranger)).toHaveLength(0);
      // Only the digest is stored; the jobs table holds the token encrypted.
      const stored = await t.dataSource.getRepository(UserToken).findBy({ userId: user.id });
      expect(stored).toHaveLength(1);
      expect(stored[0].tokenHash).toMatch(/^[0-9a-f]{64}$/);
      const jobs: { payload: string }[] = await t.dataSource.query(
        "SELECT payload FROM jobs WHERE type = 'mail.account_link'",
      );
      expect(JSON.stringify(jobs)).not.toContain(link.token);
    });

    it('sets the new password, signs out every session, and audits without secrets', async () => {
      const user = await factory.user({ email: nextEmail('forgetful') });
      const session = await actingAs(t, user);
      await session.get('/api/v1/me').expect(200);

      await forgot(user.email).expect(202);
      const { token } = await mailedLink(user.email, 'reset-password');
      await reset(token, 'a brand new password').expect(204);

      expect(await login(user.email, TEST_PASSWORD)).toBe(401);
      expect(await login(user.email, 'a brand new password')).toBe(200);
      await session.get('/api/v1/me').expect(401);
      expect(await auditOf(user.id)).toEqual([
        'auth.password_reset_requested',
        'auth.password_reset',
        'auth.login_failed', // the old password, tried above
      ]);
      const rows = await t.dataSource.getRepository(AuditLog).findBy({ auditableId: user.id });
      expect(JSON.stringify(rows)).not.toMatch(/rst_|brand new password/);
    });

    it('works once: a replayed, expired or superseded link is refused and changes nothing', async () => {
      const user = await factory.user({ email: nextEmail('replay') });
      await forgot(user.email).expect(202);
      const first = await mailedLink(user.email, 'reset-password');
      await forgot(user.email).expect(202);
      const second = await mailedLink(user.email, 'reset-password');
      expect(second.token).not.toBe(first.token);

      const superseded = await reset(first.token, 'password from old mail').expect(422);
      expect(Object.keys(superseded.body.errors)).toEqual(['token']);
      await reset(second.token, 'the password that counts').expect(204);
      await reset(second.token, 'a replayed password').expect(422);
      expect(await login(user.email, 'the password that counts')).toBe(200);

      await forgot(user.email).expect(202);
      const late = await mailedLink(user.email, 'reset-password');
      await t.dataSource
        .getRepository(UserToken)
        .update({ userId: user.id, usedAt: IsNull() }, { expiresAt: new Date(Date.now() - 1000) });
      await reset(late.token, 'too late for this').expect(422);
      expect(await login(user.email, 'the password that counts')).toBe(200);
    });

    it('keeps the link usable when the new password is refused', async () => {
      const user = await factory.user({ email: nextEmail('weak') });
      await forgot(user.email).expect(202);
      const { token } = await mailedLink(user.email, 'reset-password');
      const weak = await reset(token, 'short').expect(422);
      expect(Object.keys(weak.body.errors)).toEqual(['password']);
      expect(await login(user.email, TEST_PASSWORD)).toBe(200);
      await reset(token, 'long enough now').expect(204);
    });

    it('throttles reset mails per address, whether or not the address has an account', async () => {
      for (const email of [
        (await factory.user({ email: nextEmail('flood') })).email,
        nextEmail(),
      ]) {
        for (let i = 0; i < 3; i++) await forgot(email).expect(202);
        const refused = await forgot(email).expect(429);
        expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      }
    });
  });

  describe('password change', () => {
    it('needs the current password, keeps this session and revokes the others', async () => {
      const user = await factory.user({ email: nextEmail('changer') });
      const here = await actingAs(t, user);
      const elsewhere = await actingAs(t, user);

      const wrong = await here
        .put('/api/v1/me/password', { current_password: 'not it', password: 'new and long' })
        .expect(422);
      expect(Object.keys(wrong.body.errors)).toEqual(['current_password']);
      expect(await login(user.email, TEST_PASSWORD)).toBe(200);

      await here
        .put('/api/v1/me/password', { current_password: TEST_PASSWORD, password: 'new and long' })
        .expect(204);
      await here.get('/api/v1/me').expect(200);
      await elsewhere.get('/api/v1/me').expect(401);
      expect(await login(user.email, 'new and long')).toBe(200);
      expect(await login(user.email, TEST_PASSWORD)).toBe(401);
      expect(await auditOf(user.id)).toEqual(['user.password_changed', 'auth.login_failed']);
    });
  });

  describe('email verification', () => {
    it('mails a link on registration; the link confirms the address once', async () => {
      const email = nextEmail('newcomer');
      const registered = await post('/auth/register', {
        name: 'New Comer',
        email,
        password: 'a long password',
      }).expect(201);
      expect(registered.body.user.email_verified_at).toBeNull();
      const { url, token } = await mailedLink(email, 'verify-email');
      expect(url).toBe(`${t.config.appUrl}/verify-email`);

      await post('/auth/email/verify', { token }).expect(204);
      const me = await withToken(registered.body.token).get('/me').expect(200);
      expect(new Date(me.body.email_verified_at).getTime()).toBeGreaterThan(Date.now() - 60_000);
      await post('/auth/email/verify', { token }).expect(422);
      expect(await auditOf(registered.body.user.id)).toEqual([
        'user.registered',
        'user.email_verified',
      ]);
    });

    it('resends a fresh link that retires the old one, and refuses once confirmed', async () => {
      const user = await factory.user({ email: nextEmail('resend'), emailVerifiedAt: null });
      const actor = await actingAs(t, user);
      await actor.post('/api/v1/me/email/verification').expect(202);
      const first = await mailedLink(user.email, 'verify-email');
      await actor.post('/api/v1/me/email/verification').expect(202);
      const second = await mailedLink(user.email, 'verify-email');

      await post('/auth/email/verify', { token: first.token }).expect(422);
      await post('/auth/email/verify', { token: second.token }).expect(204);
      await actor.post('/api/v1/me/email/verification').expect(409);
    });

    it('an unconfirmed account cannot take the invitations sent to its address', async () => {
      const team = await makeTeam(t, factory, { name: 'Squat Proof' });
      const email = nextEmail('victim');
      // Someone registers the address before its owner is invited.
      const squatter = await post('/auth/register', {
        name: 'Squatter',
        email,
        password: 'squatter password',
      }).expect(201);
      await team.admin.post(team.url('/invitations'), { email, role: 'member' }).expect(201);
      await t.worker.drain();
      const invitation = mailsTo(outbox.dir, email).find((mail) => /invited/.test(mail.text))!;
      const { token: invitationToken } = invitationLink(invitation);

      const refused = await t
        .http()
        .post(`/api/v1/invitations/${invitationToken}/accept`)
        .set('Authorization', `Bearer ${squatter.body.token}`)
        .expect(403);
      expect(refused.body.detail).toMatch(/Confirm your email address/);

      // The real owner of the mailbox resets the password: the account is theirs.
      await forgot(email).expect(202);
      const { token } = await mailedLink(email, 'reset-password');
      await reset(token, 'the owner password').expect(204);
      await withToken(squatter.body.token).get('/me').expect(401);
      const owner = await post('/auth/login', { email, password: 'the owner password' }).expect(
        200,
      );
      expect(owner.body.user.email_verified_at).not.toBeNull();
      await t
        .http()
        .post(`/api/v1/invitations/${invitationToken}/accept`)
        .set('Authorization', `Bearer ${owner.body.token}`)
        .expect(200);
      const user = await t.dataSource.getRepository(User).findOneByOrFail({ email });
      expect(await t.dataSource.getRepository(ApiToken).countBy({ userId: user.id })).toBe(1);
    });
  });
});
