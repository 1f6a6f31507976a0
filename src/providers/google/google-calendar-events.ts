import { CalendarEventsClient, EventWrite, WriteFailure, WriteResult } from '../calendar-events';
import {
  applyInChunks,
  CallSender,
  FailedCall,
  missingBatchAnswer,
  sendPrepared,
} from '../event-batches';
import { transportFailureCode } from '../transport-failure';
import { httpWriteFailure, transportWriteFailure } from '../write-failure';
import { googleSession, GoogleSession } from './google-client';
import { GOOGLE_MAX_BATCH_CALLS, GoogleAnswer, sendGoogleBatch } from './google-batch';
import {
  EventCall,
  eventCallFor,
  eventCallPath,
  expectedEventId,
  reviveCallFor,
} from './google-event-calls';

const PROVIDER = 'Google';

export interface GoogleCalendarEventsOptions {
  /** API root, e.g. `https://www.googleapis.com` (the emulator's URL in tests). */
  apiBaseUrl: string;
  /** Each request (a single call or a whole batch) is abandoned after this long. */
  requestTimeoutMs: number;
}

/** What a call came to: an HTTP answer, or a failure without one (or before sending). */
type CallOutcome = { answer: GoogleAnswer } | FailedCall;

/**
 * Writes block events to Google Calendar: one write as a direct call through googleapis, several
 * as one batch request. gaxios's own retries are off (it would retry PUT/DELETE blindly and ignore
 * `Retry-After`): every failure is reported so the reconciler's backoff decides.
 */
export class GoogleCalendarEvents implements CalendarEventsClient {
  readonly maxBatchSize = GOOGLE_MAX_BATCH_CALLS;
  private readonly rootUrl: string;

  constructor(private readonly options: GoogleCalendarEventsOptions) {
    this.rootUrl = options.apiBaseUrl.replace(/\/+$/, '');
  }

  apply(accessToken: string, writes: EventWrite[]): Promise<WriteResult[]> {
    const session = googleSession(this.rootUrl, accessToken);
    const sender: CallSender<EventCall, CallOutcome> = {
      one: (call) => this.sendOne(session, call),
      many: (calls) => this.sendBatch(session, calls),
    };
    return applyInChunks(accessToken, writes, this.maxBatchSize, (chunk) =>
      this.applyChunk(sender, chunk),
    );
  }

  /** The writes' calls; then, for creates that found their event (409), one revive each. */
  private async applyChunk(
    sender: CallSender<EventCall, CallOutcome>,
    writes: EventWrite[],
  ): Promise<WriteResult[]> {
    const outcomes = await sendPrepared(sender, writes.map(eventCallFor));
    const results = writes.map((write, index) => resultOf(write, outcomes[index]));
    const duplicates = writes.flatMap((write, index) =>
      write.kind === 'create' && results[index] === 'duplicate' ? [{ write, index }] : [],
    );
    if (duplicates.length > 0) {
      const revived = await sendPrepared(
        sender,
        duplicates.map(({ write }) => reviveCallFor(write)),
      );
      duplicates.forEach(({ write, index }, position) => {
        results[index] = resultOf(write, revived[position]);
      });
    }
    // A revive answering 409 again would be a provider bug; report it rather than loop.
    return results.map((result) =>
      result === 'duplicate'
        ? { ok: false, failure: httpWriteFailure(PROVIDER, { status: 409 }, 'create') }
        : result,
    );
  }

  private async sendOne(session: GoogleSession, call: EventCall): Promise<CallOutcome> {
    const signal = AbortSignal.timeout(this.options.requestTimeoutMs);
    // HTTP errors come back as answers (classified like batch parts); only transport fails throw.
    const options = { signal, retry: false, validateStatus: () => true };
    const { calendarId, eventId = '', body: requestBody } = call;
    try {
      const events = session.calendar.events;
      const response =
        call.method === 'POST'
          ? await events.insert({ calendarId, requestBody }, options)
          : call.method === 'PUT'
            ? await events.update({ calendarId, eventId, requestBody }, options)
            : await events.delete({ calendarId, eventId }, options);
      return {
        answer: {
          status: response.status,
          headers: headerRecord(response.headers),
          body: response.data || undefined,
        },
      };
    } catch (error) {
      return { failure: transportWriteFailure(PROVIDER, transportFailureCode(error, signal)) };
    }
  }

