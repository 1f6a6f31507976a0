/**
 * Google Calendar batch requests (https://developers.google.com/calendar/api/guides/batch):
 * `googleapis` has no batch helper, so the `multipart/mixed` body is built and its answer parsed
 * here (adapted from test/emulators/google/batch-client.ts). Each call is answered on its own: one
 * failing call does not fail the batch.
 */
import { randomBytes } from 'node:crypto';
import type { Auth } from './google-api';

/** Google accepts 1000 calls per batch but advises far fewer; 50 keeps one answer small. */
export const GOOGLE_MAX_BATCH_CALLS = 50;

export interface GoogleCall {
  method: 'POST' | 'PUT' | 'DELETE';
  /** Path from the host, e.g. `/calendar/v3/calendars/primary/events/abc123`. */
  path: string;
  /** JSON body. */
  body?: unknown;
}

/** One HTTP answer, of a whole request or of a batch part. */
export interface GoogleAnswer {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  /** Parsed JSON; the raw text if it is not JSON; undefined when empty. */
  body: unknown;
}

export interface GoogleBatchAnswer {
  /** The answer to the batch request itself. */
  envelope: GoogleAnswer;
  /** When the envelope is a 200 multipart answer: one entry per call, in call order (undefined
   * for a call the answer left out). */
  parts?: Array<GoogleAnswer | undefined>;
}

/**
 * Sends the calls as one batch POST with the client's access token. HTTP error answers are
 * returned, not thrown; a transport failure (reset, timeout) throws gaxios's error. Never retried
 * here: the caller decides.
 */
export async function sendGoogleBatch(
  auth: Auth.OAuth2Client,
  calls: GoogleCall[],
  options: { batchUrl: string; signal: AbortSignal },
): Promise<GoogleBatchAnswer> {
  const boundary = `batch_${randomBytes(12).toString('hex')}`;
  const response = await auth.request<string>({
    url: options.batchUrl,
    method: 'POST',
    headers: { 'Content-Type': `multipart/mixed; boundary=${boundary}` },
    data: buildBatchBody(calls, boundary),
    responseType: 'text',
    retry: false,
    signal: options.signal,
    validateStatus: () => true,
  });
  const headers = Object.fromEntries(response.headers.entries());
  const text = typeof response.data === 'string' ? response.data : '';
  const envelope: GoogleAnswer = { status: response.status, headers, body: parseBody(text) };
  const partBoundary = multipartBoundary(headers['content-type']);
  if (response.status !== 200 || !partBoundary) return { envelope };
  return { envelope, parts: parseBatchBody(text, partBoundary, calls.length) };
}

/** Parts carry `Content-ID: <index>`, so answers can be matched whatever their order. */
export function buildBatchBody(calls: GoogleCall[], boundary: string): string {
  const lines: string[] = [];
  calls.forEach((call, index) => {
    lines.push(
      `--${boundary}`,
      'Content-Type: application/http',
      'Content-Transfer-Encoding: binary',
      `Content-ID: <${index}>`,
      '',
      `${call.method} ${call.path} HTTP/1.1`,
    );
    if (call.body !== undefined) {
      lines.push('Content-Type: application/json; charset=UTF-8', '', JSON.stringify(call.body));
    } else {
      lines.push('');
    }
    lines.push('');
  });
  lines.push(`--${boundary}--`, '');
  return lines.join('\r\n');
}

/** Answers by call index: `Content-ID: <response-N>`, else the part's position. */
export function parseBatchBody(
  body: string,
  boundary: string,
  callCount: number,
): Array<GoogleAnswer | undefined> {
  const answers: Array<GoogleAnswer | undefined> = new Array(callCount).fill(undefined);
  const chunks = body.split(`--${boundary}`).slice(1);
  chunks.forEach((chunk, position) => {
    if (chunk.startsWith('--')) return;
    const [outerHead, inner] = splitHead(chunk.replace(/^\r?\n/, ''));
    const outer = headerMap(outerHead);
    const [head, rawBody] = splitHead(inner.replace(/^\s*\r?\n/, ''));
    const [statusLine, ...headerLines] = head.split(/\r?\n/);
    const status = Number(/^HTTP\/\d(?:\.\d)?\s+(\d{3})/.exec(statusLine.trim())?.[1]);
    if (!status) return;
    const contentId = /^<?response-(\d+)>?$/.exec(outer['content-id'] ?? '')?.[1];
    const index = contentId !== undefined ? Number(contentId) : position;
    if (index >= callCount || answers[index]) return;
    answers[index] = {
      status,
      headers: headerMap(headerLines.join('\n')),
      body: parseBody(rawBody.replace(/\r?\n$/, '')),
    };
  });
  return answers;
}

export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/mixed\b/i.test(contentType.trim())) return undefined;
  const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match ? (match[1] ?? match[2]) : undefined;
}

function splitHead(text: string): [string, string] {
  const match = /\r?\n\r?\n/.exec(text);
  return match
    ? [text.slice(0, match.index), text.slice(match.index + match[0].length)]
    : [text, ''];
}

function headerMap(block: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of block.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) {
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
  }
  return headers;
}

export function parseBody(text: string): unknown {
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
