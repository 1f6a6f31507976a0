import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { RequestMethod, Type } from '@nestjs/common';
import { CONTROLLER_WATERMARK, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import request from 'supertest';
import { ApiTokensService } from '../../src/auth/api-tokens.service';
import { REQUIRED_PERMISSION } from '../../src/auth/decorators';
import { Permission } from '../../src/auth/permissions';
import { API_PREFIX } from '../../src/common/http/configure-app';
import { inTransaction } from '../../src/database/transaction';
import { Calendar } from '../../src/calendars/calendar.entity';
import { Encrypter } from '../../src/common/crypto/encrypter';
import { CalendarEvent } from '../../src/calendar-events/calendar-event.entity';
import { Client } from '../../src/clients/client.entity';
import { AuditLog } from '../../src/audit/audit-log.entity';
import { Integration } from '../../src/integrations/integration.entity';
import { Invitation } from '../../src/invitations/invitation.entity';
import { Organization } from '../../src/organizations/organization.entity';
import { Project } from '../../src/projects/project.entity';
import { TimeBlock } from '../../src/time-blocks/time-block.entity';
import { User } from '../../src/users/user.entity';
import { Factory } from '../factories';
import { Actor } from '../support/actors';
import { TestApp } from '../support/app';

/*
 * Shared by the tenancy specs: which routes exist (from Nest's route metadata at collection time,
 * from the OpenAPI document and from the Express router at run time), a tenant full of data with
 * a resolver from parameter names to its ids, request plans built from the document, and
 * snapshots of a tenant's rows.
 */

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** `PATCH /api/v1/organizations/{organizationId}/members/{userId}`. */
export interface RouteKey {
  key: string;
  method: HttpMethod;
  /** OpenAPI-style template: `{param}`. */
  path: string;
}

export interface DeclaredRoute extends RouteKey {
  permission?: Permission;
}

const HTTP_METHODS: readonly string[] = ['get', 'post', 'put', 'patch', 'delete'];

export const routeKey = (method: string, path: string) => `${method.toUpperCase()} ${path}`;

const ORGANIZATION_PARAM = '{organizationId}';
export const isTenantPath = (path: string) => path.includes(ORGANIZATION_PARAM);

/** `/a/:b/c` → `/a/{b}/c`. */
const toTemplate = (expressPath: string) => expressPath.replace(/:(\w+)/g, '{$1}');

/** The `{name}`s of a path template, in order. */
export const pathParams = (path: string): string[] =>
  [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);

// ---------------------------------------------------------------------------------------------
// Collection time: Jest needs its `it.each` tables before any app boots, so the tenant routes are
// read from the same decorator metadata Nest builds its router from, on every controller in src/
// (`*.controller.ts`, the naming rule). Every spec then proves, at run time, that this list equals
// the OpenAPI document's and the Express router's tenant routes, so a route this scan missed (or a
// controller no module registers) fails a test instead of going untested.
// ---------------------------------------------------------------------------------------------

const SRC = join(__dirname, '..', '..', 'src');

function controllers(): Type<unknown>[] {
  const files = (readdirSync(SRC, { recursive: true }) as string[])
    .filter((file) => file.endsWith('.controller.ts'))
    .sort();
  return files.flatMap((file) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const exported = require(join(SRC, file)) as Record<string, unknown>;
    return Object.values(exported).filter(
      (value): value is Type<unknown> =>
        typeof value === 'function' && Reflect.getMetadata(CONTROLLER_WATERMARK, value) === true,
    );
  });
}

const joinPath = (...parts: string[]) =>
  '/' +
  parts
    .map((part) => part.replace(/^\/+|\/+$/g, ''))
    .filter(Boolean)
    .join('/');

