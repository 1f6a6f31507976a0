/**
 * Request validation against the official discovery document of Calendar API v3
 * (`discovery/calendar-v3.discovery.json`, revision 20200918, as Google publishes it):
 * which method a path + verb names, the path and query parameters it takes (required, type,
 * enum, range), and the fields of its request body.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiResponse, googleError } from './errors';

export interface DiscoveryParameter {
  type: 'string' | 'integer' | 'boolean' | 'number';
  location: 'path' | 'query';
  required?: boolean;
  repeated?: boolean;
  enum?: string[];
  minimum?: string;
  maximum?: string;
  format?: string;
}

export interface DiscoveryMethod {
  id: string;
  httpMethod: string;
  path: string;
  parameters?: Record<string, DiscoveryParameter>;
  request?: { $ref: string };
  response?: { $ref: string };
  scopes?: string[];
}

export interface DiscoverySchema {
  id?: string;
  type?: string;
  $ref?: string;
  properties?: Record<string, DiscoverySchema>;
  additionalProperties?: DiscoverySchema;
  items?: DiscoverySchema;
  format?: string;
}

interface DiscoveryDocument {
  revision: string;
  servicePath: string;
  batchPath: string;
  parameters: Record<string, DiscoveryParameter>;
  resources: Record<string, { methods?: Record<string, DiscoveryMethod> }>;
  schemas: Record<string, DiscoverySchema>;
}

interface CompiledRoute {
  method: DiscoveryMethod;
  segments: Array<{ literal: string } | { param: string }>;
  literals: number;
}

export interface RouteMatch {
  method: DiscoveryMethod;
  params: Record<string, string>;
}

export const discovery: DiscoveryDocument = JSON.parse(
  readFileSync(join(__dirname, 'discovery', 'calendar-v3.discovery.json'), 'utf8'),
);

const routes: CompiledRoute[] = Object.values(discovery.resources).flatMap((resource) =>
  Object.values(resource.methods ?? {}).map((method) => {
    const segments = method.path.split('/').map((part) => {
      const param = /^\{\+?(\w+)\}$/.exec(part);
      return param ? { param: param[1] } : { literal: part };
    });
    return { method, segments, literals: segments.filter((s) => 'literal' in s).length };
  }),
);

/** The discovery method for a verb and a path relative to `calendar/v3/`, if any. */
export function matchRoute(httpMethod: string, relativePath: string): RouteMatch | undefined {
  const parts = relativePath.split('/');
  let best: { route: CompiledRoute; params: Record<string, string> } | undefined;
  for (const route of routes) {
    if (route.method.httpMethod !== httpMethod || route.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < parts.length && ok; i++) {
      const segment = route.segments[i];
      if ('literal' in segment) ok = segment.literal === parts[i];
      else {
        try {
          params[segment.param] = decodeURIComponent(parts[i]);
        } catch {
          ok = false;
        }
      }
    }
    if (ok && (!best || route.literals > best.route.literals)) best = { route, params };
  }
  return best && { method: best.route.method, params: best.params };
}

function parameterError(reason: string, message: string, name: string): ApiResponse {
  return googleError(400, reason, message, {
    item: { location: name, locationType: 'parameter' },
  });
}

/**
 * Path and query parameters against the method: required ones present, no unknown ones
 * (including the global `alt`, `fields`, `key`, `prettyPrint`, `quotaUser`…), types, enums and
 * ranges. Answers the 400 to send, or undefined.
 */
export function validateParameters(
  method: DiscoveryMethod,
  pathParams: Record<string, string>,
  query: URLSearchParams,
): ApiResponse | undefined {
  const known = { ...discovery.parameters, ...method.parameters };
  for (const [name, spec] of Object.entries(method.parameters ?? {})) {
    if (!spec.required) continue;
    const present = spec.location === 'path' ? pathParams[name] : query.get(name);
    if (present === undefined || present === null || present === '') {
      return parameterError('required', `Required parameter: ${name}`, name);
    }
  }
  for (const name of new Set(query.keys())) {
    const spec = known[name];
    if (!spec || spec.location !== 'query') {
      return parameterError('invalidParameter', `Unknown parameter: ${name}`, name); // [U]
    }
    for (const value of query.getAll(name)) {
      const problem = checkValue(spec, value);
      if (problem) return parameterError('invalid', `Invalid value '${value}'. ${problem}`, name); // [U]
    }
  }
  return undefined;
}