  private async sendBatch(session: GoogleSession, calls: EventCall[]): Promise<CallOutcome[]> {
    const signal = AbortSignal.timeout(this.options.requestTimeoutMs);
    const rootPath = new URL(this.rootUrl).pathname.replace(/\/+$/, '');
    try {
      const { envelope, parts } = await sendGoogleBatch(
        session.auth,
        calls.map((call) => ({
          method: call.method,
          path: eventCallPath(call, rootPath),
          body: call.body,
        })),
        { batchUrl: `${this.rootUrl}/batch/calendar/v3`, signal },
      );
      if (!parts) {
        const failure = envelopeFailure(envelope);
        return calls.map(() => ({ failure }));
      }
      return parts.map((answer) =>
        answer ? { answer } : { failure: missingBatchAnswer(PROVIDER) },
      );
    } catch (error) {
      const failure = transportWriteFailure(PROVIDER, transportFailureCode(error, signal));
      return calls.map(() => ({ failure }));
    }
  }
}

/** What a call's outcome means for its write; `duplicate` is a create that found its event. */
function resultOf(write: EventWrite, outcome: CallOutcome): WriteResult | 'duplicate' {
  if ('failure' in outcome) return { ok: false, failure: outcome.failure };
  const { status, body } = outcome.answer;
  const eventId = expectedEventId(write);
  if (status >= 200 && status < 300) {
    const id = (body as { id?: unknown } | undefined)?.id;
    return { ok: true, eventId: typeof id === 'string' ? id : eventId };
  }
  if (write.kind === 'create' && status === 409) return 'duplicate';
  const error = googleError(outcome.answer);
  // Google answers an unknown URL with an HTML 404 (no reason): that says nothing about the event.
  const aboutTheEvent = error.code !== undefined;
  // 404: never existed or purged; 410: already deleted. Either way the event is gone.
  if (write.kind === 'delete' && (status === 404 || status === 410) && aboutTheEvent) {
    return { ok: true, eventId };
  }
  const about = aboutTheEvent ? write.kind : 'request';
  return { ok: false, failure: httpWriteFailure(PROVIDER, error, about) };
}

function envelopeFailure(envelope: GoogleAnswer): WriteFailure {
  if (envelope.status >= 400) return httpWriteFailure(PROVIDER, googleError(envelope), 'request');
  // A 2xx that is not a multipart answer: we cannot tell what was applied; the writes are
  // idempotent, so trying again is safe.
  return { ...missingBatchAnswer(PROVIDER), status: envelope.status };
}

/** Google's error body: `{"error":{"code","message","errors":[{"reason"}]}}`. */
export function googleError(answer: GoogleAnswer) {
  const error = (
    answer.body as
      { error?: { message?: unknown; errors?: Array<{ reason?: unknown }> } } | undefined
  )?.error;
  const reason = error?.errors?.[0]?.reason;
  return {
    status: answer.status,
    code: typeof reason === 'string' ? reason : undefined,
    message: typeof error?.message === 'string' ? error.message : undefined,
    retryAfter: answer.headers['retry-after'],
  };
}

/**
 * gaxios 7 answers a `Headers` object, while googleapis' types still describe a plain record:
 * accept both, with lower-case names.
 */
export function headerRecord(headers: unknown): Record<string, string> {
  const entries =
    typeof (headers as Headers | undefined)?.entries === 'function'
      ? [...(headers as Headers).entries()]
      : Object.entries((headers ?? {}) as Record<string, unknown>);
  return Object.fromEntries(entries.map(([name, value]) => [name.toLowerCase(), String(value)]));
}