/** Every `/organizations/:organizationId/…` route with its `@RequirePermission`, from metadata. */
export function declaredTenantRoutes(): DeclaredRoute[] {
  const routes: DeclaredRoute[] = [];
  for (const controller of controllers()) {
    const prefixes = [Reflect.getMetadata(PATH_METADATA, controller) ?? '/'].flat() as string[];
    const seen = new Set<string>();
    let proto: object | null = controller.prototype as object;
    while (proto && proto !== Object.prototype) {
      for (const name of Object.getOwnPropertyNames(proto)) {
        const handler: unknown = Object.getOwnPropertyDescriptor(proto, name)?.value;
        if (name === 'constructor' || seen.has(name) || typeof handler !== 'function') continue;
        seen.add(name);
        const paths = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (paths === undefined || method === undefined) continue;
        const verb = RequestMethod[method].toLowerCase();
        if (!HTTP_METHODS.includes(verb)) {
          throw new Error(`${controller.name}.${name}: teach the tenancy specs about ${verb}`);
        }
        for (const prefix of prefixes) {
          for (const path of [paths].flat()) {
            const template = toTemplate(joinPath(API_PREFIX, prefix, path));
            if (!isTenantPath(template)) continue;
            routes.push({
              key: routeKey(verb, template),
              method: verb as HttpMethod,
              path: template,
              permission: Reflect.getMetadata(REQUIRED_PERMISSION, handler),
            });
          }
        }
      }
      proto = Object.getPrototypeOf(proto) as object | null;
    }
  }
  return routes.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

// ---------------------------------------------------------------------------------------------
// Run time: the OpenAPI document and the Express router of the booted app.
// ---------------------------------------------------------------------------------------------

export interface SchemaObject {
  type?: string;
  format?: string;
  properties?: Record<string, SchemaObject>;
  required?: string[];
  enum?: unknown[];
  example?: unknown;
  items?: SchemaObject;
  nullable?: boolean;
  minimum?: number;
  $ref?: string;
  allOf?: SchemaObject[];
  oneOf?: SchemaObject[];
  anyOf?: SchemaObject[];
}

export interface ParameterObject {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: SchemaObject;
}

export interface OperationObject {
  operationId?: string;
  parameters?: ParameterObject[];
  requestBody?: { required?: boolean; content: Record<string, { schema: SchemaObject }> };
  security?: Record<string, string[]>[];
  'x-permission'?: string;
  responses?: Record<string, unknown>;
}

export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, OperationObject>>;
  components?: { schemas?: Record<string, SchemaObject> };
}

export interface Operation extends RouteKey {
  spec: OperationObject;
}

export async function fetchDocument(t: TestApp): Promise<OpenApiDocument> {
  const response = await t.http().get('/docs-json').expect(200);
  return response.body as OpenApiDocument;
}

/** The document's operations under /api/v1, by key. */
export function documentedOperations(document: OpenApiDocument): Map<string, Operation> {
  const operations = new Map<string, Operation>();
  for (const [path, item] of Object.entries(document.paths)) {
    if (!path.startsWith(`/${API_PREFIX}/`)) continue;
    for (const [method, spec] of Object.entries(item)) {
      if (!HTTP_METHODS.includes(method)) continue;
      const key = routeKey(method, path);
      operations.set(key, { key, method: method as HttpMethod, path, spec });
    }
  }
  return operations;
}

interface RouterLayer {
  route?: { path: string | string[]; methods: Record<string, boolean | undefined> };
  handle?: { stack?: RouterLayer[] };
  rawPath?: unknown;
}

/**
 * Every `METHOD /api/v1/…` route the Express router actually serves (Express 5: `app.router`).
 * Wildcard routes are skipped: the only one is Nest's not-found catch-all under the prefix.
 */
export function registeredRoutes(t: TestApp): string[] {
  const express = t.app.getHttpAdapter().getInstance() as { router: { stack: RouterLayer[] } };
  const keys = new Set<string>();
  const walk = (stack: RouterLayer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const path of [layer.route.path].flat()) {
          const full = joinPath(prefix, path);
          if (!full.startsWith(`/${API_PREFIX}/`) || full.includes('*')) continue;
          for (const [method, enabled] of Object.entries(layer.route.methods)) {
            if (enabled && method !== '_all') keys.add(routeKey(method, toTemplate(full)));
          }
        }
      } else if (layer.handle?.stack) {
        walk(
          layer.handle.stack,
          joinPath(prefix, typeof layer.rawPath === 'string' ? layer.rawPath : ''),
        );
      }
    }
  };
  walk(express.router.stack, '');
  return [...keys].sort();
}

