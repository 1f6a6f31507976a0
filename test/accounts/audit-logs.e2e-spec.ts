import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AuditLog } from '../../src/audit/audit-log.entity';
import { Factory } from '../factories';
import { bootApp, TestApp } from '../support/app';
import { makeTeam, Team } from '../support/actors';

describe('audit trail', () => {
  let t: TestApp;
  let factory: Factory;
  let team: Team;

  beforeAll(async () => {
    t = await bootApp();
    factory = new Factory(t.dataSource);
    team = await makeTeam(t, factory);
    await team.admin.patch(team.url(), { name: 'Audited' }).expect(200);
    await team.admin
      .patch(team.url(`/members/${team.member.user.id}`), { role: 'viewer' })
      .expect(200);
    await team.admin
      .post(team.url('/invitations'), { email: 'new@example.com', role: 'member' })
      .expect(201);
  });
  afterAll(() => t.close());

  it('records actor, organization, target, before/after, IP and user agent', async () => {
    const response = await team.owner
      .get(team.url('/audit-logs'))
      .set('User-Agent', 'jest')
      .expect(200);
    expect(response.body.data.map((log: { action: string }) => log.action)).toEqual([
      'invitation.sent',
      'member.role_changed',
      'organization.updated',
    ]);
    const [sent] = response.body.data;
    expect(sent).toMatchObject({
      user_id: team.admin.user.id,
      auditable_type: 'invitation',
      new_values: { email: 'new@example.com', role: 'member' },
      ip_address: expect.stringMatching(/127\.0\.0\.1|::1/),
    });
    expect(sent.user_agent).toBe('danwel-e2e');
    expect(JSON.stringify(response.body)).not.toMatch(/token/i);
  });

  it('filters by action, user, auditable and time, and paginates newest first', async () => {
    const byAction = await team.owner
      .get(team.url('/audit-logs?action=member.role_changed'))
      .expect(200);
    expect(byAction.body.data).toHaveLength(1);
    const byUser = await team.owner
      .get(team.url(`/audit-logs?user_id=${team.owner.user.id}`))
      .expect(200);
    expect(byUser.body.data).toEqual([]);
    const byTarget = await team.owner
      .get(team.url(`/audit-logs?auditable_type=user&auditable_id=${team.member.user.id}`))
      .expect(200);
    expect(byTarget.body.data.map((log: { action: string }) => log.action)).toEqual([
      'member.role_changed',
    ]);
    const future = await team.owner
      .get(team.url('/audit-logs?from=2999-01-01T00:00:00Z'))
      .expect(200);
    expect(future.body.data).toEqual([]);

    const page1 = await team.owner.get(team.url('/audit-logs?limit=2')).expect(200);
    const page2 = await team.owner
      .get(team.url(`/audit-logs?limit=2&cursor=${page1.body.next_cursor}`))
      .expect(200);
    expect(page2.body.next_cursor).toBeNull();
    expect([...page1.body.data, ...page2.body.data].map((log: { id: number }) => log.id)).toEqual(
      [...page1.body.data, ...page2.body.data]
        .map((log: { id: number }) => log.id)
        .sort((a, b) => b - a),
    );
    const bad = await team.owner.get(team.url('/audit-logs?from=yesterday'));
    expect(bad.status).toBe(422);
  });

  it('is for admins and owners only', async () => {
    await team.admin.get(team.url('/audit-logs')).expect(200);
    await team.member.get(team.url('/audit-logs')).expect(403);
    await team.viewer.get(team.url('/audit-logs')).expect(403);
  });

  it('writes nothing when the mutation fails (same transaction)', async () => {
    const before = await t.dataSource.getRepository(AuditLog).count();
    await team.admin.patch(team.url(), { slug: 'Not Valid' }).expect(422);
    await team.admin
      .post(team.url('/invitations'), { email: 'new@example.com', role: 'member' })
      .expect(409);
    expect(await t.dataSource.getRepository(AuditLog).count()).toBe(before);
  });

  it('is append-only: no code path updates or deletes audit rows', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (path.endsWith('.ts') && !path.endsWith('.spec.ts')) files.push(path);
      }
    };
    walk(join(__dirname, '../../src'));
    const offenders = files.filter((file) =>
      /(update|delete|remove|softDelete|softRemove|clear)\(\s*AuditLog\b|(UPDATE|DELETE FROM)\s+`?audit_logs/.test(
        readFileSync(file, 'utf8'),
      ),
    );
    expect(files.length).toBeGreaterThan(20);
    expect(offenders).toEqual([]);
  });
});
