/**
 * A Google Calendar batch client on top of an authenticated google-auth-library client.
 * `googleapis` has no batch helper, so this builds the `multipart/mixed` body by hand and parses
 * the answer (https://developers.google.com/calendar/api/guides/batch). Self-contained: the
 * product may copy it as is.
 *
 *   const results = await sendCalendarBatch(auth, [
 *     { method: 'POST', path: eventsPath('primary'), body: { id, summary, start, end } },
 *     { method: 'DELETE', path: eventsPath('primary', otherId), headers: { 'If-Match': etag } },
 *   ], { rootUrl });
 *
 * Each call is answered on its own (`results[i].status`); one failing call does not fail the
 * batch. The batch itself is never retried here (a POST; gaxios would not retry it either):
 * retry the failed calls, not the batch.
 */
import { randomBytes } from 'node:crypto';
import type { Auth } from 'googleapis';

/** Google allows 1000 calls per batch, and advises keeping them far smaller (50 here). */
export const MAX_BATCH_CALLS = 1000;
export const RECOMMENDED_BATCH_CALLS = 50;

export interface CalendarBatchCall {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path from the API root, e.g. `/calendar/v3/calendars/primary/events/abc123`. */
  path: string;
  query?: Record<string, string | number | boolean | string[] | undefined>;
  /** Extra headers of this call, e.g. `If-Match`. */
  headers?: Record<string, string>;
  /** JSON body. */
  body?: unknown;
  /** Default: the call's index. */
  contentId?: string;
}

export interface GoogleErrorInfo {
  code: number;
  message: string;
  reason?: string;
  domain?: string;
}

export interface CalendarBatchResult<T = unknown> {
  index: number;
  contentId: string;
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  /** Parsed JSON (undefined for 204 or an empty body; the raw text if not JSON). */
  body?: T;
  /** Set for status ≥ 400 when the body is a Google error. */
  error?: GoogleErrorInfo;
}

/** `/calendar/v3/calendars/{calendarId}/events[/{eventId}]`, ids URL-encoded. */
export function eventsPath(calendarId: string, eventId?: string): string {
  const base = `/calendar/v3/calendars/${encodeURIComponent(calendarId)}/events`;
  return eventId === undefined ? base : `${base}/${encodeURIComponent(eventId)}`;
}

function queryString(query: CalendarBatchCall['query']): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) params.append(name, String(v));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

export function buildCalendarBatch(
  calls: CalendarBatchCall[],
  boundary = `batch_${randomBytes(12).toString('hex')}`,
): { contentType: string; body: string } {
  if (calls.length === 0) throw new Error('a batch needs at least one call');
  if (calls.length > MAX_BATCH_CALLS) {
    throw new Error(`a batch holds at most ${MAX_BATCH_CALLS} calls, got ${calls.length}`);
  }
  const lines: string[] = [];
  calls.forEach((call, index) => {
    lines.push(
      `--${boundary}`,
      'Content-Type: application/http',
      'Content-Transfer-Encoding: binary',
      `Content-ID: <${call.contentId ?? index}>`,
      '',
      `${call.method} ${call.path}${queryString(call.query)} HTTP/1.1`,
    );
    for (const [name, value] of Object.entries(call.headers ?? {})) lines.push(`${name}: ${value}`);
    if (call.body !== undefined) {
      const json = JSON.stringify(call.body);
      lines.push('Content-Type: application/json; charset=UTF-8', '', json);
    } else {
      lines.push('');
    }
    lines.push('');
  });
  lines.push(`--${boundary}--`, '');
  return { contentType: `multipart/mixed; boundary=${boundary}`, body: lines.join('\r\n') };
}

function splitHead(text: string): [string, string] {
  const m = /\r?\n\r?\n/.exec(text);
  return m ? [text.slice(0, m.index), text.slice(m.index + m[0].length)] : [text, ''];
}

function headerMap(block: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of block.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0)
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

/**
 * Parses a batch answer. Results come back in call order: matched by `Content-ID:
 * <response-ID>`, else by position.
 */
export function parseCalendarBatch(
  contentType: string,
  body: string,
  calls: CalendarBatchCall[],
): CalendarBatchResult[] {
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  if (!m) throw new Error(`not a multipart answer: ${contentType}`);
  const boundary = m[1] ?? m[2];
  const ids = calls.map((call, index) => call.contentId ?? String(index));
  const results: CalendarBatchResult[] = [];
  for (const chunk of body.split(`--${boundary}`).slice(1)) {
    if (chunk.startsWith('--')) break;
    const [outerHead, inner] = splitHead(chunk.replace(/^\r?\n/, ''));
    const outer = headerMap(outerHead);
    const [head, rawBody] = splitHead(inner.replace(/^\s*\r?\n/, ''));
    const [statusLine, ...headerLines] = head.split(/\r?\n/);
    const status = Number(/^HTTP\/\d(?:\.\d)?\s+(\d{3})/.exec(statusLine.trim())?.[1]);
    if (!status) throw new Error(`malformed batch part status line: ${statusLine}`);
    const contentId = outer['content-id']?.replace(/^<|>$/g, '').replace(/^response-/, '');
    const index =
      contentId !== undefined && ids.includes(contentId) ? ids.indexOf(contentId) : results.length;
    const text = rawBody.replace(/\r?\n$/, '');
    let parsed: unknown;
    if (text.trim()) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    const result: CalendarBatchResult = {
      index,
      contentId: ids[index] ?? contentId ?? String(index),
      status,
      headers: headerMap(headerLines.join('\n')),
      body: parsed,
    };
    const error = (
      parsed as {
        error?: {
          code?: number;
          message?: string;
          errors?: Array<{ reason?: string; domain?: string }>;
        };
      }
    )?.error;
    if (status >= 400 && error && typeof error === 'object') {
      result.error = {
        code: error.code ?? status,
        message: error.message ?? '',
        reason: error.errors?.[0]?.reason,
        domain: error.errors?.[0]?.domain,
      };
    }
    results.push(result);
  }
  return results.sort((a, b) => a.index - b.index);
}

export interface SendBatchOptions {
  /** API root ending with `/` (default `https://www.googleapis.com/`). */
  rootUrl?: string;
  /** Milliseconds before the request is aborted. */
  timeout?: number;
}

/**
 * Sends the calls as one batch with the client's credentials (refreshed first if expiring) and
 * answers one result per call, in call order. An error of the batch request itself (401, 5xx,
 * a dropped connection) throws the GaxiosError.
 */
export async function sendCalendarBatch(
  auth: Auth.AuthClient,
  calls: CalendarBatchCall[],
  options: SendBatchOptions = {},
): Promise<CalendarBatchResult[]> {
  const { contentType, body } = buildCalendarBatch(calls);
  const response = await auth.request<string>({
    url: `${options.rootUrl ?? 'https://www.googleapis.com/'}batch/calendar/v3`,
    method: 'POST',
    headers: { 'Content-Type': contentType },
    data: body,
    responseType: 'text',
    timeout: options.timeout,
    retry: false,
  });
  const answerType = response.headers.get('content-type') ?? '';
  const results = parseCalendarBatch(answerType, response.data, calls);
  if (results.length !== calls.length) {
    throw new Error(`batch answered ${results.length} parts for ${calls.length} calls`);
  }
  return results;
}