// ---------------------------------------------------------------------------------------------
// A tenant with one row of every kind, and a resolver from parameter names to its ids.
// ---------------------------------------------------------------------------------------------

export interface TenantData {
  organization: Organization;
  owner: User;
  /** A second member (below admins, so role changes and removals are plausible). */
  member: User;
  invitation: Invitation;
  integration: Integration;
  calendar: Calendar;
  client: Client;
  project: Project;
  timeBlock: TimeBlock;
  auditLog: AuditLog;
  /** Busy time pulled from the member's calendar, at the block's hour. */
  calendarEvent: CalendarEvent;
  /** An API token of the owner (for `/me/tokens/{tokenId}`). */
  ownerTokenId: number;
  /** The reference of a grant parked for the member (`/integrations/pending/{reference}`). */
  grantReference: string;
  /** Strings that appear only in this tenant's rows: none may show up in another tenant's answer. */
  markers: string[];
  /** `from`/`to` query values for a window around the tenant's time block and audit trail. */
  window: { from: string; to: string };
}

/**
 * Fills `organization` (owned by `owner`) with one row of every kind. `label` makes its names
 * and emails recognisable, so a response leaking them is caught.
 */
export async function seedTenant(
  t: TestApp,
  factory: Factory,
  label: string,
  existing?: { organization: Organization; owner: User },
): Promise<TenantData> {
  const owner =
    existing?.owner ??
    (await factory.user({ name: `${label} Owner`, email: `${label}-owner@example.test` }));
  const organization =
    existing?.organization ??
    (await factory.organization({
      owner,
      name: `${label} Organization`,
      slug: `${label}-organization`,
    }));
  const member = await factory.user({
    name: `${label} Member`,
    email: `${label}-member@example.test`,
  });
  await factory.member(organization, member, 'viewer');
  const invitation = await factory.invitation(organization, {
    email: `${label}-invitee@example.test`,
  });
  const integration = await factory.integration(organization, {
    connectedBy: member,
    name: `${label} Integration`,
  });
  const calendar = await factory.calendar(integration, { name: `${label} Calendar` });
  const client = await factory.client(organization, { name: `${label} Client` });
  const project = await factory.project(organization, { client, name: `${label} Project` });
  // This hour: a `from`/`to` window around now covers both the block and the audit trail.
  const startTime = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
  const timeBlock = await factory.timeBlock(organization, member, {
    calendar,
    project,
    title: `${label} Block`,
    startTime,
    endTime: new Date(startTime.getTime() + 3_600_000),
  });
  const calendarEvent = await factory.calendarEvent(calendar, {
    user: member,
    title: `${label} Event`,
    startTime,
    endTime: new Date(startTime.getTime() + 3_600_000),
  });
  const auditLog = await factory.auditLog({
    organization,
    user: member,
    action: `${label}.secret_event`,
    auditableType: 'invitation',
    auditableId: invitation.id,
  });
  const { apiToken } = await inTransaction(t.dataSource, (manager) =>
    t.app.get(ApiTokensService).issue(manager, owner.id, `${label} script`),
  );
  const grant = await factory.pendingGrant(organization, member, t.app.get(Encrypter));
  return {
    organization,
    owner,
    member,
    invitation,
    integration,
    calendar,
    client,
    project,
    timeBlock,
    auditLog,
    calendarEvent,
    ownerTokenId: apiToken.id,
    grantReference: grant.reference,
    markers: [
      grant.email,
      organization.name,
      organization.slug,
      member.email,
      owner.email,
      invitation.email,
      client.name,
      project.name,
      timeBlock.title,
      calendarEvent.title,
      auditLog.action,
    ].filter((marker): marker is string => typeof marker === 'string'),
    window: {
      from: new Date(timeBlock.startTime.getTime() - 2 * 86_400_000).toISOString(),
      to: new Date(timeBlock.startTime.getTime() + 2 * 86_400_000).toISOString(),
    },
  };
}

