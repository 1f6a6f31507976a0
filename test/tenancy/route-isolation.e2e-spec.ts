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
const ROUTES_WITH_ROW_IDS = TENANT_ROUTES.filter((route) => pathParams(route.path).length > 1);

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

  describe("an outsider using A's organization id", () => {
    it.each(TENANT_ROUTES)('$key answers 404 and changes nothing of A', async (route) => {
      const before = await snapshotA();
      expect(before.organizations).toEqual([expect.objectContaining({ deleted_at: null })]);
      const plan = planRequest(document, operation(route), tenantIds(a), { genericBody: true });
      const response = await send(t, outsider, plan);

      expect(outcome(response)).toMatchObject(problem(404));
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
        { genericBody: true },
      );
      const response = await send(t, outsider, plan);

      expect(outcome(response)).toMatchObject(problem(404));
      expect(leakedMarkers(response, a.markers)).toEqual([]);
      expect(await snapshotA()).toEqual(beforeA);
      expect(await snapshotB()).toEqual(beforeB);
    });

    it("resolves A's ids in bodies (422 on the field) and queries (nothing of A) within B only", async () => {
      const cases = [...operations.values()].filter(
        (op) =>
          isTenantPath(op.path) &&
          pathParams(op.path).length === 1 &&
          (bodyIdFields(document, op).length > 0 || queryIdParams(op).length > 0),
      );
      expect(cases.map((op) => op.key)).toEqual(
        expect.arrayContaining([
          'POST /api/v1/organizations/{organizationId}/transfer-ownership',
          'GET /api/v1/organizations/{organizationId}/audit-logs',
        ]),
      );

      const actual: unknown[] = [];
      const expected: unknown[] = [];
      for (const op of cases) {
        const [beforeA, beforeB] = [await snapshotA(), await snapshotB()];
        const idFields = bodyIdFields(document, op);
        const plan = planRequest(document, op, tenantIds(a, { organizationId: b.organization.id }));
        const response = await send(t, outsider, plan);
        const errors = Object.keys((response.body as { errors?: object }).errors ?? {});
        actual.push({
          operation: op.key,
          status: response.status,
          namesAnIdField: errors.some((field) => idFields.includes(field)),
          leaked: leakedMarkers(response, a.markers),
          aUnchanged: isDeepStrictEqual(await snapshotA(), beforeA),
          bUnchanged: isDeepStrictEqual(await snapshotB(), beforeB),
        });
        expected.push({
          operation: op.key,
          // A foreign id in a body is rejected on its field; in a query it matches nothing.
          status: idFields.length > 0 ? 422 : 200,
          namesAnIdField: idFields.length > 0,
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

      expect(outcome(await send(t, null, plan))).toMatchObject(problem(401));
      expect(outcome(await send(t, 'dwl_not-a-real-token', plan))).toMatchObject(problem(401));
      expect(await snapshotA()).toEqual(before);
    });
  });

  describe('a soft-deleted organization', () => {
    it.each(TENANT_ROUTES)('$key answers 404 to its own owner', async (route) => {
      const before = await snapshot(t, gone.organization.id);
      const plan = planRequest(document, operation(route), tenantIds(gone), { genericBody: true });
      const response = await send(t, goneOwner, plan);

      expect(outcome(response)).toMatchObject(problem(404));
      expect(await snapshot(t, gone.organization.id)).toEqual(before);
    });
  });
});
