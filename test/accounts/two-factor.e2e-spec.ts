import { IsNull } from 'typeorm';
import { AuditLog } from '../../src/audit/audit-log.entity';
import { UserToken } from '../../src/auth/user-token.entity';
import { base32Decode, hotp, totpStep } from '../../src/auth/totp';
import { User } from '../../src/users/user.entity';
import { Factory, TEST_PASSWORD } from '../factories';
import { Actor, actingAs, makeTeam } from '../support/actors';
import { bootApp, TestApp } from '../support/app';

/*
 * Two-factor authentication as a person uses it with an authenticator app: enrol, confirm, sign
 * in with a second step, fall back on a recovery code, turn it off — and an organization that
 * requires it of its admins and owners.
 */
describe('accounts: two-factor authentication (TOTP)', () => {
  let t: TestApp;
  let factory: Factory;

  beforeAll(async () => {
    t = await bootApp({ env: { AUTH_THROTTLE_PER_MINUTE: '1000' } });
    factory = new Factory(t.dataSource);
  });
  afterAll(() => t.close());

  /** The code an authenticator app shows now (`offset` steps of 30 s later). */
  const codeFor = (secret: string, offset = 0) =>
    hotp(base32Decode(secret), totpStep(Date.now()) + offset);
  const login = (email: string, password = TEST_PASSWORD) =>
    t.http().post('/api/v1/auth/login').send({ email, password });
  const secondStep = (body: object) => t.http().post('/api/v1/auth/login/two-factor').send(body);
  const actions = async (userId: number) =>
    (
      await t.dataSource
        .getRepository(AuditLog)
        .find({ where: { auditableType: 'user', auditableId: userId }, order: { id: 'ASC' } })
    ).map((row) => row.action);

  /** Enrols and confirms: the secret and the recovery codes. */
  async function turnOn(actor: Actor) {
    const enrolled = await actor
      .post('/api/v1/me/two-factor', { password: TEST_PASSWORD })
      .expect(201);
    const secret: string = enrolled.body.secret;
    const confirmed = await actor
      .post('/api/v1/me/two-factor/confirm', { code: codeFor(secret) })
      .expect(200);
    return { secret, recoveryCodes: confirmed.body.recovery_codes as string[] };
  }

  it('enrols with the password, is not in force until a code confirms it, then is', async () => {
    const user = await factory.user();
    const actor = await actingAs(t, user);

    await actor.post('/api/v1/me/two-factor', { password: 'wrong' }).expect(422);
    const enrolled = await actor
      .post('/api/v1/me/two-factor', { password: TEST_PASSWORD })
      .expect(201);
    expect(enrolled.body.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(enrolled.body.otpauth_url).toBe(
      `otpauth://totp/danwel%3A${encodeURIComponent(user.email)}?secret=${enrolled.body.secret}` +
        '&issuer=danwel&algorithm=SHA1&digits=6&period=30',
    );
    // Not confirmed yet: the password alone still signs in.
    expect((await login(user.email).expect(200)).body.token).toMatch(/^dwl_/);

    const wrongCode = String((Number(codeFor(enrolled.body.secret)) + 1) % 1_000_000).padStart(
      6,
      '0',
    );
    await actor.post('/api/v1/me/two-factor/confirm', { code: wrongCode }).expect(422);
    const confirmed = await actor
      .post('/api/v1/me/two-factor/confirm', { code: codeFor(enrolled.body.secret) })
      .expect(200);
    expect(confirmed.body.recovery_codes).toHaveLength(10);
    expect(new Set(confirmed.body.recovery_codes).size).toBe(10);
    expect((await actor.get('/api/v1/me').expect(200)).body.two_factor_enabled).toBe(true);

    // The secret is stored encrypted, the recovery codes only as digests.
    const [stored] = await t.dataSource.query(
      'SELECT two_factor_secret, two_factor_recovery_codes FROM users WHERE id = ?',
      [user.id],
    );
    expect(stored.two_factor_secret).not.toContain(enrolled.body.secret);
    expect(String(stored.two_factor_recovery_codes)).not.toContain(
      confirmed.body.recovery_codes[0],
    );
    expect(await actions(user.id)).toEqual(['auth.two_factor_enabled']);
  });

  it('signs in with a second step; a wrong, replayed or late code gets no token', async () => {
    const user = await factory.user();
    const { secret } = await turnOn(await actingAs(t, user));

    const first = await login(user.email).expect(200);
    expect(first.body).toEqual({
      two_factor_required: true,
      challenge_token: expect.stringMatching(/^tfa_/),
      expires_at: expect.any(String),
    });
    expect(first.body).not.toHaveProperty('token');

    const wrong = await secondStep({ challenge_token: first.body.challenge_token, code: '000000' });
    expect(wrong.status).toBe(422);
    expect(Object.keys(wrong.body.errors)).toEqual(['code']);

    // The confirmation used this step's code: the app's next code signs in, once.
    const next = codeFor(secret, 1);
    const signedIn = await secondStep({ challenge_token: first.body.challenge_token, code: next });
    expect(signedIn.status).toBe(200);
    await t
      .http()
      .get('/api/v1/me')
      .set('Authorization', `Bearer ${signedIn.body.token}`)
      .expect(200);
    // The challenge is used up, and the same code does not work on a new one either.
    await secondStep({ challenge_token: first.body.challenge_token, code: next }).expect(422);
    const again = await login(user.email).expect(200);
    await secondStep({ challenge_token: again.body.challenge_token, code: next }).expect(422);

    await t.dataSource
      .getRepository(UserToken)
      .update({ userId: user.id, usedAt: IsNull() }, { expiresAt: new Date(Date.now() - 1000) });
    const late = await secondStep({ challenge_token: again.body.challenge_token, code: next });
    expect(Object.keys(late.body.errors)).toEqual(['challenge_token']);

    // The wrong code and the replay on a new challenge (the used-up one never got that far).
    expect(await actions(user.id)).toEqual([
      'auth.two_factor_enabled',
      'auth.login_failed',
      'auth.login_failed',
    ]);
    const failures = await t.dataSource
      .getRepository(AuditLog)
      .findBy({ auditableId: user.id, action: 'auth.login_failed' });
    expect(failures.map((row) => row.newValues)).toEqual([
      { reason: 'second_factor' },
      { reason: 'second_factor' },
    ]);
  });

  it('falls back on a recovery code, which works once', async () => {
    const user = await factory.user();
    const { recoveryCodes } = await turnOn(await actingAs(t, user));

    const first = await login(user.email).expect(200);
    const used = await secondStep({
      challenge_token: first.body.challenge_token,
      recovery_code: recoveryCodes[3].toUpperCase(),
    }).expect(200);
    expect(used.body.token).toMatch(/^dwl_/);

    const second = await login(user.email).expect(200);
    const replay = await secondStep({
      challenge_token: second.body.challenge_token,
      recovery_code: recoveryCodes[3],
    }).expect(422);
    expect(Object.keys(replay.body.errors)).toEqual(['recovery_code']);
    await secondStep({
      challenge_token: second.body.challenge_token,
      recovery_code: recoveryCodes[4],
    }).expect(200);
    expect(await actions(user.id)).toContain('auth.recovery_code_used');
  });

  it('turns off only with the password and a second factor', async () => {
    const user = await factory.user();
    const actor = await actingAs(t, user);
    const { secret } = await turnOn(actor);

    await actor
      .post('/api/v1/me/two-factor/disable', { password: 'wrong', code: codeFor(secret, 1) })
      .expect(422);
    await actor
      .post('/api/v1/me/two-factor/disable', { password: TEST_PASSWORD, code: '000000' })
      .expect(422);
    expect((await actor.get('/api/v1/me')).body.two_factor_enabled).toBe(true);
    await actor
      .post('/api/v1/me/two-factor/disable', { password: TEST_PASSWORD, code: codeFor(secret, 1) })
      .expect(204);
    expect((await login(user.email).expect(200)).body.token).toMatch(/^dwl_/);
    expect(await actions(user.id)).toEqual(['auth.two_factor_enabled', 'auth.two_factor_disabled']);
  });

  it('audits a wrong password against an existing account, without the password', async () => {
    const user = await factory.user();
    await login(user.email, 'not the password').expect(401);
    const rows = await t.dataSource
      .getRepository(AuditLog)
      .findBy({ auditableId: user.id, action: 'auth.login_failed' });
    expect(rows.map((row) => row.newValues)).toEqual([{ reason: 'password' }]);
    expect(JSON.stringify(rows)).not.toContain('not the password');
  });

  it('an organization can require it of admins and owners, once its owner has it', async () => {
    const team = await makeTeam(t, factory, { name: 'Strict Studio' });
    const require = (actor: Actor) =>
      actor.patch(team.url(), { settings: { require_two_factor: true } });

    const refused = await require(team.owner).expect(422);
    expect(Object.keys(refused.body.errors)).toEqual(['settings.require_two_factor']);

    await turnOn(team.owner);
    await require(team.owner).expect(200);

    // The admin without two-factor is stopped at every route of the organization…
    const blocked = await team.admin.get(team.url('/members')).expect(403);
    expect(blocked.body.detail).toMatch(/requires two-factor authentication/);
    // …members are not, and the owner who has it is not.
    await team.member
      .get(team.url('/time-blocks?from=2026-01-05T00:00:00Z&to=2026-01-12T00:00:00Z'))
      .expect(200);
    await team.owner.get(team.url('/members')).expect(200);

    await turnOn(team.admin);
    await team.admin.get(team.url('/members')).expect(200);
    const admin = await t.dataSource
      .getRepository(User)
      .findOneByOrFail({ id: team.admin.user.id });
    expect(admin.twoFactorConfirmedAt).not.toBeNull();
  });
});