/** `timeBlockId` / `time_block_id` → `time_block`. */
const idKind = (name: string) =>
  name
    .replace(/_?[iI]d$/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase();

/** Ids are numbers; a row named by a secret (`{reference}`) resolves to that string. */
export type IdResolver = (name: string) => number | string;

/**
 * Which of the tenant's rows a path parameter (`userId`), body field (`user_id`) or query
 * parameter names. Unknown names fail loudly: a new route's parameter must be taught here.
 */
export function tenantIds(
  data: TenantData,
  overrides: Record<string, number | string> = {},
): IdResolver {
  const ids: Record<string, number | string> = {
    organization: data.organization.id,
    user: data.member.id,
    member: data.member.id,
    owner: data.owner.id,
    invitation: data.invitation.id,
    integration: data.integration.id,
    calendar: data.calendar.id,
    client: data.client.id,
    project: data.project.id,
    time_block: data.timeBlock.id,
    audit_log: data.auditLog.id,
    auditable: data.invitation.id,
    token: data.ownerTokenId,
    reference: data.grantReference,
  };
  return (name) => {
    if (name in overrides) return overrides[name];
    const kind = idKind(name);
    if (!(kind in ids)) {
      throw new Error(
        `No id for parameter "${name}" (kind "${kind}"): teach tenantIds() in test/tenancy/routes.ts ` +
          'which row of the tenant it names.',
      );
    }
    return ids[kind];
  };
}

// ---------------------------------------------------------------------------------------------
// Requests built from the document.
// ---------------------------------------------------------------------------------------------

export interface RequestPlan {
  method: HttpMethod;
  url: string;
  query: Record<string, string | number>;
  body?: Record<string, unknown>;
}

let uniqueness = 0;
const unique = () => `${process.pid}-${++uniqueness}`;

function deref(document: OpenApiDocument, schema: SchemaObject): SchemaObject {
  if (schema.$ref) {
    const name = schema.$ref.replace('#/components/schemas/', '');
    const target = document.components?.schemas?.[name];
    if (!target) throw new Error(`Unresolvable schema ${schema.$ref}`);
    return deref(document, target);
  }
  if (schema.allOf?.length === 1) return deref(document, schema.allOf[0]);
  return schema;
}

/** One of several shapes (`oneOf`/`anyOf`): the first is as plausible as any. */
function choose(document: OpenApiDocument, schema: SchemaObject): SchemaObject {
  const choice = schema.oneOf?.[0] ?? schema.anyOf?.[0];
  return choice ? deref(document, choice) : schema;
}

/**
 * `*_id` fields that hold a provider's id rather than one of danwel's rows (the Moneybird
 * administration an invoicing integration books in, and the administration, webhook and entity a
 * Moneybird delivery names; any `*_external_id`, such as the task a project books on): no tenant owns them, the schema's example is a plausible value, and the
 * provider, not the tenant scope, says which are valid.
 */
const PROVIDER_ID_FIELDS = new Set([
  'provider_account_id',
  'administration_id',
  'webhook_id',
  'entity_id',
]);
const isProviderIdField = (name: string) =>
  PROVIDER_ID_FIELDS.has(name) || /_external_id$/.test(name);

/** Whether a field names a row of a tenant (`client_id`), not a provider's id. */
const isRowIdField = (name: string) => /_id$/.test(name) && !isProviderIdField(name);

/** A plausible value for a field: ids from the resolver, everything else from the schema. */
function plausible(
  document: OpenApiDocument,
  name: string,
  raw: SchemaObject,
  resolve: IdResolver,
): unknown {
  if (isRowIdField(name)) return resolve(name);
  if (/email/.test(name)) return `plausible-${unique()}@example.test`;
  if (name === 'slug') return `plausible-${unique()}`;
  const outer = deref(document, raw);
  if (outer.enum?.length) return outer.enum[0];
  if (outer.example !== undefined) return outer.example;
  const schema = choose(document, outer);
  if (schema !== outer) return plausible(document, name, schema, resolve);
  if (schema.properties) return plausibleObject(document, schema, resolve);
  switch (schema.type) {
    case 'boolean':
      return true;
    case 'number':
    case 'integer':
      return schema.minimum ?? 1;
    case 'string':
      return schema.format === 'date-time' ? new Date().toISOString() : `Plausible ${name}`;
    case 'array': {
      if (!schema.items) return [];
      const item = deref(document, schema.items);
      if (item.properties) return [plausibleObject(document, item, resolve)];
      return item.enum?.length ? [item.enum[0]] : [];
    }
    default:
      return schema.nullable ? null : {};
  }
}

/**
 * Every property of the schema. A bare `id` is left out: in a body it names the row an operation
 * targets (a bulk update's block), which a plausible request does not pick at random.
 */
function plausibleObject(
  document: OpenApiDocument,
  schema: SchemaObject,
  resolve: IdResolver,
): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(schema.properties ?? {})
      .filter(([name]) => name !== 'id')
      .map(([name, property]) => [name, plausible(document, name, property, resolve)]),
  );
}

