import { User } from '../../src/users/user.entity';
import { Factory } from '../factories';
import { actingAs, auditActions, makeTeam, Team } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import { makeOutbox } from './mailbox';
import {
  expectNear,
  expire,
  findInvitation,
  invitationAudit,
  inviteAndDeliver,
  membershipOf,
  snapshot,
} from './support';

/*
 * Someone without an account follows the link and registers with the token: the account and the
 * membership are made in one step, or (wrong address, dead link) not at all.
 */
describe('registering through an invitation link', () => {
  const outbox = makeOutbox();
  let t: TestApp;
  let factory: Factory;
  let team: Team;
  let n = 0;
  const nextEmail = (name = 'newcomer') => `${name}${++n}@example.test`;

  beforeAll(async () => {
    t = await bootApp({
      env: { MAIL_OUTBOX_DIR: outbox.dir, AUTH_THROTTLE_PER_MINUTE: '1000' },
    });
    factory = new Factory(t.dataSource);
    team = await makeTeam(t, factory, { name: 'Orbit Studio' });
  });
  afterAll(async () => {
    await t?.close();
    outbox.remove();
  });

  const register = (body: Record<string, unknown>) =>
    t.http().post('/api/v1/auth/register').send(body);
  const usersWithEmail = (email: string) => t.dataSource.getRepository(User).countBy({ email });

  it('creates the account and joins the organization with the invited role in the same step', async () => {
    const email = nextEmail('lin');
    const invitation = await inviteAndDeliver(t, outbox.dir, team, email, { role: 'admin' });

    const response = await register({
      name: 'Lin Chen',
      email,
      password: 'a long enough password',
      invitation_token: invitation.token,
    }).expect(201);
    expect(response.body.user).toMatchObject({
      email,
      current_organization_id: team.organization.id,
    });
    // The mailed link reached this address: it counts as verified.
    expectNear(new Date(response.body.user.email_verified_at), Date.now());
    const userId: number = response.body.user.id;

    const membership = await membershipOf(t, team.organization.id, userId);
    expect(membership?.role).toBe('admin');
    expectNear(membership!.joinedAt, Date.now());
    expectNear((await findInvitation(t, invitation.id)).acceptedAt, Date.now());

    expect(await invitationAudit(t, invitation.id)).toEqual([
      {
        action: 'invitation.sent',
        userId: team.admin.user.id,
        organizationId: team.organization.id,
      },
      { action: 'invitation.accepted', userId, organizationId: team.organization.id },
    ]);
    expect((await auditActions(t, team.organization.id)).slice(-2)).toEqual([
      'invitation.accepted',
      'member.joined',
    ]);
    expect((await auditActions(t, null)).slice(-1)).toEqual(['user.registered']);

    // The token from the registration works at once, and the new admin acts as one.
    const me = await t
      .http()
      .get('/api/v1/me')
      .set('Authorization', `Bearer ${response.body.token}`)
      .expect(200);
    expect(me.body.memberships).toEqual([
      expect.objectContaining({
        organization: expect.objectContaining({ id: team.organization.id, name: 'Orbit Studio' }),
        role: 'admin',
      }),
    ]);
    await t
      .http()
      .get(team.url('/invitations'))
      .set('Authorization', `Bearer ${response.body.token}`)
      .expect(200);

    // The link is used up.
    await t.http().get(`/api/v1/invitations/${invitation.token}`).expect(410);
  });

  it('matches the address in any letter case', async () => {
    const email = nextEmail('mixed');
    const invitation = await inviteAndDeliver(t, outbox.dir, team, email);
    const response = await register({
      name: 'Mixed Case',
      email: email.toUpperCase(),
      password: 'a long enough password',
      invitation_token: invitation.token,
    }).expect(201);
    expect((await membershipOf(t, team.organization.id, response.body.user.id))?.role).toBe(
      'member',
    );
  });

  it('refuses another address with 403 and creates no account; the invitee can still register', async () => {
    const email = nextEmail('invited');
    const intruder = nextEmail('intruder');
    const invitation = await inviteAndDeliver(t, outbox.dir, team, email);
    const before = await snapshot(t, invitation.id);
    const apiTokens = () => t.dataSource.query('SELECT COUNT(*) AS n FROM api_tokens');
    const tokensBefore = Number((await apiTokens())[0].n);

    const response = await register({
      name: 'Not Invited',
      email: intruder,
      password: 'a long enough password',
      invitation_token: invitation.token,
    }).expect(403);
    expect(response.body.detail).toMatch(/different email address/);

    // The whole registration rolled back: no user, no audit row, no token, invitation untouched.
    expect(await usersWithEmail(intruder)).toBe(0);
    expect(await snapshot(t, invitation.id)).toEqual(before);
    expect(Number((await apiTokens())[0].n)).toBe(tokensBefore);
    await t.http().get(`/api/v1/invitations/${invitation.token}`).expect(200);

    const invited = await register({
      name: 'Invited',
      email,
      password: 'a long enough password',
      invitation_token: invitation.token,
    }).expect(201);
    expect((await membershipOf(t, team.organization.id, invited.body.user.id))?.role).toBe(
      'member',
    );
  });

  it.each([
    ['expired', 410, /expired/],
    ['revoked', 410, /revoked/],
    ['used', 410, /already been used/],
    ['unknown', 404, /not found/],
  ] as const)('answers %s links with %i and creates no account', async (kind, status, detail) => {
    const invited = nextEmail(kind);
    const invitation = await inviteAndDeliver(t, outbox.dir, team, invited);
    let token = invitation.token;
    // Who registers: the invited address, except for a used link (that address has an account).
    let email = invited;
    if (kind === 'expired') await expire(t, invitation.id);
    if (kind === 'revoked')
      await team.admin.delete(team.url(`/invitations/${invitation.id}`)).expect(204);
    if (kind === 'used') {
      const invitee = await actingAs(t, await factory.user({ email: invited }));
      await invitee.post(`/api/v1/invitations/${token}/accept`).expect(200);
      email = nextEmail('latecomer');
    }
    if (kind === 'unknown') token = 'inv_this-token-was-never-issued';
    const before = await snapshot(t, invitation.id);

    const response = await register({
      name: 'Too Late',
      email,
      password: 'a long enough password',
      invitation_token: token,
    }).expect(status);
    expect(response.body.detail).toMatch(detail);
    expect(await usersWithEmail(email)).toBe(0);
    expect(await snapshot(t, invitation.id)).toEqual(before);
  });

  it('leaves the invitation pending when the address already has an account (422)', async () => {
    const email = nextEmail('existing');
    await factory.user({ email });
    const invitation = await inviteAndDeliver(t, outbox.dir, team, email);
    const before = await snapshot(t, invitation.id);
    const response = await register({
      name: 'Second Account',
      email,
      password: 'a long enough password',
      invitation_token: invitation.token,
    }).expect(422);
    expect(response.body.errors).toHaveProperty('email');
    expect(await snapshot(t, invitation.id)).toEqual(before);
    await t.http().get(`/api/v1/invitations/${invitation.token}`).expect(200);
  });
});
