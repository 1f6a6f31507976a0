import { isDeepStrictEqual } from 'node:util';
import { Organization } from '../../src/organizations/organization.entity';
import { Factory } from '../factories';
import { actingAs, Actor } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import {
  bodyIdFields,
  declaredTenantRoutes,
  documentedOperations,
  fetchDocument,
  isTenantPath,
  leakedMarkers,
  OpenApiDocument,
  Operation,
  outcome,
  NON_ID_PATH_VALUES,
  pathParams,
  planRequest,
  problem,
  queryIdParams,
  registeredRoutes,
  RouteKey,
  seedTenant,
  send,
  snapshot,
  TenantData,
  tenantIds,
  tenantTables,
} from './routes';

/*
 * Organization A is full of data; the outsider owns organization B and is no member of A. Every
 * tenant route is tried with A's ids (in the path, the body and the query): each must answer 404
 * and leave every row of A as it was. The list of routes comes from the application itself and is
 * checked against the OpenAPI document and the Express router, so a new route is covered (or
 * fails the inventory test) without anyone editing this file.
 */

const TENANT_ROUTES = declaredTenantRoutes();
/** Routes naming a row besides the organization in their path (`…/members/{userId}`). */
// Routes naming a row besides the organization (`{provider}` names none: NON_ID_PATH_VALUES).
const ROUTES_WITH_ROW_IDS = TENANT_ROUTES.filter(
  (route) => pathParams(route.path).filter((name) => !(name in NON_ID_PATH_VALUES)).length > 1,
);