/** Paths of the `*_id` fields a plausible body carries (`operations.0.data.client_id`). */
function idFieldPaths(document: OpenApiDocument, raw: SchemaObject, prefix: string): string[] {
  const schema = choose(document, deref(document, raw));
  if (schema.type === 'array' && schema.items) {
    return idFieldPaths(document, schema.items, `${prefix}0.`);
  }
  return Object.entries(schema.properties ?? {}).flatMap(([name, property]) =>
    isRowIdField(name)
      ? [`${prefix}${name}`]
      : idFieldPaths(document, property, `${prefix}${name}.`),
  );
}

/** The top-level fields the operation's request-body schema declares. */
export function bodyProperties(document: OpenApiDocument, operation: Operation): string[] {
  const schema = operation.spec.requestBody?.content['application/json']?.schema;
  return schema ? Object.keys(choose(document, deref(document, schema)).properties ?? {}) : [];
}

/** The body's `*_id` fields, at any depth, from the operation's request-body schema. */
export function bodyIdFields(document: OpenApiDocument, operation: Operation): string[] {
  const schema = operation.spec.requestBody?.content['application/json']?.schema;
  return schema ? idFieldPaths(document, schema, '') : [];
}

export function queryIdParams(operation: Operation): string[] {
  return (operation.spec.parameters ?? [])
    .filter((parameter) => parameter.in === 'query' && /_id$/.test(parameter.name))
    .map((parameter) => parameter.name);
}

/**
 * Path parameters that name no row (so no tenant's id can leak through them) and the valid value
 * a request uses for each: `{provider}` in `/integrations/{provider}/connect`.
 */
export const NON_ID_PATH_VALUES: Record<string, string> = { provider: 'google_calendar' };

/** Path parameters that name a row: ids, and the secret reference of a pending grant. */
const ROW_PATH_PARAM = /Id$|^reference$/;

/**
 * A request for `operation`: every path parameter (by `pathResolve` when given) and every `*_id`
 * (body and query) resolved by `resolve`, a body built from the request-body schema (with `genericBody`, a write without one
 * still gets `{ organization_id, user_id }`), required query parameters filled from their schema.
 */
