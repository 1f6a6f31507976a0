import type { Client } from '@microsoft/microsoft-graph-client';
import { FailedCall, missingBatchAnswer } from '../event-batches';
import { transportFailureCode } from '../transport-failure';
import { HttpFailure, transportWriteFailure } from '../write-failure';
import { isTransportFailureCode } from './graph-fetch-handler';

/**
 * Sending Graph requests through the SDK client: one as a direct call, several as one `$batch`,
 * whose answers arrive in any order and are matched by id. Answers are read into outcomes, never
 * thrown; HTTP errors are left for the caller to classify.
 */

const PROVIDER = 'Microsoft Graph';

/** Graph refuses a `$batch` of more than 20 requests. */
export const GRAPH_MAX_BATCH_REQUESTS = 20;

/** One Graph request, relative to `/v1.0` (as `$batch` items want it). */
export interface GraphRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: string;
  body?: Record<string, unknown>;
}

/** What a request came to: a 2xx body, an HTTP error answer, or no answer. */
export type GraphOutcome = { ok: true; body: unknown } | { http: HttpFailure } | FailedCall;

export interface GraphBatchItem {
  id?: string;
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export async function sendGraphCall(client: Client, call: GraphRequest): Promise<GraphOutcome> {
  try {
    const request = client.api(call.url);
    const body: unknown =
      call.method === 'GET'
        ? await request.get()
        : call.method === 'POST'
          ? await request.post(call.body)
          : call.method === 'PATCH'
            ? await request.patch(call.body)
            : await request.delete();
    return { ok: true, body };
  } catch (error) {
    return errorOutcome(error);
  }
}

/** One `$batch` POST; the items' ids are their positions. */
export async function sendGraphBatch(
  client: Client,
  calls: GraphRequest[],
): Promise<GraphOutcome[]> {
  const requests = calls.map((call, index) => ({
    id: String(index),
    method: call.method,
    url: call.url,
    ...(call.body !== undefined
      ? { headers: { 'Content-Type': 'application/json' }, body: call.body }
      : {}),
  }));
  let answer: { responses?: GraphBatchItem[] } | undefined;
  try {
    answer = (await client.api('/$batch').post({ requests })) as typeof answer;
  } catch (error) {
    const outcome = errorOutcome(error);
    return calls.map(() => outcome);
  }
  const items = new Map((answer?.responses ?? []).map((item) => [item.id, item]));
  return calls.map((_, index) => itemOutcome(items.get(String(index))));
}

export function itemOutcome(item: GraphBatchItem | undefined): GraphOutcome {
  if (!item || typeof item.status !== 'number') return { failure: missingBatchAnswer(PROVIDER) };
  if (item.status >= 200 && item.status < 300) return { ok: true, body: item.body };
  const error = (item.body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  return {
    http: {
      status: item.status,
      code: typeof error?.code === 'string' ? error.code : undefined,
      message: typeof error?.message === 'string' ? error.message : undefined,
      retryAfter: headerValue(item.headers, 'retry-after'),
    },
  };
}

/** A GraphError with a status is an answer; status -1 (or any other throw) is no answer. */
export function errorOutcome(error: unknown): GraphOutcome {
  const { statusCode, code, message, headers } = error as {
    statusCode?: unknown;
    code?: unknown;
    message?: unknown;
    headers?: unknown;
  };
  if (typeof statusCode === 'number' && statusCode >= 400) {
    return {
      http: {
        status: statusCode,
        code: typeof code === 'string' && code ? code : undefined,
        message: typeof message === 'string' ? message : undefined,
        retryAfter: headerValue(headers, 'retry-after'),
      },
    };
  }
  const failure = isTransportFailureCode(code) ? code : transportFailureCode(error);
  return { failure: transportWriteFailure(PROVIDER, failure) };
}

/** A header from a `Headers` object (whole requests) or a plain record (`$batch` items). */
function headerValue(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  if (typeof (headers as Headers).get === 'function') {
    return (headers as Headers).get(name) ?? undefined;
  }
  const entry = Object.entries(headers).find(([key]) => key.toLowerCase() === name);
  return typeof entry?.[1] === 'string' ? entry[1] : undefined;
}
