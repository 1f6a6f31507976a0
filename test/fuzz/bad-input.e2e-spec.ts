import request from 'supertest';
import { Factory } from '../factories';
import { actingAs, Actor } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import {
  documentedOperations,
  fetchDocument,
  NON_ID_PATH_VALUES,
  OpenApiDocument,
  Operation,
  planRequest,
  RequestPlan,
  seedTenant,
  snapshot,
  TenantData,
  tenantIds,
} from '../tenancy/routes';

/*
 * Bad input on every documented operation, derived from the OpenAPI document so a new route is
 * covered without editing this file: wrong types, huge and odd strings, absurd numbers and dates,
 * unknown fields, malformed JSON, broken ids and Authorization headers. Whatever the input, the
 * answer is a 4xx problem+json without a stack trace or SQL, and a refused request leaves the
 * organization's rows as they were.
 */

/** Values a field should never accept as they are, or at least never crash on. */
const HOSTILE_VALUES: unknown[] = [
  null,
  {},
  [],
  [[[[]]]],
  { $gt: '' },
  true,
  -1,
  1.5,
  1e308,
  1e20,
  '',
  'x'.repeat(70_000),
  'nul\u0000byte',
  '\u202e\ud83d\ude00 ü ß 日本',
  '2026-02-30T25:61:00Z',
  '+275760-09-13T00:00:00.001Z',
  "'; DROP TABLE users; --",
];

const HOSTILE_PATH_IDS = ['0', '-1', '1.5', '0x10', '1e3', '99999999999999999999', 'abc', '%00'];

const HOSTILE_AUTH = [
  'Bearer',
  'Bearer ',
  'Bearer a b',
  'Basic dXNlcjpwYXNz',
  `Bearer ${'a'.repeat(10_000)}`,
];

/** A non-row path parameter (an invitation token in the URL) gets a plausible dummy. */
const DUMMY_PATH_VALUES: Record<string, string> = { token: 'inv_not_a_real_token' };

const LEAK = /QueryFailedError|SQLITE_|ER_[A-Z_]+|\bat .+\.(ts|js):\d+|node_modules|SELECT .* FROM/;

/** Rows as compared: a token's `last_used_at` moves with any authenticated request. */
const stable = (rows: unknown[]) =>
  JSON.stringify(rows, (key, value: unknown) => (key === 'last_used_at' ? undefined : value));

interface Finding {
  request: string;
  input: string;
  status: number;
  why: string;
}