export function planRequest(
  document: OpenApiDocument,
  operation: Operation,
  resolve: IdResolver,
  options: {
    genericBody?: boolean;
    pathResolve?: IdResolver;
    /** Values for query parameters by name (e.g. a `from`/`to` window around the tenant's data). */
    queryValues?: Record<string, string>;
  } = {},
): RequestPlan {
  const pathResolve = options.pathResolve ?? resolve;
  const url = operation.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (name in NON_ID_PATH_VALUES) return NON_ID_PATH_VALUES[name];
    if (!ROW_PATH_PARAM.test(name)) {
      throw new Error(`${operation.key}: {${name}} is not an id parameter`);
    }
    return String(pathResolve(name));
  });
  const query: Record<string, string | number> = {};
  for (const parameter of operation.spec.parameters ?? []) {
    if (parameter.in !== 'query') continue;
    if (options.queryValues?.[parameter.name] !== undefined) {
      query[parameter.name] = options.queryValues[parameter.name];
    } else if (/_id$/.test(parameter.name)) query[parameter.name] = resolve(parameter.name);
    else if (parameter.required) {
      query[parameter.name] = String(
        plausible(document, parameter.name, parameter.schema ?? {}, resolve),
      );
    }
  }
  const schema = operation.spec.requestBody?.content['application/json']?.schema;
  const body = schema
    ? plausibleObject(document, choose(document, deref(document, schema)), resolve)
    : operation.method !== 'get' && options.genericBody
      ? { organization_id: resolve('organization_id'), user_id: resolve('user_id') }
      : undefined;
  return { method: operation.method, url, query, body };
}

/** Sends a plan as `actor`, with a raw bearer token, or with no credentials at all (`null`). */
export function send(t: TestApp, as: Actor | string | null, plan: RequestPlan): request.Test {
  let call = t.http()[plan.method](plan.url).query(plan.query);
  if (as !== null)
    call = call.set('Authorization', `Bearer ${typeof as === 'string' ? as : as.token}`);
  return plan.body === undefined ? call : call.send(plan.body);
}

/** What a failing assertion should show: the status, the content type and the body. */
export function outcome(response: request.Response) {
  return {
    status: response.status,
    contentType: String(response.headers['content-type'] ?? ''),
    body: response.body as Record<string, unknown>,
  };
}

/** Use with `toEqual`, so a failure prints the whole response (status, content type, body). */
export const problem = (status: number): unknown =>
  expect.objectContaining({
    status,
    contentType: expect.stringMatching(/^application\/problem\+json/),
    body: expect.objectContaining({ status }),
  });

// ---------------------------------------------------------------------------------------------
// Snapshots of a tenant's rows.
// ---------------------------------------------------------------------------------------------

/**
 * Tables whose rows belong to an organization through `organization_id`, from the entities (so
 * a new tenant table is snapshotted without anyone listing it here).
 */
export function tenantTables(t: TestApp): string[] {
  return t.dataSource.entityMetadatas
    .filter((entity) => entity.columns.some((column) => column.databaseName === 'organization_id'))
    .map((entity) => entity.tableName)
    .sort();
}

/**
 * Every row of the organization (itself, soft-deleted or not, and every tenant table), plus the
 * given users and their API tokens: compare two snapshots to prove nothing changed.
 */
export async function snapshot(
  t: TestApp,
  organizationId: number,
  userIds: number[] = [],
): Promise<Record<string, unknown[]>> {
  const rows: Record<string, unknown[]> = {
    organizations: await t.dataSource.query('SELECT * FROM organizations WHERE id = ?', [
      organizationId,
    ]),
  };
  for (const table of tenantTables(t)) {
    rows[table] = await t.dataSource.query(
      `SELECT * FROM ${table} WHERE organization_id = ? ORDER BY id`,
      [organizationId],
    );
  }
  if (userIds.length > 0) {
    const placeholders = userIds.map(() => '?').join(', ');
    rows.users = await t.dataSource.query(
      `SELECT * FROM users WHERE id IN (${placeholders}) ORDER BY id`,
      userIds,
    );
    rows.api_tokens = await t.dataSource.query(
      `SELECT * FROM api_tokens WHERE user_id IN (${placeholders}) ORDER BY id`,
      userIds,
    );
  }
  return rows;
}

/** A response must not mention any of these strings (another tenant's names and emails). */
export function leakedMarkers(response: request.Response, markers: string[]): string[] {
  const text = `${response.text ?? ''}${JSON.stringify(response.headers)}`;
  return markers.filter((marker) => text.includes(marker));
}