describe('tenant isolation on every route', () => {
  let t: TestApp;
  let document: OpenApiDocument;
  let operations: Map<string, Operation>;
  let a: TenantData;
  let b: TenantData;
  let outsider: Actor;
  let gone: TenantData;
  let goneOwner: Actor;

  beforeAll(async () => {
    t = await bootApp();
    const factory = new Factory(t.dataSource);
    document = await fetchDocument(t);
    operations = documentedOperations(document);
    a = await seedTenant(t, factory, 'alphacorp');
    b = await seedTenant(t, factory, 'bravoinc');
    outsider = await actingAs(t, b.owner);
    gone = await seedTenant(t, factory, 'deltagone');
    goneOwner = await actingAs(t, gone.owner);
    await t.dataSource.getRepository(Organization).softDelete({ id: gone.organization.id });
  });
  afterAll(() => t?.close());

  const operation = (route: RouteKey): Operation => {
    const found = operations.get(route.key);
    if (!found) throw new Error(`${route.key} is not in the OpenAPI document`);
    return found;
  };
  const snapshotA = () => snapshot(t, a.organization.id, [a.owner.id, a.member.id]);
  const snapshotB = () => snapshot(t, b.organization.id, [b.member.id]);
  const userRow = async (id: number) =>
    (await t.dataSource.query('SELECT * FROM users WHERE id = ?', [id]))[0] as unknown;

  describe('route inventory', () => {
    it('documents every /api/v1 route the Express router serves, and no route it does not serve', () => {
      const router = registeredRoutes(t);
      expect(router).toContain('GET /api/v1/organizations/{organizationId}');
      expect(router).toEqual([...operations.keys()].sort());
    });

    it('tests exactly the tenant operations of the document', () => {
      const documented = [...operations.values()]
        .filter((op) => isTenantPath(op.path))
        .map((op) => op.key)
        .sort();
      expect(TENANT_ROUTES.map((route) => route.key)).toEqual(documented);
    });

    it('snapshots every table that belongs to an organization', () => {
      expect(tenantTables(t)).toEqual(
        expect.arrayContaining([
          'organization_user',
          'invitations',
          'integrations',
          'calendars',
          'clients',
          'projects',
          'time_blocks',
          'audit_logs',
        ]),
      );
    });

    it('declares every path parameter of every operation in the document', () => {
      const undeclared = [...operations.values()].flatMap((op) =>
        pathParams(op.path)
          .filter(
            (name) => !(op.spec.parameters ?? []).some((p) => p.in === 'path' && p.name === name),
          )
          .map((name) => `${op.key}: {${name}}`),
      );
      expect(undeclared).toEqual([]);
    });
  });

  it("finds A's rows through the same requests when A's owner sends them (the leak check can fail)", async () => {
    const owner = await actingAs(t, a.owner);
    const seen = new Set<string>();
    for (const op of operations.values()) {
      if (!isTenantPath(op.path) || op.method !== 'get') continue;
      const plan = planRequest(document, op, tenantIds(a), { queryValues: a.window });
      for (const marker of leakedMarkers(await send(t, owner, plan), a.markers)) seen.add(marker);
    }
    expect([...seen]).toEqual(
      expect.arrayContaining([
        a.organization.name,
        a.member.email,
        a.invitation.email,
        a.client.name,
        a.project.name,
        a.timeBlock.title,
        a.auditLog.action,
      ]),
    );
  });

  describe("an outsider using A's organization id", () => {
    it.each(TENANT_ROUTES)('$key answers 404 and changes nothing of A', async (route) => {
      const before = await snapshotA();
      expect(before.organizations).toEqual([expect.objectContaining({ deleted_at: null })]);
      const plan = planRequest(document, operation(route), tenantIds(a), {
        genericBody: true,
        queryValues: a.window,
      });
      const response = await send(t, outsider, plan);

      expect(outcome(response)).toEqual(problem(404));
      expect(leakedMarkers(response, a.markers)).toEqual([]);
      expect(await snapshotA()).toEqual(before);
    });
  });

  describe("an outsider in their own organization, naming A's rows in the path", () => {
    it.each(ROUTES_WITH_ROW_IDS)('$key answers 404 and changes nothing', async (route) => {
      const [beforeA, beforeB] = [await snapshotA(), await snapshotB()];
      expect(beforeB.organizations).toEqual([expect.objectContaining({ deleted_at: null })]);
      const plan = planRequest(
        document,
        operation(route),
        tenantIds(a, { organizationId: b.organization.id }),
        { genericBody: true, queryValues: a.window },
      );
      const response = await send(t, outsider, plan);

      expect(outcome(response)).toEqual(problem(404));
      expect(leakedMarkers(response, a.markers)).toEqual([]);
      expect(await snapshotA()).toEqual(beforeA);
      expect(await snapshotB()).toEqual(beforeB);
    });

    it("refuses each of A's ids in B's bodies (422 on that field) and queries (422, or nothing of A)", async () => {
      // One request per id field: B's own rows everywhere (a valid request), except that one field,
      // which names A's row. A body must be refused on that field; a query filter may be refused
      // the same way, or answer 200 with nothing of A's.
      const cases = [...operations.values()]
        .filter((op) => isTenantPath(op.path))
        .flatMap((op) => [
          ...bodyIdFields(document, op).map((field) => ({ op, field, in: 'body' })),
          ...queryIdParams(op).map((field) => ({ op, field, in: 'query' })),
          // Every filter naming A's rows at once: unscoped, they would match A's block and trail.
          ...(queryIdParams(op).length > 1 ? [{ op, field: '*', in: 'query' }] : []),
        ]);
      expect(cases.map(({ op, field }) => `${op.key} ${field}`)).toEqual(
        expect.arrayContaining([
          'POST /api/v1/organizations/{organizationId}/transfer-ownership user_id',
          'GET /api/v1/organizations/{organizationId}/audit-logs user_id',
        ]),
      );

      const actual: unknown[] = [];
      const expected: unknown[] = [];
      for (const { op, field, in: where } of cases) {
        const [beforeA, beforeB] = [await snapshotA(), await snapshotB()];
        const name = field.split('.').pop()!;
        const resolve = field === '*' ? tenantIds(a) : tenantIds(b, { [name]: tenantIds(a)(name) });
        const plan = planRequest(document, op, resolve, {
          pathResolve: tenantIds(b),
          queryValues: a.window,
        });
        const response = await send(t, outsider, plan);
        const errors = Object.keys((response.body as { errors?: object }).errors ?? {});
        const named = field === '*' ? queryIdParams(op) : [field];
        const refused =
          response.status === 422 &&
          errors.some((error) => named.includes(error)) &&
          errors.every((error) => named.includes(error));
        const filtered = where === 'query' && response.status === 200;
        actual.push({
          request: `${op.key} with A's ${field === '*' ? 'ids' : field} in the ${where}`,
          verdict: refused || filtered ? 'safe' : { status: response.status, body: response.body },
          leaked: leakedMarkers(response, a.markers),
          aUnchanged: isDeepStrictEqual(await snapshotA(), beforeA),
          bUnchanged: isDeepStrictEqual(await snapshotB(), beforeB),
        });
        expected.push({
          request: `${op.key} with A's ${field === '*' ? 'ids' : field} in the ${where}`,
          verdict: 'safe',
          leaked: [],
          aUnchanged: true,
          bUnchanged: true,
        });
      }
      expect(actual).toEqual(expected);
    });
  });

  it("rejects A's ids on signed-in routes outside organizations: 404 in paths, 422 in bodies", async () => {
    const cases = [...operations.values()].filter(
      (op) =>
        !isTenantPath(op.path) &&
        (op.spec.security ?? []).length > 0 &&
        (pathParams(op.path).some((name) => /Id$/.test(name)) ||
          bodyIdFields(document, op).length > 0),
    );
    expect(cases.map((op) => op.key)).toEqual(
      expect.arrayContaining([
        'PUT /api/v1/me/current-organization',
        'DELETE /api/v1/me/tokens/{tokenId}',
      ]),
    );

    const actual: unknown[] = [];
    const expected: unknown[] = [];
    for (const op of cases) {
      const [beforeA, beforeOutsider] = [await snapshotA(), await userRow(outsider.user.id)];
      const idFields = bodyIdFields(document, op);
      const response = await send(t, outsider, planRequest(document, op, tenantIds(a)));
      const errors = Object.keys((response.body as { errors?: object }).errors ?? {});
      const pathHasIds = pathParams(op.path).length > 0;
      actual.push({
        operation: op.key,
        status: response.status,
        problem: /^application\/problem\+json/.test(String(response.headers['content-type'])),
        namesAnIdField: errors.some((field) => idFields.includes(field)),
        aUnchanged: isDeepStrictEqual(await snapshotA(), beforeA),
        outsiderUnchanged: isDeepStrictEqual(await userRow(outsider.user.id), beforeOutsider),
      });
      expected.push({
        operation: op.key,
        status: pathHasIds ? 404 : 422,
        problem: true,
        namesAnIdField: !pathHasIds,
        aUnchanged: true,
        outsiderUnchanged: true,
      });
    }
    expect(actual).toEqual(expected);
  });

  describe('without credentials', () => {
    it.each(TENANT_ROUTES)('$key answers 401 with no token or a bogus one', async (route) => {
      const before = await snapshotA();
      const plan = planRequest(document, operation(route), tenantIds(a), { genericBody: true });

      expect(outcome(await send(t, null, plan))).toEqual(problem(401));
      expect(outcome(await send(t, 'dwl_not-a-real-token', plan))).toEqual(problem(401));
      expect(await snapshotA()).toEqual(before);
    });
  });

  describe('a soft-deleted organization', () => {
    it.each(TENANT_ROUTES)('$key answers 404 to its own owner', async (route) => {
      const before = await snapshot(t, gone.organization.id);
      const plan = planRequest(document, operation(route), tenantIds(gone), {
        genericBody: true,
        queryValues: gone.window,
      });
      const response = await send(t, goneOwner, plan);

      expect(outcome(response)).toEqual(problem(404));
      expect(await snapshot(t, gone.organization.id)).toEqual(before);
    });
  });
});
