import { CalendarEventsClient, EventWrite, WriteResult } from '../calendar-events';
import { ProviderHttp } from '../provider-http';
import { applyInChunks, CallSender, sendPrepared } from '../event-batches';
import { httpWriteFailure } from '../write-failure';
import { graphClient } from './graph-client';
import { GraphCall, graphCallFor } from './graph-event-body';
import {
  GRAPH_MAX_BATCH_REQUESTS,
  GraphOutcome,
  sendGraphBatch,
  sendGraphCall,
} from './graph-batch';

const PROVIDER = 'Microsoft Graph';

export interface MicrosoftCalendarEventsOptions {
  /** Graph's root without the version, e.g. `https://graph.microsoft.com`. */
  apiBaseUrl: string;
  /** Each request (a single call or a whole `$batch`) is abandoned after this long. */
  requestTimeoutMs: number;
  http: ProviderHttp;
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

  apply(accessToken: string, writes: EventWrite[]): Promise<WriteResult[]> {
    const client = graphClient({
      baseUrl: this.options.apiBaseUrl,
      accessToken,
      http: this.options.http,
      requestTimeoutMs: this.options.requestTimeoutMs,
    });
    const sender: CallSender<GraphCall, GraphOutcome> = {
      one: (call) => sendGraphCall(client, call),
      many: (calls) => sendGraphBatch(client, calls),
    };
    return applyInChunks(accessToken, writes, this.maxBatchSize, async (chunk) => {
      const outcomes = await sendPrepared(sender, chunk.map(graphCallFor));
      return chunk.map((write, index) => resultOf(write, outcomes[index]));
    });
  }
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
