import request from 'supertest';
import { ApiTokensService } from '../../src/auth/api-tokens.service';
import { inTransaction } from '../../src/database/transaction';
import { OrganizationRole } from '../../src/organizations/organization-member.entity';
import { Organization } from '../../src/organizations/organization.entity';
import { User } from '../../src/users/user.entity';
import { Factory } from '../factories';
import { TestApp } from './app';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * A signed-in user driving the API: `await alice.get('/api/v1/me')`. Tokens are issued through
 * the real ApiTokensService (no password round-trip), so specs can create many actors quickly.
 */
export interface Actor {
  user: User;
  token: string;
  request(method: Method, path: string, body?: object): request.Test;
  get(path: string): request.Test;
  post(path: string, body?: object): request.Test;
  put(path: string, body?: object): request.Test;
  patch(path: string, body?: object): request.Test;
  delete(path: string): request.Test;
}

export async function actingAs(t: TestApp, user: User): Promise<Actor> {
  const tokens = t.app.get(ApiTokensService);
  const { token } = await inTransaction(t.dataSource, (manager) =>
    tokens.issue(manager, user.id, 'test'),
  );
  const send = (method: Method, path: string, body?: object) => {
    const client = t.http();
    const call = client[method](path)
      .set('Authorization', `Bearer ${token}`)
      .set('User-Agent', 'danwel-e2e');
    return body === undefined ? call : call.send(body);
  };
  return {
    user,
    token,
    request: send,
    get: (path) => send('get', path),
    post: (path, body) => send('post', path, body),
    put: (path, body) => send('put', path, body),
    patch: (path, body) => send('patch', path, body),
    delete: (path) => send('delete', path),
  };
}

/** An organization with one signed-in actor per role (and its owner as `owner`). */
export interface Team {
  organization: Organization;
  owner: Actor;
  admin: Actor;
  member: Actor;
  viewer: Actor;
  /** `/api/v1/organizations/:id` + path. */
  url(path?: string): string;
}

export async function makeTeam(
  t: TestApp,
  factory: Factory,
  values: Omit<Partial<Organization>, 'owner'> = {},
): Promise<Team> {
  const ownerUser = await factory.user();
  const organization = await factory.organization({ ...values, owner: ownerUser });
  const actor = async (role: OrganizationRole) => {
    const user = await factory.user();
    await factory.member(organization, user, role);
    return actingAs(t, user);
  };
  return {
    organization,
    owner: await actingAs(t, ownerUser),
    admin: await actor('admin'),
    member: await actor('member'),
    viewer: await actor('viewer'),
    url: (path = '') => `/api/v1/organizations/${organization.id}${path}`,
  };
}

/** The newest audit rows of an organization, for asserting what a mutation recorded. */
export async function auditActions(t: TestApp, organizationId: number | null): Promise<string[]> {
  const rows: { action: string }[] = await t.dataSource.query(
    organizationId === null
      ? 'SELECT action FROM audit_logs WHERE organization_id IS NULL ORDER BY id'
      : 'SELECT action FROM audit_logs WHERE organization_id = ? ORDER BY id',
    organizationId === null ? [] : [organizationId],
  );
  return rows.map((row) => row.action);
}
