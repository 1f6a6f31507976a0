import { EventWrite, WriteFailure, WriteResult } from './calendar-events';
import { withoutToken } from './write-failure';

/**
 * The part of writing events that is the same for every calendar provider: writes are applied in
 * chunks of the provider's batch size, each chunk's writes are turned into calls (or refused before
 * sending), one call goes out on its own and several as one batch request, and no message handed
 * back carries the access token. A provider supplies only its calls and how to read their answers.
 */

/** A call that got no usable answer, or a write refused before it became a call. */
export interface FailedCall {
  failure: WriteFailure;
}

/** How a provider sends calls: one directly, several as one batch request. */
export interface CallSender<Call, Outcome> {
  one(call: Call): Promise<Outcome>;
  /** One outcome per call, in call order; a failed batch request is a failure of every call. */
  many(calls: Call[]): Promise<Outcome[]>;
}

/** A write refused before anything is sent (e.g. an unknown time zone) rather than a call. */
export const isRefused = <Call extends object>(call: Call | WriteFailure): call is WriteFailure =>
  'kind' in call && 'code' in call;

/** `items` in slices of at most `size`. */
export function chunks<T>(items: T[], size: number): T[][] {
  const slices: T[][] = [];
  for (let start = 0; start < items.length; start += size) {
    slices.push(items.slice(start, start + size));
  }
  return slices;
}

/**
 * Applies `writes` a chunk of `maxBatchSize` at a time through `applyChunk` (one result per write,
 * in order), and strips the access token from every failure message.
 */
export async function applyInChunks(
  accessToken: string,
  writes: EventWrite[],
  maxBatchSize: number,
  applyChunk: (chunk: EventWrite[]) => Promise<WriteResult[]>,
): Promise<WriteResult[]> {
  const results: WriteResult[] = [];
  for (const chunk of chunks(writes, maxBatchSize)) results.push(...(await applyChunk(chunk)));
  return withoutToken(results, accessToken);
}

/**
 * Sends the calls that could be prepared (one on its own, several as one batch) and answers one
 * outcome per entry, in order; refused writes pass through as their failure without a request.
 */
export async function sendPrepared<Call extends object, Outcome>(
  sender: CallSender<Call, Outcome>,
  prepared: Array<Call | WriteFailure>,
): Promise<Array<Outcome | FailedCall>> {
  const outcomes = new Array<Outcome | FailedCall>(prepared.length);
  const pending: Array<{ call: Call; index: number }> = [];
  prepared.forEach((call, index) => {
    if (isRefused(call)) outcomes[index] = { failure: call };
    else pending.push({ call, index });
  });
  if (pending.length === 0) return outcomes;
  const sent =
    pending.length === 1
      ? [await sender.one(pending[0].call)]
      : await sender.many(pending.map(({ call }) => call));
  pending.forEach(({ index }, position) => (outcomes[index] = sent[position]));
  return outcomes;
}

/** A batch answer that left a call out: we cannot tell whether it was applied. */
export function missingBatchAnswer(provider: string): WriteFailure {
  // The writes are idempotent, so trying again is safe.
  return {
    kind: 'retryable',
    status: null,
    code: 'batch_answer_missing',
    message: `${provider}: the batch answer did not include this call`,
  };
}
