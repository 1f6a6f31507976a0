import { can, ROLE_PERMISSIONS } from '../../src/auth/permissions';
import { Encrypter } from '../../src/common/crypto/encrypter';
import {
  ORGANIZATION_ROLES,
  OrganizationRole,
} from '../../src/organizations/organization-member.entity';
import { Factory } from '../factories';
import { Actor, makeTeam, Team } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import {
  declaredTenantRoutes,
  documentedOperations,
  fetchDocument,
  isTenantPath,
  OpenApiDocument,
  Operation,
  outcome,
  planRequest,
  problem,
  seedTenant,
  send,
  snapshot,
  TenantData,
  tenantIds,
} from './routes';

/*
 * The role matrix: every tenant route, as each role of one organization, answers 403 exactly when
 * the permission table says the role lacks the route's permission. Allowed roles send a valid
 * request and may get any answer of the route itself (2xx, 409, 422…), but never the guard's
 * refusal (403) or a membership 404. Allowed writes run on a fresh team per case, so one role's
 * success (deleting the organization, leaving it) cannot change the next role's verdict.
 */

const ROUTES = declaredTenantRoutes();
const ALL_PERMISSIONS = new Set<string>(Object.values(ROLE_PERMISSIONS).flatMap((set) => [...set]));

const CASES = ROUTES.flatMap((route) =>
  ORGANIZATION_ROLES.map((role) => {
    const allowed = route.permission !== undefined && can(role, route.permission);
    return {
      ...route,
      role,
      allowed,
      permission: route.permission ?? '(none)',
      verdict: allowed ? 'passes the guard' : 'is refused with 403',
    };
  }),
);

/**
 * Where the plausible request is not the one the guard's permission is about. `members:leave`
 * lets every role remove *itself*; removing someone else is a rule of the service
 * (`members:remove`, checked after the guard), so the matrix sends a leave.
 */
const PATH_OVERRIDES: Record<string, (actor: Actor) => Record<string, number>> = {
  'DELETE /api/v1/organizations/{organizationId}/members/{userId}': (actor) => ({
    userId: actor.user.id,
  }),
};

/** Statuses that mean the request never reached the route: no token, no membership, no permission. */
const REFUSALS = [401, 403, 404];

describe('role matrix: every tenant route allows exactly the roles the permission table says', () => {
  let t: TestApp;
  let factory: Factory;
  let document: OpenApiDocument;
  let operations: Map<string, Operation>;
  let readers: { team: Team; data: TenantData };
  let refusedWriters: { team: Team; data: TenantData };
  let teams = 0;

  /** A team (owner, admin, member, viewer) whose organization has one row of every kind. */
  const freshTeam = async () => {
    const team = await makeTeam(t, factory);
    const data = await seedTenant(t, factory, `matrix${++teams}`, {
      organization: team.organization,
      owner: team.owner.user,
    });
    return { team, data };
  };

  /**
   * An `:own` permission covers the caller's own records, so those routes are asked about rows of
   * the actor: themselves as the user, an integration, calendar and block of their own, and a
   * grant parked for them.
   */
  const ownRows = async (team: Team, actor: Actor): Promise<Record<string, number | string>> => {
    const integration = await factory.integration(team.organization, { connectedBy: actor.user });
    const calendar = await factory.calendar(integration);
    const timeBlock = await factory.timeBlock(team.organization, actor.user, { calendar });
    const grant = await factory.pendingGrant(team.organization, actor.user, t.app.get(Encrypter));
    const ids = {
      user: actor.user.id,
      integration: integration.id,
      calendar: calendar.id,
      time_block: timeBlock.id,
    };
    return {
      ...Object.fromEntries(
        Object.entries(ids).flatMap(([kind, id]) => [
          [`${kind}_id`, id],
          [`${kind.replace(/_(\w)/g, (_, c: string) => c.toUpperCase())}Id`, id],
        ]),
      ),
      reference: grant.reference,
    };
  };

  beforeAll(async () => {
    t = await bootApp();
    factory = new Factory(t.dataSource);
    document = await fetchDocument(t);
    operations = documentedOperations(document);
    readers = await freshTeam();
    refusedWriters = await freshTeam();
  });
  afterAll(() => t?.close());

  it('tests exactly the tenant operations of the document', () => {
    const documented = [...operations.values()]
      .filter((op) => isTenantPath(op.path))
      .map((op) => op.key)
      .sort();
    expect(ROUTES.map((route) => route.key)).toEqual(documented);
  });

  it('puts an x-permission on every tenant operation and on no other', () => {
    const wrong = [...operations.values()]
      .filter((op) => isTenantPath(op.path) !== (op.spec['x-permission'] !== undefined))
      .map((op) => `${op.key}: x-permission ${op.spec['x-permission'] ?? 'missing'}`);
    expect(wrong).toEqual([]);
  });

  it('uses only permissions that exist in the role → permission table', () => {
    const unknown = [...operations.values()]
      .filter((op) => op.spec['x-permission'] !== undefined)
      .filter((op) => !ALL_PERMISSIONS.has(op.spec['x-permission']!))
      .map((op) => `${op.key}: ${op.spec['x-permission']}`);
    expect(unknown).toEqual([]);
    expect(ALL_PERMISSIONS.size).toBeGreaterThan(0);
  });

  it.each(CASES)(
    '$key [$permission] as $role $verdict',
    async ({ key, method, permission, role, allowed }) => {
      const op = operations.get(key);
      if (!op) throw new Error(`${key} is not in the OpenAPI document`);
      expect(op.spec['x-permission']).toBe(permission);

      // Reads share a team; so do refused writes (their snapshot proves they changed nothing).
      const { team, data } =
        method === 'get' ? readers : allowed ? await freshTeam() : refusedWriters;
      const actor = team[role as OrganizationRole];
      const own = permission.endsWith(':own') ? await ownRows(team, actor) : {};
      const resolve = tenantIds(data, { ...own, ...PATH_OVERRIDES[key]?.(actor) });
      const before = allowed ? undefined : await snapshot(t, team.organization.id);
      const plan = planRequest(document, op, resolve, { queryValues: data.window });
      const response = await send(t, actor, plan);

      if (allowed) {
        const verdict =
          REFUSALS.includes(response.status) || response.status >= 500 ? 'refused' : 'allowed';
        expect({ verdict, ...outcome(response) }).toEqual(
          expect.objectContaining({ verdict: 'allowed' }),
        );
      } else {
        expect(outcome(response)).toEqual(problem(403));
        expect(await snapshot(t, team.organization.id)).toEqual(before);
      }
    },
  );
});
