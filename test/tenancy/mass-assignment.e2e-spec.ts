import { isDeepStrictEqual } from 'node:util';
import request from 'supertest';
import { Organization } from '../../src/organizations/organization.entity';
import { User } from '../../src/users/user.entity';
import { Factory } from '../factories';
import { actingAs, Actor, makeTeam, Team } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import {
  bodyProperties,
  documentedOperations,
  fetchDocument,
  outcome,
  planRequest,
  problem,
  seedTenant,
  send,
  snapshot,
  tenantIds,
} from './routes';

/*
 * Mass assignment: a create or update body carrying columns the caller must not set (the tenant,
 * the owner, ids, roles where they are not the point of the endpoint, timestamps, tokens) is
 * refused with a 422 naming that field, and nothing is written. Each endpoint's base body is valid
 * on its own (the last tests prove it), so the named field is the only reason for the refusal.
 */

const WHEN = '2000-01-01T00:00:00.000Z';

/** Columns no create/update body may carry. */
const COMMON = [
  'organization_id',
  'user_id',
  'owner_id',
  'id',
  'created_at',
  'updated_at',
  'deleted_at',
];

const ENDPOINT_FIELDS = {
  'POST /api/v1/organizations': [...COMMON, 'role', 'subscription_status', 'trial_ends_at'],
  'PATCH /api/v1/organizations/{organizationId}': [
    ...COMMON,
    'role',
    'subscription_status',
    'trial_ends_at',
    'settings.organization_id',
    'settings.owner_id',
  ],
  'PATCH /api/v1/me': [
    ...COMMON,
    'role',
    'email',
    'password',
    'current_organization_id',
    'email_verified_at',
    'remember_token',
  ],
  'PATCH /api/v1/organizations/{organizationId}/members/{userId}': [
    ...COMMON,
    'joined_at',
    'invited_at',
  ],
  'POST /api/v1/organizations/{organizationId}/invitations': [
    ...COMMON,
    'token',
    'invited_by',
    'expires_at',
    'accepted_at',
    'revoked_at',
  ],
} as const;

type EndpointName = keyof typeof ENDPOINT_FIELDS;
const ENDPOINTS = Object.keys(ENDPOINT_FIELDS) as EndpointName[];

const CASES = ENDPOINTS.flatMap((endpoint) =>
  ENDPOINT_FIELDS[endpoint].map((field) => ({ endpoint, field })),
);

/** `role` is the point of these two, but `owner` is never assignable: ownership is transferred. */
const ROLE_ENDPOINTS: EndpointName[] = [
  'PATCH /api/v1/organizations/{organizationId}/members/{userId}',
  'POST /api/v1/organizations/{organizationId}/invitations',
];

interface Endpoint {
  /** A valid body without the extra field. */
  base(): Record<string, unknown>;
  send(body: Record<string, unknown>): request.Test;
  /** Every row the request could touch. */
  state(): Promise<unknown>;
}

/** `settings.owner_id` → `{ settings: { owner_id: value } }`, merged into the base body. */
function withField(
  base: Record<string, unknown>,
  path: string,
  value: unknown,
): Record<string, unknown> {
  const [head, ...rest] = path.split('.');
  if (rest.length === 0) return { ...base, [head]: value };
  const nested = (base[head] ?? {}) as Record<string, unknown>;
  return { ...base, [head]: withField(nested, rest.join('.'), value) };
}