function checkValue(spec: DiscoveryParameter, value: string): string | undefined {
  if (spec.type === 'integer') {
    if (!/^-?\d+$/.test(value))
      return "Values must match the following regular expression: '-?\\d+'";
    const n = Number(value);
    if (spec.minimum !== undefined && n < Number(spec.minimum)) {
      return `Values must be within the range: [${spec.minimum}, ${spec.maximum ?? ''}]`;
    }
    if (spec.maximum !== undefined && n > Number(spec.maximum)) {
      return `Values must be within the range: [${spec.minimum ?? ''}, ${spec.maximum}]`;
    }
  }
  if (spec.type === 'boolean' && value !== 'true' && value !== 'false') {
    return 'Values must be true or false.';
  }
  if (spec.enum && !spec.enum.includes(value)) {
    return `Value must be one of [${spec.enum.join(', ')}]`;
  }
  return undefined;
}

/**
 * A JSON body against the method's request schema: every field must be a property of the schema
 * (recursively, through `$ref`s and maps), with the right JSON type. `null` is accepted anywhere
 * (a patch clears a field with it).
 */
export function validateBody(method: DiscoveryMethod, body: unknown): ApiResponse | undefined {
  if (!method.request) return undefined;
  const problem = checkSchema(schemaOf({ $ref: method.request.$ref }), body, '');
  if (!problem) return undefined;
  return googleError(400, 'invalid', problem); // [U] wording modelled on Google's JSON errors
}

function schemaOf(schema: DiscoverySchema): DiscoverySchema {
  let current = schema;
  while (current.$ref) current = discovery.schemas[current.$ref];
  return current;
}

function checkSchema(raw: DiscoverySchema, value: unknown, at: string): string | undefined {
  if (value === null) return undefined;
  const schema = schemaOf(raw);
  const where = at || 'resource';
  switch (schema.type) {
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) {
        return `Invalid value at '${where}', expected an object.`;
      }
      for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
        const property = schema.properties?.[key] ?? schema.additionalProperties;
        if (!property) {
          return `Invalid JSON payload received. Unknown name "${key}" at '${where}': Cannot find field.`;
        }
        const problem = checkSchema(property, child, at ? `${at}.${key}` : key);
        if (problem) return problem;
      }
      return undefined;
    }
    case 'array': {
      if (!Array.isArray(value)) return `Invalid value at '${where}', expected a list.`;
      for (let i = 0; i < value.length; i++) {
        const problem = schema.items && checkSchema(schema.items, value[i], `${where}[${i}]`);
        if (problem) return problem;
      }
      return undefined;
    }
    case 'string':
      // int64/uint64 are strings in Google's JSON, but a JSON number is accepted on input (the
      // documented watch example sends `"expiration": 1426325213000`).
      return typeof value === 'string' ||
        (Number.isInteger(value) && (schema.format === 'int64' || schema.format === 'uint64'))
        ? undefined
        : `Invalid value at '${where}' (TYPE_STRING), ${JSON.stringify(value)}`;
    case 'integer':
      return Number.isInteger(value) || (typeof value === 'string' && /^-?\d+$/.test(value))
        ? undefined
        : `Invalid value at '${where}' (TYPE_INT32), ${JSON.stringify(value)}`;
    case 'number':
      return typeof value === 'number'
        ? undefined
        : `Invalid value at '${where}' (TYPE_DOUBLE), ${JSON.stringify(value)}`;
    case 'boolean':
      return typeof value === 'boolean'
        ? undefined
        : `Invalid value at '${where}' (TYPE_BOOL), ${JSON.stringify(value)}`;
    default:
      return undefined;
  }
}
