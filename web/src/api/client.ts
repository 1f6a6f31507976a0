// The one way the app talks to danwel: a typed client over the generated OpenAPI paths, the
// bearer token, and problem+json errors turned into ApiError (field errors for forms, conflict
// ids for the planner).
import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from './schema';

export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  errors?: Record<string, string[]>;
  conflicting_block_ids?: number[];
  [key: string]: unknown;
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title ?? `Request failed (${problem.status})`);
  }
  get status(): number {
    return this.problem.status;
  }
  /** Messages for one field (422), e.g. fieldErrors('end_time'). */
  fieldErrors(field: string): string[] {
    return this.problem.errors?.[field] ?? [];
  }
}

const TOKEN_KEY = 'danwel.token';

export const tokenStore = {
  get: (): string | null => globalThis.localStorage?.getItem(TOKEN_KEY) ?? null,
  set: (token: string) => globalThis.localStorage?.setItem(TOKEN_KEY, token),
  clear: () => globalThis.localStorage?.removeItem(TOKEN_KEY),
};

/** Turns any non-2xx answer into a Problem, whatever its body. */
export async function toProblem(response: Response): Promise<Problem> {
  let body: unknown = null;
  try {
    body = await response.clone().json();
  } catch {
    // an HTML or empty error body: keep just the status
  }
  const problem =
    body && typeof body === 'object' ? (body as Partial<Problem>) : ({} as Partial<Problem>);
  return { ...problem, status: response.status, title: problem.title ?? response.statusText };
}

export function createApi(
  options: { baseUrl?: string; fetch?: typeof fetch; onUnauthorized?: () => void } = {},
) {
  const client = createClient<paths>({
    baseUrl: options.baseUrl ?? '',
    fetch: options.fetch ?? ((input: Request) => globalThis.fetch(input)),
  });
  const auth: Middleware = {
    onRequest({ request }) {
      const token = tokenStore.get();
      if (token) request.headers.set('Authorization', `Bearer ${token}`);
      return request;
    },
    async onResponse({ response }) {
      if (response.ok) return response;
      if (response.status === 401) options.onUnauthorized?.();
      throw new ApiError(await toProblem(response));
    },
  };
  client.use(auth);
  return client;
}

export type Api = ReturnType<typeof createApi>;

/**
 * The data of an answer. The server documents its request bodies, not its response bodies, so
 * callers name the response type (src/api/models.ts).
 */
export async function data<T>(call: Promise<{ data?: unknown; response: Response }>): Promise<T> {
  const { data: body } = await call;
  return body as T;
}

let shared: Api | undefined;
let unauthorizedHandler: (() => void) | undefined;

export function onUnauthorized(handler: () => void): void {
  unauthorizedHandler = handler;
}

/** The app's client (same origin as the page). */
export function api(): Api {
  shared ??= createApi({ onUnauthorized: () => unauthorizedHandler?.() });
  return shared;
}

/** All pages of a cursor-paginated list. */
export async function allPages<T>(
  page: (cursor: string | undefined) => Promise<{ data: T[]; next_cursor: string | null }>,
  maxPages = 50,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < maxPages; i++) {
    const result = await page(cursor);
    items.push(...result.data);
    if (!result.next_cursor) break;
    cursor = result.next_cursor;
  }
  return items;
}