describe('mass assignment on create and update endpoints', () => {
  let t: TestApp;
  let team: Team;
  let factory: Factory;
  let founder: Actor;
  let other: Organization;
  let otherOwner: User;
  let endpoints: Record<EndpointName, Endpoint>;
  let n = 0;

  const value = (field: string): unknown => {
    const name = field.split('.').pop()!;
    if (name === 'organization_id' || name === 'current_organization_id') return other.id;
    if (name === 'id') return other.id;
    if (/_id$|^invited_by$/.test(name)) return otherOwner.id;
    if (/_at$/.test(name)) return WHEN;
    const values: Record<string, unknown> = {
      role: 'owner',
      subscription_status: 'active',
      email: 'hijack@example.test',
      password: 'hijacked-password',
      remember_token: 'remember-me',
      token: 'f'.repeat(64),
    };
    if (!(name in values)) throw new Error(`No value for ${field}`);
    return values[name];
  };

  beforeAll(async () => {
    t = await bootApp();
    factory = new Factory(t.dataSource);
    team = await makeTeam(t, factory);
    founder = await actingAs(t, await factory.user());
    otherOwner = await factory.user();
    other = await factory.organization({ owner: otherOwner });

    const organizationRows = () => snapshot(t, team.organization.id);
    const userRow = async (id: number) =>
      t.dataSource.query('SELECT * FROM users WHERE id = ?', [id]) as Promise<unknown>;
    endpoints = {
      'POST /api/v1/organizations': {
        base: () => ({ name: `Mass ${++n}` }),
        send: (body) => founder.post('/api/v1/organizations', body),
        state: async () => ({
          organizations: await t.dataSource.query('SELECT id FROM organizations ORDER BY id'),
          memberships: await t.dataSource.query(
            'SELECT * FROM organization_user WHERE user_id = ?',
            [founder.user.id],
          ),
          founder: await userRow(founder.user.id),
        }),
      },
      'PATCH /api/v1/organizations/{organizationId}': {
        base: () => ({ name: `Renamed ${++n}` }),
        send: (body) => team.admin.patch(team.url(), body),
        state: organizationRows,
      },
      'PATCH /api/v1/me': {
        base: () => ({ name: `Renamed ${++n}` }),
        send: (body) => team.member.patch('/api/v1/me', body),
        state: () => userRow(team.member.user.id),
      },
      'PATCH /api/v1/organizations/{organizationId}/members/{userId}': {
        base: () => ({ role: 'viewer' }),
        send: (body) => team.admin.patch(team.url(`/members/${team.member.user.id}`), body),
        state: organizationRows,
      },
      'POST /api/v1/organizations/{organizationId}/invitations': {
        base: () => ({ email: `invitee${++n}@example.test`, role: 'member' }),
        send: (body) => team.admin.post(team.url('/invitations'), body),
        state: organizationRows,
      },
    };
  });
  afterAll(() => t?.close());

  it.each(CASES)(
    '$endpoint rejects $field with 422 and writes nothing',
    async ({ endpoint, field }) => {
      const { base, send, state } = endpoints[endpoint];
      const before = await state();
      const response = await send(withField(base(), field, value(field)));

      expect(outcome(response)).toEqual(problem(422));
      expect(Object.keys((response.body as { errors?: object }).errors ?? {})).toEqual([field]);
      expect(await state()).toEqual(before);
    },
  );

  it.each(ROLE_ENDPOINTS)(
    '%s refuses role "owner" with 422 and writes nothing',
    async (endpoint) => {
      const { base, send, state } = endpoints[endpoint];
      const before = await state();
      const response = await send({ ...base(), role: 'owner' });

      expect(outcome(response)).toEqual(problem(422));
      expect(Object.keys((response.body as { errors?: object }).errors ?? {})).toEqual(['role']);
      expect(await state()).toEqual(before);
    },
  );

  it('ignores or rejects protected columns smuggled in through __proto__ and constructor', async () => {
    const protectedColumns = async () => ({
      organization: await t.dataSource.query(
        'SELECT owner_id, subscription_status, trial_ends_at, created_at, deleted_at ' +
          'FROM organizations WHERE id = ?',
        [team.organization.id],
      ),
      members: await t.dataSource.query(
        'SELECT * FROM organization_user WHERE organization_id = ? ORDER BY id',
        [team.organization.id],
      ),
    });
    const before = await protectedColumns();
    const smuggled = { owner_id: otherOwner.id, subscription_status: 'active', deleted_at: WHEN };
    const response = await t
      .http()
      .patch(team.url())
      .set('Authorization', `Bearer ${team.admin.token}`)
      .set('Content-Type', 'application/json')
      .send(
        `{"name": "Prototype ${++n}", "__proto__": ${JSON.stringify(smuggled)}, ` +
          `"constructor": {"prototype": ${JSON.stringify(smuggled)}}}`,
      );

    expect([200, 422]).toContain(response.status);
    expect(await protectedColumns()).toEqual(before);
  });

  it('every signed-in write in the OpenAPI document refuses the columns its body does not declare', async () => {
    const document = await fetchDocument(t);
    const data = await seedTenant(t, factory, 'massive', {
      organization: team.organization,
      owner: team.owner.user,
    });
    const writes = [...documentedOperations(document).values()].filter(
      (op) => op.method !== 'get' && op.spec.requestBody && (op.spec.security ?? []).length > 0,
    );
    expect(writes.map((op) => op.key)).toEqual(expect.arrayContaining(ENDPOINTS));

    const state = async () => ({
      organization: await snapshot(t, team.organization.id),
      owner: await t.dataSource.query('SELECT * FROM users WHERE id = ?', [team.owner.user.id]),
      organizations: await t.dataSource.query('SELECT id FROM organizations ORDER BY id'),
    });
    const actual: unknown[] = [];
    const expected: unknown[] = [];
    for (const op of writes) {
      const declared = bodyProperties(document, op);
      for (const field of [...COMMON, 'role'].filter((name) => !declared.includes(name))) {
        const plan = planRequest(document, op, tenantIds(data), { queryValues: data.window });
        plan.body = { ...plan.body, [field]: value(field) };
        const before = await state();
        const response = await send(t, team.owner, plan);
        const errors = Object.keys((response.body as { errors?: object }).errors ?? {});
        actual.push({
          request: `${op.key} with ${field}`,
          status: response.status,
          namesTheField: errors.includes(field),
          unchanged: isDeepStrictEqual(await state(), before),
        });
        expected.push({
          request: `${op.key} with ${field}`,
          status: 422,
          namesTheField: true,
          unchanged: true,
        });
      }
    }
    expect(actual).toEqual(expected);
  });

  // Last: these succeed and write. They prove each base body is accepted on its own.
  it.each(ENDPOINTS)('%s accepts its base body', async (endpoint) => {
    const { base, send, state } = endpoints[endpoint];
    const before = await state();
    const response = await send(base());

    const success = response.status >= 200 && response.status < 300;
    expect({ success, ...outcome(response) }).toEqual(expect.objectContaining({ success: true }));
    expect(await state()).not.toEqual(before);
  });
});
