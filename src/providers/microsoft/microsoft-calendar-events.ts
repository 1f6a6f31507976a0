import type { Client } from '@microsoft/microsoft-graph-client';
import { CalendarEventsClient, EventWrite, WriteFailure, WriteResult } from '../calendar-events';
import { ProviderHttp } from '../provider-http';
import { transportFailureCode } from '../transport-failure';
import {
  HttpFailure,
  httpWriteFailure,
  transportWriteFailure,
  withoutToken,
} from '../write-failure';
import { graphClient } from './graph-client';
import { GraphCall, graphCallFor } from './graph-event-body';
import { isTransportFailureCode } from './graph-fetch-handler';

const PROVIDER = 'Microsoft Graph';

/** Graph refuses a `$batch` of more than 20 requests. */
export const GRAPH_MAX_BATCH_REQUESTS = 20;

export interface MicrosoftCalendarEventsOptions {
  /** Graph's root without the version, e.g. `https://graph.microsoft.com`. */
  apiBaseUrl: string;
  /** Each request (a single call or a whole `$batch`) is abandoned after this long. */
  requestTimeoutMs: number;
  http: ProviderHttp;
}

/** What a request came to: a 2xx body, an HTTP error answer, or no answer. */
export type GraphOutcome =
  { ok: true; body: unknown } | { http: HttpFailure } | { failure: WriteFailure };

export interface GraphBatchItem {
  id?: string;
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/**
 * Writes block events to Outlook calendars through the Graph SDK: one write as a direct call,
 * several as one `$batch`, whose answers arrive in any order and are matched by id. The client has
 * no RetryHandler (see graph-client.ts), so per-item 429s and whole-request failures come back as
 * results for the reconciler to back off.
 */
export class MicrosoftCalendarEvents implements CalendarEventsClient {
  readonly maxBatchSize = GRAPH_MAX_BATCH_REQUESTS;

  constructor(private readonly options: MicrosoftCalendarEventsOptions) {}

  async apply(accessToken: string, writes: EventWrite[]): Promise<WriteResult[]> {
    const client = graphClient({
      baseUrl: this.options.apiBaseUrl,
      accessToken,
      http: this.options.http,
      requestTimeoutMs: this.options.requestTimeoutMs,
    });
    const results: WriteResult[] = [];
    for (let start = 0; start < writes.length; start += this.maxBatchSize) {
      const chunk = writes.slice(start, start + this.maxBatchSize);
      results.push(...(await this.applyChunk(client, chunk)));
    }
    return withoutToken(results, accessToken);
  }

  private async applyChunk(client: Client, writes: EventWrite[]): Promise<WriteResult[]> {
    const outcomes = new Array<GraphOutcome>(writes.length);
    const pending: Array<{ call: GraphCall; index: number }> = [];
    writes.forEach((write, index) => {
      const call = graphCallFor(write);
      if ('kind' in call) outcomes[index] = { failure: call };
      else pending.push({ call, index });
    });
    const sent =
      pending.length === 1
        ? [await sendOne(client, pending[0].call)]
        : pending.length > 1
          ? await sendBatch(
              client,
              pending.map(({ call }) => call),
            )
          : [];
    pending.forEach(({ index }, position) => (outcomes[index] = sent[position]));
    return writes.map((write, index) => resultOf(write, outcomes[index]));
  }
}

async function sendOne(client: Client, call: GraphCall): Promise<GraphOutcome> {
  try {
    const request = client.api(call.url);
    const body: unknown =
      call.method === 'POST'
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
async function sendBatch(client: Client, calls: GraphCall[]): Promise<GraphOutcome[]> {
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
  if (!item || typeof item.status !== 'number') {
    // We cannot tell whether it was applied; the writes are idempotent, so trying again is safe.
    return {
      failure: {
        kind: 'retryable',
        status: null,
        code: 'batch_answer_missing',
        message: `${PROVIDER}: the $batch answer did not include this request`,
      },
    };
  }
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

function resultOf(write: EventWrite, outcome: GraphOutcome): WriteResult {
  if ('failure' in outcome) return { ok: false, failure: outcome.failure };
  const knownId = write.kind === 'create' ? undefined : write.eventId;
  if ('ok' in outcome) {
    const id = (outcome.body as { id?: unknown } | undefined)?.id;
    const eventId = typeof id === 'string' && id ? id : knownId;
    if (eventId) return { ok: true, eventId };
    // Not expected from Graph; a create retried with its transactionId cannot duplicate.
    return {
      ok: false,
      failure: {
        kind: 'retryable',
        status: null,
        code: 'no_event_id',
        message: `${PROVIDER}: the answer carried no event id`,
      },
    };
  }
  // Deleting an event that is already gone is what we wanted.
  const { status } = outcome.http;
  if (write.kind === 'delete' && (status === 404 || status === 410)) {
    return { ok: true, eventId: write.eventId };
  }
  return { ok: false, failure: httpWriteFailure(PROVIDER, outcome.http, write.kind) };
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