describe('bad input on every operation', () => {
  let t: TestApp;
  let document: OpenApiDocument;
  let operations: Operation[];
  let tenant: TenantData;
  let owner: Actor;

  beforeAll(async () => {
    t = await bootApp({ env: { AUTH_THROTTLE_PER_MINUTE: '100000' } });
    const factory = new Factory(t.dataSource);
    document = await fetchDocument(t);
    operations = [...documentedOperations(document).values()];
    tenant = await seedTenant(t, factory, 'fuzz');
    owner = await actingAs(t, tenant.owner);
  });
  afterAll(() => t?.close());

  function plan(operation: Operation): RequestPlan {
    const path = operation.path.replace(/\{(\w+)\}/g, (whole, name: string) =>
      name in DUMMY_PATH_VALUES ? DUMMY_PATH_VALUES[name] : whole,
    );
    return planRequest(document, { ...operation, path }, tenantIds(tenant), {
      queryValues: tenant.window,
    });
  }

  /** What is wrong with an answer to bad input, or null. */
  function verdict(response: request.Response): string | null {
    if (response.status >= 500) return 'server error';
    const text = response.text ?? '';
    if (LEAK.test(text)) return 'leaks internals';
    if (response.status >= 400 && !/problem\+json/.test(String(response.headers['content-type']))) {
      return `not problem+json (${String(response.headers['content-type'])})`;
    }
    return null;
  }

  async function tryAll(
    operation: Operation,
    variants: { input: string; send: () => request.Test }[],
  ): Promise<Finding[]> {
    const findings: Finding[] = [];
    const before = await snapshot(t, tenant.organization.id, [tenant.owner.id]);
    let accepted = false;
    for (const variant of variants) {
      const response = await variant.send();
      if (response.status < 400) accepted = true;
      const why = verdict(response);
      if (why) {
        findings.push({
          request: operation.key,
          input: variant.input,
          status: response.status,
          why,
        });
      }
    }
    // Only when every variant was refused must nothing have changed.
    if (!accepted) {
      const after = await snapshot(t, tenant.organization.id, [tenant.owner.id]);
      for (const table of Object.keys(before)) {
        if (stable(before[table]) !== stable(after[table])) {
          findings.push({
            request: operation.key,
            input: '(all refused)',
            status: 0,
            why: `${table} changed`,
          });
        }
      }
    }
    return findings;
  }

  /** A request of the plan's method to `url` (the plan's own URL by default). */
  const open =
    (base: RequestPlan) =>
    (url: string): request.Test =>
      t.http()[base.method](url);

  const call = (as: Actor | null, base: RequestPlan, changes: Partial<RequestPlan> = {}) => {
    const plan = { ...base, ...changes };
    let test = t.http()[plan.method](plan.url).query(plan.query);
    if (as) test = test.set('Authorization', `Bearer ${as.token}`);
    return plan.body === undefined ? test : test.send(plan.body);
  };

  it('answers every hostile body field with a 4xx problem, never a crash or a leak', async () => {
    const findings: Finding[] = [];
    for (const operation of operations) {
      const base = plan(operation);
      if (!base.body) continue;
      const variants = Object.keys(base.body).flatMap((field) =>
        HOSTILE_VALUES.map((value) => ({
          input: `${field}=${JSON.stringify(value)?.slice(0, 40)}`,
          send: () => call(owner, base, { body: { ...base.body, [field]: value } }),
        })),
      );
      variants.push(
        {
          input: 'unknown field',
          send: () => call(owner, base, { body: { ...base.body, not_a_field: 1 } }),
        },
        { input: 'array body', send: () => call(owner, base, { body: [base.body] as never }) },
        {
          input: 'deep nesting',
          send: () =>
            call(owner, base, {
              body: {
                ...base.body,
                nested: JSON.parse('{"a":'.repeat(200) + '1' + '}'.repeat(200)),
              },
            }),
        },
      );
      findings.push(...(await tryAll(operation, variants)));
    }
    expect(findings).toEqual([]);
  }, 600_000);

  it('answers malformed JSON and wrong content types with 4xx problems', async () => {
    const findings: Finding[] = [];
    for (const operation of operations.filter(
      (op) => op.method !== 'get' && op.method !== 'delete',
    )) {
      const base = plan(operation);
      const raw = (body: string, type: string) => () =>
        open(base)(base.url)
          .query(base.query)
          .set('Authorization', `Bearer ${owner.token}`)
          .set('Content-Type', type)
          .send(body);
      findings.push(
        ...(await tryAll(operation, [
          { input: 'truncated JSON', send: raw('{"title": "x"', 'application/json') },
          { input: 'JSON null', send: raw('null', 'application/json') },
          { input: 'a JSON string', send: raw('"text"', 'application/json') },
          { input: 'form encoded', send: raw('a=1&b=2', 'application/x-www-form-urlencoded') },
          { input: 'plain text', send: raw('hello', 'text/plain') },
        ])),
      );
    }
    expect(findings).toEqual([]);
  });

  it('answers hostile query values and path ids with 4xx problems', async () => {
    const findings: Finding[] = [];
    for (const operation of operations) {
      const base = plan(operation);
      const queryNames = (operation.spec.parameters ?? [])
        .filter((parameter) => parameter.in === 'query')
        .map((parameter) => parameter.name);
      const variants = queryNames.flatMap((name) => [
        ...['', 'x'.repeat(5_000), '-1', '1e400', 'nul\u0000', '2026-13-45'].map((value) => ({
          input: `?${name}=${value.slice(0, 20)}`,
          send: () => call(owner, base, { query: { ...base.query, [name]: value } }),
        })),
        {
          input: `?${name} twice`,
          send: () =>
            open(base)(`${base.url}?${name}=1&${name}=2`)
              .set('Authorization', `Bearer ${owner.token}`)
              .send(base.body ?? undefined),
        },
      ]);
      const ids = [...operation.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
      for (const name of ids.filter((id) => !(id in NON_ID_PATH_VALUES))) {
        for (const value of HOSTILE_PATH_IDS) {
          const resolved = plan({ ...operation, path: operation.path.replace(`{${name}}`, value) });
          variants.push({ input: `{${name}}=${value}`, send: () => call(owner, resolved) });
        }
      }
      findings.push(...(await tryAll(operation, variants)));
    }
    expect(findings).toEqual([]);
  });

  it('answers broken Authorization headers with 4xx problems', async () => {
    const findings: Finding[] = [];
    const authenticated = operations.filter((op) => !(op.spec.security?.length === 0));
    for (const operation of authenticated.slice(0, 40)) {
      const base = plan(operation);
      findings.push(
        ...(await tryAll(
          operation,
          HOSTILE_AUTH.map((header) => ({
            input: `Authorization: ${header.slice(0, 20)}`,
            send: () => {
              const test = open(base)(base.url).query(base.query).set('Authorization', header);
              return base.body === undefined ? test : test.send(base.body);
            },
          })),
        )),
      );
    }
    expect(findings).toEqual([]);
  });
});
