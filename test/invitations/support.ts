import { createHash } from 'node:crypto';
import { Invitation } from '../../src/invitations/invitation.entity';
import { OrganizationMember } from '../../src/organizations/organization-member.entity';
import { Factory } from '../factories';
import { Actor, actingAs, Team } from '../support/actors';
import { TestApp } from '../support/app';
import { invitationLink, ParsedMail, readOutbox } from './mailbox';

export const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

export const DAY_MS = 86_400_000;

/** The mails in the outbox addressed to `email` (in any letter case), oldest first. */
export function mailsTo(outboxDir: string, email: string): (ParsedMail & { file: string })[] {
  return readOutbox(outboxDir).filter((mail) =>
    mail.headers.to?.toLowerCase().includes(email.toLowerCase()),
  );
}

/**
 * Invites `email` as `inviter` (the team's admin by default), runs the worker and reads the link
 * out of the one new mail: the way the invitee gets the token.
 */
export async function inviteAndDeliver(
  t: TestApp,
  outboxDir: string,
  team: Team,
  email: string,
  options: { role?: string; inviter?: Actor } = {},
): Promise<{ id: number; token: string; preview: string; body: Record<string, unknown> }> {
  const before = mailsTo(outboxDir, email).length;
  const response = await (options.inviter ?? team.admin)
    .post(team.url('/invitations'), { email, role: options.role ?? 'member' })
    .expect(201);
  await t.worker.drain();
  const mails = mailsTo(outboxDir, email);
  expect(mails).toHaveLength(before + 1);
  const { token, preview } = invitationLink(mails[mails.length - 1]);
  return { id: response.body.id, token, preview, body: response.body };
}

/** A signed-in user with this email address (an account that already exists). */
export async function userWithEmail(t: TestApp, factory: Factory, email: string): Promise<Actor> {
  return actingAs(t, await factory.user({ email }));
}

/**
 * Everything a failed attempt could have changed: the invitation row, memberships, users, audit
 * trail and jobs. Compared before and after to prove "changes nothing".
 */
export async function snapshot(t: TestApp, invitationId: number) {
  const count = async (table: string) =>
    Number((await t.dataSource.query(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);
  return {
    invitation: await t.dataSource.getRepository(Invitation).findOneByOrFail({ id: invitationId }),
    members: await t.dataSource.query(
      'SELECT organization_id, user_id, role, joined_at FROM organization_user ORDER BY id',
    ),
    users: await count('users'),
    auditLogs: await count('audit_logs'),
    jobs: await count('jobs'),
  };
}

export function findInvitation(t: TestApp, id: number): Promise<Invitation> {
  return t.dataSource.getRepository(Invitation).findOneByOrFail({ id });
}

/** Moves an invitation's expiry into the past, straight in the database. */
export async function expire(t: TestApp, id: number): Promise<void> {
  await t.dataSource
    .getRepository(Invitation)
    .update({ id }, { expiresAt: new Date(Date.now() - 60_000) });
}

export function membershipOf(t: TestApp, organizationId: number, userId: number) {
  return t.dataSource.getRepository(OrganizationMember).findOneBy({ organizationId, userId });
}

/** Audit rows about one invitation, oldest first. */
export async function invitationAudit(t: TestApp, invitationId: number) {
  const rows: { action: string; user_id: unknown; organization_id: unknown }[] =
    await t.dataSource.query(
      "SELECT action, user_id, organization_id FROM audit_logs WHERE auditable_type = 'invitation' AND auditable_id = ? ORDER BY id",
      [invitationId],
    );
  return rows.map((row) => ({
    action: row.action,
    userId: row.user_id === null ? null : Number(row.user_id),
    organizationId: row.organization_id === null ? null : Number(row.organization_id),
  }));
}

/** Asserts a time is within `toleranceMs` of `expected` (columns keep whole seconds). */
export function expectNear(value: Date | string | null, expected: number, toleranceMs = 5_000) {
  expect(value).not.toBeNull();
  const time = new Date(value!).getTime();
  expect(Number.isNaN(time)).toBe(false);
  expect(Math.abs(time - expected)).toBeLessThanOrEqual(toleranceMs);
}
