/**
 * Graph's JSON `$batch`: the envelope's validation (at most 20 requests, unique ids, relative
 * URLs, acyclic `dependsOn`), running the sub-requests in dependency order, and answering them
 * in a shuffled order as Graph may. The emulator runs each sub-request through its own pipeline.
 */
import { seededRandom } from '../common/faults';
import type { GraphResult } from './graph';
import { GraphHttpError } from './state';

export const MAX_BATCH = 20;

export interface BatchItem {
  id: string;
  method: string;
  url: string;
  /** Lower-case header names. */
  headers: Record<string, string>;
  body: unknown;
  dependsOn: string[];
}

/** A sub-request as the Graph handlers take it: the path below `/v1.0` and its query. */
export interface BatchCall {
  item: BatchItem;
  path: string;
  query: URLSearchParams;
}

export interface BatchResponse extends GraphResult {
  id: string;
}

/** Header names lower-cased, arrays joined, absent values left out. */
export function lowerHeaders(
  headers: Record<string, string | string[] | undefined> | Record<string, unknown>,
): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (value === undefined || value === null) continue;
    result[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return result;
}

/** The `requests` of a `$batch` body, or the 400 Graph answers for the whole batch. */
export function parseBatch(body: unknown): BatchItem[] | GraphHttpError {
  const invalid = new GraphHttpError(400, 'BadRequest', 'Invalid batch payload format.');
  const list = (body as { requests?: unknown } | undefined)?.requests;
  if (!Array.isArray(list) || list.length === 0) return invalid;
  if (list.length > MAX_BATCH) {
    return new GraphHttpError(
      400,
      'BadRequest',
      `The batch contains ${list.length} requests; the maximum is ${MAX_BATCH}.`,
    );
  }
  const items: BatchItem[] = [];
  for (const raw of list as Array<Record<string, unknown>>) {
    if (
      !raw ||
      typeof raw.id !== 'string' ||
      raw.id === '' ||
      typeof raw.method !== 'string' ||
      typeof raw.url !== 'string'
    ) {
      return invalid;
    }
    if (/^https?:\/\//i.test(raw.url)) return invalid;
    if (items.some((i) => i.id === raw.id)) {
      return new GraphHttpError(400, 'BadRequest', `Batch request id '${raw.id}' is not unique.`);
    }
    const dependsOn = raw.dependsOn === undefined ? [] : raw.dependsOn;
    if (!Array.isArray(dependsOn) || dependsOn.some((d) => typeof d !== 'string')) return invalid;
    items.push({
      id: raw.id,
      method: raw.method.toUpperCase(),
      url: raw.url,
      headers: lowerHeaders((raw.headers as Record<string, unknown>) ?? {}),
      body: raw.body,
      dependsOn: dependsOn as string[],
    });
  }
  return checkDependencies(items) ?? items;
}

function checkDependencies(items: BatchItem[]): GraphHttpError | undefined {
  for (const item of items) {
    for (const dep of item.dependsOn) {
      if (!items.some((i) => i.id === dep) || dep === item.id) {
        return new GraphHttpError(
          400,
          'BadRequest',
          `Request '${item.id}' depends on unknown request '${dep}'.`,
        );
      }
    }
  }
  const done = new Set<string>();
  let progress = true;
  while (progress && done.size < items.length) {
    progress = false;
    for (const item of items) {
      if (!done.has(item.id) && item.dependsOn.every((d) => done.has(d))) {
        done.add(item.id);
        progress = true;
      }
    }
  }
  if (done.size < items.length) {
    return new GraphHttpError(400, 'BadRequest', 'The batch dependencies form a cycle.');
  }
  return undefined;
}

/** The sub-request's path below `/v1.0` (with a leading slash) and its query. */
export function batchCall(item: BatchItem): BatchCall {
  const question = item.url.indexOf('?');
  const rawPath = question === -1 ? item.url : item.url.slice(0, question);
  return {
    item,
    path: rawPath.startsWith('/') ? rawPath : `/${rawPath}`,
    query: new URLSearchParams(question === -1 ? '' : item.url.slice(question + 1)),
  };
}

/** The 424 of a sub-request one of whose dependencies failed. */
export function failedDependency(
  call: BatchCall,
  answered: Map<string, GraphResult>,
): GraphHttpError | undefined {
  if (call.item.dependsOn.some((d) => (answered.get(d)?.status ?? 0) >= 400)) {
    return new GraphHttpError(
      424,
      'FailedDependency',
      'The request could not be processed because a request it depends on failed.',
    );
  }
  return undefined;
}

/** A sub-request shape Graph refuses whatever it asks for. */
export function malformedItem(call: BatchCall): GraphHttpError | undefined {
  if (call.item.body !== undefined && !call.item.headers['content-type']) {
    return new GraphHttpError(
      400,
      'BadRequest',
      'A request with a body needs a Content-Type header.',
    );
  }
  if (call.path.toLowerCase().startsWith('/$batch')) {
    return new GraphHttpError(400, 'BadRequest', 'A batch cannot contain a batch.');
  }
  return undefined;
}

/**
 * Runs the sub-requests one at a time, each once those it depends on were answered, and answers
 * them in an order shuffled by `seed`: never the request order when there is more than one.
 */
export function runBatch(
  items: BatchItem[],
  seed: number,
  run: (call: BatchCall, answered: Map<string, GraphResult>) => GraphResult,
): { responses: BatchResponse[] } {
  const answered = new Map<string, GraphResult>();
  const pending = [...items];
  while (pending.length > 0) {
    const index = pending.findIndex((i) => i.dependsOn.every((d) => answered.has(d)));
    const [item] = pending.splice(index, 1);
    answered.set(item.id, run(batchCall(item), answered));
  }
  const responses = items.map((i) => ({ id: i.id, ...(answered.get(i.id) as GraphResult) }));
  const random = seededRandom(seed);
  for (let i = responses.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [responses[i], responses[j]] = [responses[j], responses[i]];
  }
  if (responses.length > 1 && responses.every((r, i) => r.id === items[i].id)) {
    responses.push(responses.shift() as BatchResponse);
  }
  return { responses };
}
